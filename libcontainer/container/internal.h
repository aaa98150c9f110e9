#pragma once

// Shared by the container command files (create, lifecycle, exec, run, manage, ps); not
// libcontainer's surface.

#include <signal.h>

#include "common/result.h"
#include "libcontainer/container/container.h"
#include "libcontainer/container/state_store.h"
#include "libcontainer/container/status.h"

namespace husk {

/// A container opened, locked (its per-container flock) and loaded, with its live status.
struct LockedContainer {
    StateStore store;
    ContainerDir dir;
    StateRecord rec;
    Status status;
};

/// Opens, locks and loads container id under g.root (the id is validated first), with as much
/// of the recorded config as part says.
[[nodiscard]] Result<LockedContainer>
lockContainer(const GlobalOptions &g, const std::string &id,
              ContainerDir::Config part = ContainerDir::Config::Whole);

/// The live status: the recorded one, corrected by whether the init (pid + start time) still
/// runs, whether it still waits on the exec fifo, and whether a `creating` record's create
/// still holds the lock.
Status liveStatus(const ContainerDir &dir, const StateRecord &r);

/// path made absolute against the working directory.
[[nodiscard]] Result<std::string> absolutePath(const std::string &path);

/// Writes pid to path (made absolute) atomically, as --pid-file.
[[nodiscard]] Result<void> writePidFile(const std::string &path, pid_t pid);

/// The state a hook gets on stdin for a container with record rec.
std::string hookStateJson(const StateRecord &rec, const char *status, pid_t pid);

/// The current time in the state's RFC 3339 form.
std::string nowRfc3339();

/// The signals a foreground `run` or `exec` passes on to its process.
sigset_t forwardedSignals();

/// Waits for the process behind pidfd (a child, or re-parented to us as subreaper), passing
/// on the signals read from sigfd. With timeoutSeconds > 0 it is SIGKILLed after that long
/// and 124 is returned. Returns the exit status, 128+n for a signal.
[[nodiscard]] Result<int> waitForProcess(int pidfd, int sigfd, int timeoutSeconds);

} // namespace husk
