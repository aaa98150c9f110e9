#pragma once

// What pod.cpp and salvage.cpp share; not part of pod.h's interface.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "libcontainer/container/container.h"

namespace husk::pod {

/// <root>/pods: one directory per pod, with its pod.json and the files its members mount.
std::string podsDir(const GlobalOptions &g);

/// Signals the pause behind a pidfd verified against startTime and waits up to waitMs for it
/// (it is not our child).
void killPause(pid_t pid, uint64_t startTime, int sig, int waitMs);

/// The containers whose state names pod `name` (run.husk.pod): pod.json's members and any a
/// husk killed between a member's create and its addMember left unlisted.
std::vector<std::string> annotatedMembers(const GlobalOptions &g, const std::string &name);

/// pod rm --force of pod `name` whose pod.json failed to load with why; dirfd is its directory
/// (unlocked, so that the members' deletes can take it). See salvage.cpp.
[[nodiscard]] Result<void> removeWithoutRecord(const GlobalOptions &g, int dirfd,
                                               const std::string &dirPath, const std::string &name,
                                               const Error &why);

} // namespace husk::pod
