#pragma once

// `delete` of a container whose state.json cannot be read: what the system still shows of it.

#include <string>

#include "common/result.h"
#include "libcontainer/container/container.h"
#include "libcontainer/container/state_store.h"

namespace husk {

/// Whether container id's directory holds nothing but husk's temp files and no cgroup exists at
/// the id's default path: all that a create killed before its first record (state.json is
/// written before anything else is made) leaves.
bool madeNothing(const ContainerDir &dir, const std::string &id);

/// delete --force of container id (dir locked) whose record failed to load with why. An empty
/// directory (madeNothing) is removed and that is success. Otherwise husk kills the processes
/// in the id's default cgroups that started after the directory was made, removes those
/// cgroups, and fails with a report of what it did and what it could not verify; the directory
/// is removed only when nothing found of the container is left (no cgroup found, or processes
/// of unknown origin in it, keep it).
[[nodiscard]] Result<DeletedContainer> deleteWithoutRecord(StateStore &store, ContainerDir &dir,
                                                           const std::string &id, const Error &why);

} // namespace husk
