#pragma once

// Landlock in the kernel: fitting a parsed policy (spec/landlock.h, Config::landlock) to the
// running kernel's ABI, and applying it in the init (after pivot_root, the user switch and the
// exec fifo, before seccomp and execve).

#include <string>
#include <vector>

#include "common/result.h"
#include "spec/landlock.h"

namespace husk {

using spec::LandlockPathRule;
using spec::LandlockPlan;
using spec::LandlockPortRule;

/// Fits a plan to a kernel ABI (0 = no Landlock). Best effort drops what the ABI lacks and lists
/// it in droppedRights; strict mode fails naming the first unsupported right and the ABI.
[[nodiscard]] Result<LandlockPlan> fitToAbi(const LandlockPlan &p, int abi);

/// The kernel's Landlock ABI version, 0 when Landlock is not built in or not enabled.
int landlockAbi();

/// Restricts the calling process (and all it will exec) to a plan already fitted to the kernel.
/// Sets no_new_privs (landlock_restrict_self needs it without CAP_SYS_ADMIN). A missing path is
/// skipped with a warning in best effort and an error in strict mode.
[[nodiscard]] Result<void> applyLandlock(const LandlockPlan &p);

} // namespace husk
