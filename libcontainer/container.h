#pragma once

// The container commands. Each takes the per-container lock, derives the live status from
// the recorded init (pid + start time) and refuses transitions the state machine forbids.

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/result.h"
#include "spec/state.h"

namespace husk {

/// Options every command shares (runc's global flags).
struct GlobalOptions {
    std::string root = "/run/husk";
    bool systemdCgroup = false;
};

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
};

/// Creates a container: returns once its init is set up and waiting for `start`.
[[nodiscard]] Result<pid_t> createContainer(const GlobalOptions &g, const CreateOptions &o);

/// Starts a created container (the init execs the user process).
[[nodiscard]] Result<void> startContainer(const GlobalOptions &g, const std::string &id);

/// The OCI state of a container.
[[nodiscard]] Result<spec::State> containerState(const GlobalOptions &g, const std::string &id);

/// Sends a signal to the init (all: to every process in the container's cgroup).
[[nodiscard]] Result<void> killContainer(const GlobalOptions &g, const std::string &id, int sig,
                                         bool all);

/// Deletes a stopped container (force: kills a running one first; a missing id is success).
[[nodiscard]] Result<void> deleteContainer(const GlobalOptions &g, const std::string &id,
                                           bool force);

/// The states of every container under the root.
[[nodiscard]] Result<std::vector<spec::State>> listContainers(const GlobalOptions &g);

/// `run` options beyond create's.
struct RunOptions {
    bool detach = false;
    bool keep = false;
};

/// create + start, then (unless detached) waits, forwarding signals, and deletes the container
/// (unless keep). Returns the container's exit status (128+n for a signal).
[[nodiscard]] Result<int> runContainer(const GlobalOptions &g, const CreateOptions &o,
                                       const RunOptions &r);

} // namespace husk
