#include "libcontainer/process/attrs/mempolicy.h"

#include <algorithm>
#include <linux/mempolicy.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/name_table.h"
#include "common/text.h"
#include "libcontainer/process/attrs/cpus.h"
#include "libcontainer/process/attrs/fields.h"

namespace husk {

namespace {

using attrs::indexField;
using attrs::lookup;

// Debian 12's <linux/mempolicy.h> stops at MPOL_PREFERRED_MANY; 6.9 added this one.
constexpr int kMpolWeightedInterleave = 6;

constexpr Named<int> kMpolModes[] = {
    {"MPOL_DEFAULT", MPOL_DEFAULT},
    {"MPOL_PREFERRED", MPOL_PREFERRED},
    {"MPOL_BIND", MPOL_BIND},
    {"MPOL_INTERLEAVE", MPOL_INTERLEAVE},
    {"MPOL_LOCAL", MPOL_LOCAL},
    {"MPOL_PREFERRED_MANY", MPOL_PREFERRED_MANY},
    {"MPOL_WEIGHTED_INTERLEAVE", kMpolWeightedInterleave},
};

constexpr Named<int> kMpolFlags[] = {
    {"MPOL_F_NUMA_BALANCING", MPOL_F_NUMA_BALANCING},
    {"MPOL_F_RELATIVE_NODES", MPOL_F_RELATIVE_NODES},
    {"MPOL_F_STATIC_NODES", MPOL_F_STATIC_NODES},
};

} // namespace

Result<MemoryPolicyPlan> planMemoryPolicy(const spec::MemoryPolicy &policy)
{
    const std::string field = "linux.memoryPolicy";
    auto mode = lookup(kMpolModes, policy.mode);
    if (!mode)
        return fail(field + ".mode: unknown mode " + inQuotes(policy.mode));
    MemoryPolicyPlan plan;
    plan.mode = *mode;
    int flags = 0;
    for (size_t i = 0; i < policy.flags.size(); ++i) {
        auto flag = lookup(kMpolFlags, policy.flags[i]);
        if (!flag)
            return fail(indexField(field + ".flags", i) + ": unknown flag " +
                        inQuotes(policy.flags[i]));
        flags |= *flag;
    }
    // set_mempolicy(2)'s rules, checked here so the error names the field instead of EINVAL.
    if ((flags & MPOL_F_STATIC_NODES) && (flags & MPOL_F_RELATIVE_NODES))
        return fail(field + ".flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude "
                            "each other");
    if ((flags & MPOL_F_NUMA_BALANCING) && *mode != MPOL_BIND && *mode != MPOL_PREFERRED_MANY)
        return fail(field +
                    ".flags: MPOL_F_NUMA_BALANCING needs MPOL_BIND or "
                    "MPOL_PREFERRED_MANY, not " +
                    policy.mode);
    if (*mode == MPOL_LOCAL && (flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES)))
        return fail(field + ".flags: MPOL_LOCAL takes no node flags");
    plan.mode |= flags;
    const bool hasNodes = !trimBlanks(policy.nodes).empty();
    if ((*mode == MPOL_DEFAULT || *mode == MPOL_LOCAL) && hasNodes)
        return fail(field + ".nodes: " + policy.mode + " takes no nodes");
    const bool needsNodes = *mode == MPOL_BIND || *mode == MPOL_INTERLEAVE ||
                            *mode == MPOL_PREFERRED_MANY || *mode == kMpolWeightedInterleave;
    if (needsNodes && !hasNodes)
        return fail(field + ".nodes: " + policy.mode + " needs at least one node");
    if (hasNodes)
        plan.nodemask = HUSK_TRY(parseNodeList(policy.nodes, field + ".nodes"));
    return plan;
}

Result<void> applyMemoryPolicy(const MemoryPolicyPlan &plan)
{
    // The kernel reads maxnode - 1 bits (an off-by-one kept for ABI's sake), so pass one more
    // than the mask holds.
    const unsigned long maxNode =
        plan.nodemask.empty() ? 0 : plan.nodemask.size() * 8 * sizeof(unsigned long) + 1;
    if (::syscall(SYS_set_mempolicy, plan.mode,
                  plan.nodemask.empty() ? nullptr : plan.nodemask.data(), maxNode) < 0)
        return failErrno("set_mempolicy");
    return {};
}

std::vector<std::string_view> memoryPolicyModeNames()
{
    std::vector<std::string_view> names = tableNames(kMpolModes);
    std::sort(names.begin(), names.end()); // in name order, as features has always listed them
    return names;
}

std::vector<std::string_view> memoryPolicyFlagNames()
{
    std::vector<std::string_view> names = tableNames(kMpolFlags);
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace husk
