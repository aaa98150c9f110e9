#include "tests/integration/command.h"

#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>

#include "common/unique_fd.h"

namespace husk::test {

namespace fs = std::filesystem;

namespace {

/// The first n characters of s, with a marker when it was cut.
std::string clip(const std::string &s, size_t n = 2000)
{
    return s.size() <= n ? s : s.substr(0, n) + "...[" + std::to_string(s.size()) + " bytes]";
}

/// Appends everything readable now from a non-blocking fd; returns false at EOF or error.
bool drain(int fd, std::string &into)
{
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof(buf));
        if (n > 0) {
            into.append(buf, static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 && errno == EAGAIN;
    }
}

/// The mount points at or below dir, deepest first.
std::vector<std::string> mountsBelow(const fs::path &dir)
{
    std::vector<std::string> out;
    std::string prefix = dir.string();
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string id, parent, dev, root, point;
        fields >> id >> parent >> dev >> root >> point;
        // Undo the \040-style escapes of the mount point.
        std::string decoded;
        for (size_t i = 0; i < point.size(); ++i) {
            if (point[i] == '\\' && i + 3 < point.size()) {
                decoded += static_cast<char>(std::stoi(point.substr(i + 1, 3), nullptr, 8));
                i += 3;
            } else {
                decoded += point[i];
            }
        }
        if (decoded == prefix || decoded.starts_with(prefix + "/"))
            out.push_back(decoded);
    }
    std::sort(out.begin(), out.end(),
              [](const std::string &a, const std::string &b) { return a.size() > b.size(); });
    return out;
}

/// nftw callback: removes one entry (children come first with FTW_DEPTH).
int removeEntry(const char *path, const struct stat *, int type, struct FTW *)
{
    int rc = type == FTW_DP ? ::rmdir(path) : ::unlink(path);
    if (rc != 0 && errno != ENOENT)
        BOOST_TEST_MESSAGE("cleanup: cannot remove " << path << ": " << std::strerror(errno));
    return 0;
}

} // namespace

std::string CommandResult::describe() const
{
    std::ostringstream ss;
    ss << "`" << command << "` ";
    if (timedOut)
        ss << "timed out";
    else if (signaled)
        ss << "killed by signal " << exitCode - 128;
    else
        ss << "exited " << exitCode;
    ss << "; stdout: [" << clip(out) << "]; stderr: [" << clip(err) << "]";
    return ss.str();
}

CommandResult runCommand(const std::vector<std::string> &argv, const CommandOptions &options)
{
    CommandResult result;
    for (const std::string &a : argv)
        result.command += (result.command.empty() ? "" : " ") + a;
    if (argv.empty())
        return result;

    // Everything the child needs is prepared before fork: it may only make async-signal-safe
    // calls afterwards.
    std::vector<char *> cargv;
    for (const std::string &a : argv)
        cargv.push_back(const_cast<char *>(a.c_str()));
    cargv.push_back(nullptr);

    UniqueFd devNull(::open("/dev/null", O_RDWR | O_CLOEXEC));
    int outPipe[2] = {-1, -1};
    int errPipe[2] = {-1, -1};
    if (options.stdoutFd < 0 && ::pipe2(outPipe, O_CLOEXEC) != 0)
        return result;
    UniqueFd outRead(outPipe[0]), outWrite(outPipe[1]);
    if (options.stderrFd < 0 && ::pipe2(errPipe, O_CLOEXEC) != 0)
        return result;
    UniqueFd errRead(errPipe[0]), errWrite(errPipe[1]);

    std::vector<int> sources = {
        options.stdinFd >= 0 ? options.stdinFd : devNull.get(),
        options.stdoutFd >= 0 ? options.stdoutFd : outWrite.get(),
        options.stderrFd >= 0 ? options.stderrFd : errWrite.get(),
    };
    sources.insert(sources.end(), options.extraFds.begin(), options.extraFds.end());
    const char *cwd = options.cwd.empty() ? nullptr : options.cwd.c_str();

    int high = static_cast<int>(sources.size()) + 100;
    std::vector<int> parked(sources.size());

    pid_t pid = ::fork();
    if (pid < 0)
        return result;
    if (pid == 0) {
        sigset_t none;
        ::sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGPIPE, SIG_DFL);
        // Its own process group, so a timeout can kill the runtime and whatever it forked
        // that did not start a session of its own.
        ::setpgid(0, 0);
        // Park every source above the targets first, so dup2 never clobbers one still needed.
        for (size_t i = 0; i < sources.size(); ++i) {
            parked[i] = ::fcntl(sources[i], F_DUPFD_CLOEXEC, high);
            if (parked[i] < 0)
                ::_exit(126);
        }
        for (size_t i = 0; i < parked.size(); ++i)
            if (::dup2(parked[i], static_cast<int>(i)) < 0)
                ::_exit(126);
        ::close_range(static_cast<unsigned>(parked.size()), ~0U, 0);
        if (cwd != nullptr && ::chdir(cwd) != 0)
            ::_exit(126);
        ::execvp(cargv[0], cargv.data());
        ::_exit(127);
    }
    ::setpgid(pid, pid);
    outWrite.reset();
    errWrite.reset();
    for (int fd : {outRead.get(), errRead.get()})
        if (fd >= 0)
            ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);

    auto deadline = std::chrono::steady_clock::now() + options.timeout;
    int status = 0;
    for (;;) {
        pollfd fds[2];
        nfds_t n = 0;
        for (int fd : {outRead.get(), errRead.get()})
            if (fd >= 0)
                fds[n++] = {fd, POLLIN, 0};
        ::poll(fds, n, 20);
        if (outRead && !drain(outRead.get(), result.out))
            outRead.reset();
        if (errRead && !drain(errRead.get(), result.err))
            errRead.reset();
        pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid)
            break;
        checkTermination();
        if (std::chrono::steady_clock::now() > deadline) {
            ::killpg(pid, SIGKILL);
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            result.timedOut = true;
            break;
        }
    }
    // The process is gone; take what it left in the pipes without waiting for EOF, which a
    // container holding the write end would never send.
    if (outRead)
        drain(outRead.get(), result.out);
    if (errRead)
        drain(errRead.get(), result.err);
    if (WIFEXITED(status))
        result.exitCode = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) {
        result.exitCode = 128 + WTERMSIG(status);
        result.signaled = true;
    }
    return result;
}

