#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>

#include "common/result.h"
#include "common/unique_fd.h"

namespace husk {

/// Start time of a process (field 22 of /proc/PID/stat, clock ticks since boot); nullopt when
/// the process does not exist or is a zombie (it has exited).
std::optional<uint64_t> processStartTime(pid_t pid);

/// Whether pid is alive and is the same process that had startTime (guards against pid reuse).
bool processMatches(pid_t pid, uint64_t startTime);

/// Whether the process that started at startTicks (processStartTime) started after the
/// directory dirfd was made (its statx birth time), allowing a clock tick of resolution; nullopt
/// when the filesystem does not record birth times. How husk tells a container's or a pod's
/// processes from older ones when their record is lost.
std::optional<bool> startedAfterDirectory(uint64_t startTicks, int dirfd);

/// A pidfd for pid, verified to be the process with startTime (so a signal never hits a reused
/// pid). Fails with ESRCH when the process is gone.
[[nodiscard]] Result<UniqueFd> openVerifiedPidfd(pid_t pid, uint64_t startTime);

/// Sends sig through a pidfd.
[[nodiscard]] Result<void> pidfdSignal(int pidfd, int sig);

/// Waits until the process behind pidfd exits, up to timeoutMs (-1: forever). True if it exited.
bool pidfdWaitExit(int pidfd, int timeoutMs);

/// Whether the process behind pidfd is husk's own child (reaped with waitid) or another's.
enum class Reap { Child, NotOurs };

/// Sends sig (SIGKILL unless said) to the process behind pidfd and waits up to timeoutMs (-1:
/// forever) for it to exit; a child of ours is then reaped through the same pidfd, so no pid
/// is ever looked up again. True once it is gone. The one place husk kills a process it holds
/// a pidfd for.
bool killThroughPidfd(int pidfd, Reap reap, int timeoutMs = 10000, int sig = SIGKILL);

} // namespace husk
