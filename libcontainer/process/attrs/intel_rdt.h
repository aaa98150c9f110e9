#pragma once

// linux.intelRdt: the container's resctrl group.

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "spec/config.h"

namespace husk {

/// Where resctrl is expected.
inline constexpr const char *kResctrlRoot = "/sys/fs/resctrl";

/// What to do under resctrl for linux.intelRdt.
struct IntelRdtPlan {
    std::string group;               // directory under the root; "" for closID "/" (root)
    bool ownedGroup = false;         // named after the container: created, removed at delete
    bool mayCreate = false;          // create the group if it does not exist
    bool mustExist = false;          // closID with no schemata: a pre-configured group
    std::string compareSchemata;     // an existing closID group must already hold these lines
    std::vector<std::string> writes; // schemata writes, in order, each ending in '\n'
    std::string monitorGroup;        // mon_groups/<name> to create for enableMonitoring
    bool needCmt = false;            // enableCMT: llc_occupancy must be available
    bool needMbm = false;            // enableMBM: mbm_*_bytes must be available
};

/// Resolves linux.intelRdt by the spec's rules (closID or the container id, which schemata go
/// in, what an existing group must match). Pure.
[[nodiscard]] Result<IntelRdtPlan> planIntelRdt(const spec::IntelRdt &rdt,
                                                const std::string &containerId);
/// Whether every line of wanted ("L3:0=7f0;1=1f") is in current (the group's schemata file),
/// comparing per resource and cache id, hex values without leading zeros. Pure.
bool schemataMatches(std::string_view current, std::string_view wanted);
/// linux.intelRdt: an error unless resctrl is mounted at root (and, when monitoring is asked
/// for, the kernel offers it).
[[nodiscard]] Result<void> checkIntelRdt(const spec::IntelRdt &rdt,
                                         const std::string &root = kResctrlRoot);
/// Creates or checks the group, writes its schemata and moves pid into it (parent side, once
/// the init exists). Best effort where the spec allows, untested without RDT hardware.
[[nodiscard]] Result<void> applyIntelRdt(const IntelRdtPlan &plan, pid_t pid,
                                         const std::string &root = kResctrlRoot);
/// Removes what applyIntelRdt created for the container (its own group, its monitoring group);
/// shared closID groups stay.
[[nodiscard]] Result<void> removeIntelRdt(const IntelRdtPlan &plan,
                                          const std::string &root = kResctrlRoot);

} // namespace husk
