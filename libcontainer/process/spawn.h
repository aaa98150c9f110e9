#pragma once

#include <sys/types.h>

#include <functional>

#include "common/result.h"
#include "common/unique_fd.h"
#include "libcontainer/namespaces.h"
#include "libcontainer/process/init.h"
#include "libcontainer/process/sync.h"

namespace husk::process {

/// The init as the parent sees it.
struct SpawnedInit {
    pid_t pid = 0;
    UniqueFd pidfd;
    bool placedInCgroup = false; // clone3 put it in cgroupFd's cgroup (CLONE_INTO_CGROUP)
};

/// Called in the parent once the init exists and before it is told to go: write id maps,
/// join cgroups (the cgroup2 one already joined when the bool is true).
using BeforeGo = std::function<Result<void>(pid_t, bool)>;

/// Clones the init. Fast path: one clone3 carrying every new namespace. With namespaces to
/// join (or time offsets to set) an intermediate process does the setns()/unshare() first and
/// clones the init from there, because setns into a pid namespace or a new time namespace
/// only applies to children, and joining a user namespace must precede creating the others.
/// On the fast path a valid cgroupFd (the container's cgroup2 directory) places the init with
/// CLONE_INTO_CGROUP. On return the init has received Go; the rest of the handshake is the
/// caller's.
[[nodiscard]] Result<SpawnedInit> spawnInit(const InitPlan &plan, NamespacePlan &namespaces,
                                            const std::map<std::string, spec::TimeOffset> &offsets,
                                            SyncSocket &parentEnd, SyncSocket childEnd,
                                            const BeforeGo &beforeGo, int cgroupFd = -1);

/// clone3 without a new stack (fork semantics), optionally returning a pidfd. Returns the
/// child's pid in the parent and 0 in the child.
[[nodiscard]] Result<pid_t> cloneProcess(uint64_t flags, int *pidfd, int cgroupFd = -1);

/// The /proc/PID/timens_offsets text for linux.timeOffsets. Pure.
std::string timeOffsetsText(const std::map<std::string, spec::TimeOffset> &offsets);

} // namespace husk::process
