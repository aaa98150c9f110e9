#pragma once

// linux.memoryPolicy: set_mempolicy(2).

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "spec/config.h"

namespace husk {

/// set_mempolicy(2)'s arguments, resolved from linux.memoryPolicy.
struct MemoryPolicyPlan {
    int mode = 0;                        // MPOL_* or'ed with MPOL_F_*
    std::vector<unsigned long> nodemask; // empty: NULL (MPOL_DEFAULT, MPOL_LOCAL, local PREFERRED)
};

/// Resolves linux.memoryPolicy: mode and flag names, node list, which modes take nodes. Pure.
[[nodiscard]] Result<MemoryPolicyPlan> planMemoryPolicy(const spec::MemoryPolicy &policy);
/// set_mempolicy() of the calling thread; inherited by children and kept across execve.
[[nodiscard]] Result<void> applyMemoryPolicy(const MemoryPolicyPlan &plan);
/// The mode names planMemoryPolicy recognizes (MPOL_BIND, ...), sorted.
std::vector<std::string_view> memoryPolicyModeNames();
/// The flag names planMemoryPolicy recognizes (MPOL_F_STATIC_NODES, ...), sorted.
std::vector<std::string_view> memoryPolicyFlagNames();

} // namespace husk
