#pragma once

#include <sys/types.h>

#include "common/result.h"
#include "common/unique_fd.h"
#include "libcontainer/namespaces/namespaces.h"
#include "libcontainer/process/init.h"
#include "libcontainer/process/sync.h"

namespace husk::process {

/// The init as the parent sees it: always husk's own child, with a pidfd from its clone.
struct SpawnedInit {
    pid_t pid = 0;
    UniqueFd pidfd;
    bool placedInCgroup = false; // clone3 put it in cgroupFd's cgroup (CLONE_INTO_CGROUP)
};

/// Clones the init, which then waits for Go (see Supervisor::go) before it does anything.
/// Fast path: one clone3 carrying every new namespace. With namespaces to join (or time
/// offsets to set) an intermediate process does the setns()/unshare() first and clones the
/// init from there with CLONE_PARENT, because setns into a pid namespace or a new time
/// namespace only applies to children, and joining a user namespace must precede creating the
/// others; the init is still husk's child, and the intermediate sends its pidfd (from the
/// clone, never opened by pid) back with SCM_RIGHTS. On the fast path a valid cgroupFd (the
/// container's cgroup2 directory) places the init with CLONE_INTO_CGROUP.
[[nodiscard]] Result<SpawnedInit> spawnInit(const InitPlan &plan, NamespacePlan &namespaces,
                                            const std::map<std::string, spec::TimeOffset> &offsets,
                                            SyncSocket &parentEnd, SyncSocket childEnd,
                                            int cgroupFd = -1);

/// clone3 without a new stack (fork semantics), optionally returning a pidfd. Returns the
/// child's pid in the parent and 0 in the child. With CLONE_PARENT the child is the caller's
/// sibling and signals their parent on exit.
[[nodiscard]] Result<pid_t> cloneProcess(uint64_t flags, int *pidfd, int cgroupFd = -1);

/// The /proc/PID/timens_offsets text for linux.timeOffsets. Pure.
std::string timeOffsetsText(const std::map<std::string, spec::TimeOffset> &offsets);

} // namespace husk::process