void removeTree(const fs::path &path)
{
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(path, ec)))
        return;
    fs::path canonical = fs::weakly_canonical(path, ec);
    for (const std::string &point : mountsBelow(canonical)) {
        BOOST_TEST_MESSAGE("cleanup: unmounting leaked mount " << point);
        ::umount2(point.c_str(), MNT_DETACH);
    }
    // FTW_MOUNT keeps the walk on one filesystem should an unmount above have failed.
    ::nftw(canonical.c_str(), removeEntry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

std::vector<pid_t> childPids()
{
    std::vector<pid_t> out;
    std::string self = std::to_string(::getpid());
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator("/proc", ec)) {
        std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        std::ifstream in(entry.path() / "stat");
        std::string stat;
        std::getline(in, stat);
        // "pid (comm) state ppid ...": comm may hold spaces and parens, so parse after the last
        // ')'.
        size_t close = stat.rfind(')');
        if (close == std::string::npos)
            continue;
        std::istringstream rest(stat.substr(close + 1));
        std::string state, ppid;
        rest >> state >> ppid;
        if (ppid == self)
            out.push_back(std::stoi(name));
    }
    return out;
}

int killChildren()
{
    int killed = 0;
    // Grandchildren are re-parented to us (a subreaper) as their parents die: go round again.
    for (int round = 0; round < 50; ++round) {
        reapOrphans();
        std::vector<pid_t> children = childPids();
        if (children.empty())
            break;
        for (pid_t pid : children) {
            std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
            std::string cmdline((std::istreambuf_iterator<char>(in)), {});
            std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
            BOOST_TEST_MESSAGE("cleanup: killing leftover process " << pid << ": " << cmdline);
            ::kill(pid, SIGKILL);
            ++killed;
        }
        ::usleep(20000);
    }
    reapOrphans();
    return killed;
}

namespace {

/// The signal that asked us to stop, 0 while none did.
volatile sig_atomic_t terminateSignal = 0;
/// What to run once that is noticed; cleared when it starts, so it runs once.
void (*terminateHook)(int) = nullptr;

/// SIGTERM/SIGINT/SIGHUP handler: only notes the signal, checkTermination() acts on it.
extern "C" void noteTermination(int sig)
{
    terminateSignal = sig;
}

} // namespace

void exitLeavingJanitor(int sig, const std::function<void()> &cleanup)
{
    pid_t janitor = ::fork();
    if (janitor == 0) {
        ::setsid();
        for (int s : {SIGTERM, SIGINT, SIGHUP})
            ::signal(s, SIG_IGN);
        int null = ::open("/dev/null", O_RDWR);
        for (int fd : {0, 1, 2})
            ::dup2(null, fd);
        cleanup();
        ::_exit(0);
    }
    ::_exit(128 + sig);
}

void installTerminationHandler(void (*hook)(int))
{
    terminateHook = hook;
    struct sigaction sa {};
    sa.sa_handler = noteTermination;
    ::sigemptyset(&sa.sa_mask);
    for (int sig : {SIGTERM, SIGINT, SIGHUP})
        ::sigaction(sig, &sa, nullptr);
}

void checkTermination()
{
    if (terminateSignal == 0 || terminateHook == nullptr)
        return;
    void (*hook)(int) = std::exchange(terminateHook, nullptr);
    hook(terminateSignal);
}

void reapOrphans()
{
    int status = 0;
    while (::waitpid(-1, &status, WNOHANG) > 0) {
    }
}

} // namespace husk::test
