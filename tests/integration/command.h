#pragma once

// Running a command without a shell for the integration harness, and removing what a test
// left on disk.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace husk::test {

using namespace std::chrono_literals;

/// How runCommand() wires up the child.
struct CommandOptions {
    /// The child is killed with SIGKILL and reported as timed out after this long.
    std::chrono::milliseconds timeout = 60s;
    /// The child's stdin; -1 means /dev/null.
    int stdinFd = -1;
    /// The child's stdout; -1 means captured into CommandResult::out.
    int stdoutFd = -1;
    /// The child's stderr; -1 means captured into CommandResult::err.
    int stderrFd = -1;
    /// Fds handed to the child as 3, 4, ... in this order (for --preserve-fds).
    std::vector<int> extraFds;
    /// The child's working directory; empty keeps ours.
    std::string cwd;
};

/// What a finished command did.
struct CommandResult {
    /// The exit status, 128 + N when killed by signal N, -1 when it could not be run.
    int exitCode = -1;
    /// Whether the timeout killed it.
    bool timedOut = false;
    /// Whether a signal ended it (exitCode is then 128 + the signal).
    bool signaled = false;
    /// Captured stdout (or, for container commands, the container's stdout file).
    std::string out;
    /// Captured stderr (or, for container commands, the container's stderr file).
    std::string err;
    /// Exited 0 in time.
    bool ok() const { return exitCode == 0 && !timedOut; }
    /// Failed the proper way: exited by itself, in time, with a non-zero status (not a hang,
    /// not a crash).
    bool failed() const { return exitCode > 0 && !timedOut && !signaled; }
    /// A one-line summary for failure messages: command, exit code, stdout and stderr.
    std::string describe() const;
    /// The command line that was run.
    std::string command;
};

/// Runs argv (argv[0] a path or a name found in PATH) without a shell and waits for it to exit.
/// Waits for the process, not for EOF: a container may keep the pipes open after husk exits.
CommandResult runCommand(const std::vector<std::string> &argv, const CommandOptions &options = {});

/// Removes a directory tree without crossing into other filesystems; unmounts anything a
/// buggy runtime left mounted below it first, so a leaked bind mount never loses host files.
void removeTree(const std::filesystem::path &path);
/// Reaps exited children (the harness is a child subreaper, so containers end up ours).
void reapOrphans();
/// The pids whose parent is this process.
std::vector<pid_t> childPids();
/// SIGKILLs and reaps every remaining child (and, as a subreaper, every orphan that lands on
/// us meanwhile), logging each; returns how many were killed.
int killChildren();

/// Installs SIGTERM/SIGINT/SIGHUP handlers that only note the signal; checkTermination() then
/// calls hook (once, with the signal) from ordinary code, where it may clean up and _exit.
void installTerminationHandler(void (*hook)(int));
/// Runs the termination hook if a signal arrived; the harness's wait loops call it.
void checkTermination();
/// For a termination hook: forks a janitor in a session of its own (those signals ignored,
/// stdio on /dev/null, so meson does not wait for it) that runs cleanup, and exits 128 + sig at
/// once: meson SIGKILLs the process group half a second after its SIGTERM.
[[noreturn]] void exitLeavingJanitor(int sig, const std::function<void()> &cleanup);

} // namespace husk::test
