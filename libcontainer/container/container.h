#pragma once

// The container commands. Each takes the per-container lock, derives the live status from
// the recorded init (pid + start time) and refuses transitions the state machine forbids.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "spec/config.h"
#include "spec/state.h"

namespace husk {

/// Options every command shares (runc's global flags).
struct GlobalOptions {
    std::string root = "/run/husk";
    bool rootGiven = false; // --root was given (list: a missing one is an error, as in runc)
    bool systemdCgroup = false;
    /// --rootless, as runc: "auto" (unprivileged when not root), "true" or "false". Rootless,
    /// a cgroup that cannot be made for lack of permission is a warning, not an error.
    std::string rootless = "auto";
    /// --criu: the criu binary, for checkpoint and restore (runc's flag; those commands are not
    /// in husk yet).
    std::string criu = "criu";
};

/// Whether cgroup permission errors are only warnings (--rootless, "auto" by the euid).
bool rootlessCgroups(const GlobalOptions &g);

/// `create` (and `run`) options.
struct CreateOptions {
    std::string id;
    std::string bundle; // as given; made absolute
    std::string pidFile;
    std::string consoleSocket;
    int preserveFds = 0;
    int listenFds = 0; // systemd socket activation fds (LISTEN_FDS) passed through, as runc
    bool noPivot = false;
    bool noNewKeyring = false;
    std::string pod; // --pod: join this husk pod (or the run.husk.pod annotation)
};

/// A bundle: its absolute path and its parsed config.json.
struct Bundle {
    std::string path;
    spec::Config config;
};

/// Reads and parses path/config.json (path made absolute).
[[nodiscard]] Result<Bundle> loadBundle(const std::string &path);

/// With --systemd-cgroup: the cgroupsPath is systemd's form, systemd runs and its bus is
/// reachable. Checked by create, and first by whoever makes something before create does.
[[nodiscard]] Result<void> checkCgroupDriver(const GlobalOptions &g, const spec::Config &config,
                                             const std::string &id);

/// Creates a container exactly as bundle's config says: returns once its init is set up and
/// waiting for `start`. On failure nothing of it is left. (`--pod` and the run.husk.* pod
/// annotations are the pod layer's: pod::createMember.)
[[nodiscard]] Result<pid_t> createContainer(const GlobalOptions &g, const CreateOptions &o,
                                            Bundle bundle);

/// Starts a created container (the init execs the user process).
[[nodiscard]] Result<void> startContainer(const GlobalOptions &g, const std::string &id);

/// The OCI state of a container.
[[nodiscard]] Result<spec::State> containerState(const GlobalOptions &g, const std::string &id);

/// Sends a signal to the init (all: to every process in the container's cgroup).
[[nodiscard]] Result<void> killContainer(const GlobalOptions &g, const std::string &id, int sig,
                                         bool all);

/// What delete knew of the container it removed.
struct DeletedContainer {
    bool recordRead = false; // false: no readable state (a create killed early, or no such id)
    std::map<std::string, std::string> annotations;
};

/// Deletes a stopped container (force: kills a running one first; a missing id is success).
[[nodiscard]] Result<DeletedContainer> deleteContainer(const GlobalOptions &g,
                                                       const std::string &id, bool force);

/// The states of every container under the root.
[[nodiscard]] Result<std::vector<spec::State>> listContainers(const GlobalOptions &g);

/// `run` options beyond create's.
struct RunOptions {
    bool detach = false;
    bool keep = false;
};

/// How `run` creates and deletes: the pod layer's createMember/deleteMember, so that a run
/// container joins its pod as a created one does.
using CreateFn = Result<pid_t> (*)(const GlobalOptions &, const CreateOptions &);
using DeleteFn = Result<void> (*)(const GlobalOptions &, const std::string &, bool);

/// create + start, then (unless detached) waits, forwarding signals, and deletes the container
/// (unless keep). Returns the container's exit status (128+n for a signal).
[[nodiscard]] Result<int> runContainer(const GlobalOptions &g, const CreateOptions &o,
                                       const RunOptions &r, CreateFn create, DeleteFn remove);

/// `exec` options (runc's flags, plus husk's --timeout).
struct ExecOptions {
    std::string id;
    std::string processFile;       // --process: a process.json replacing the flags below
    std::vector<std::string> args; // the command and its arguments
    bool tty = false;
    std::string consoleSocket;
    bool detach = false;
    std::string pidFile;
    std::string cwd;
    std::vector<std::string> env; // KEY=VALUE, added to (or replacing) the config's
    std::string user;             // UID[:GID]
    std::vector<uint32_t> additionalGids;
    std::vector<std::string> caps; // added to every capability set of the config's process
    bool noNewPrivs = false;
    std::string apparmor;
    std::string processLabel;
    int preserveFds = 0;
    std::string cgroup; // a sub-cgroup of the container's to put the process in
    bool ignorePaused = false;
    int timeoutSeconds = 0; // > 0: kill the process after this long and return 124
};

/// Runs a new process in a running container: it joins every namespace of the init, its
/// cgroup, and gets the capabilities, rlimits, seccomp filter, no_new_privs and Landlock of
/// the container's process (or of --process). Returns the process's exit status (128+n for
/// a signal, 124 on --timeout) or, detached, 0 once it runs.
[[nodiscard]] Result<int> execProcess(const GlobalOptions &g, const ExecOptions &o);

} // namespace husk
