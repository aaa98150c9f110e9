#pragma once

// The first write to a v1 cgroup.procs after an idle spell waits for an RCU grace period (the
// kernel's cgroup_threadgroup_rwsem is a percpu rwsem: a writer first waits in rcu_sync_enter
// until every reader has seen the switch). Measured here: 5.6 to 11 ms after 20 ms or more of
// idle, 0.01 ms right after another write. crun and runc pay it too; on cgroup v2 husk clones
// the init straight into its cgroup (CLONE_INTO_CGROUP) and never migrates it.
//
// The wait cannot be avoided on v1, but it can start earlier: a child of husk moves itself into
// the cgroup it is already in, which starts the grace period while create goes on with its own
// work; the real join then finds the switch done. The child moves nothing but itself, to where
// it already is, and exits.

#include "common/unique_fd.h"

namespace husk::cgroups {

/// Starts the grace period in a child when this host has v1 hierarchies and this process may
/// write to its own cgroup.procs; returns the child's pidfd, or an empty fd when it did not
/// start one (nothing to gain, or not allowed). Never fails: it only saves time.
UniqueFd startAttachWarmup();

/// Waits for that child (the grace period has passed then) and reaps it. No-op on an empty fd.
void finishAttachWarmup(UniqueFd &child);

} // namespace husk::cgroups
