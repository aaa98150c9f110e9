#pragma once

// Realtime budgets for SCHED_FIFO/SCHED_RR on cgroup v1 (see CgroupManager::grantRealtimeBudget).

#include <string>

#include "common/result.h"

namespace husk::cgroups {

/// In one v1 cpu hierarchy mounted at mountPoint: each level without a budget, from the nearest
/// ancestor of leaf that has one down to leaf (leafToo) or to leaf's parent, gets what its
/// parent has left. Nothing left is an error (EBUSY) naming the parent.
[[nodiscard]] Result<void> fillRealtimeBudget(const std::string &leaf,
                                              const std::string &mountPoint, bool leafToo);

} // namespace husk::cgroups
