#pragma once

// linux.resources -> cgroup file writes, as pure code (STYLE.md 6). The planner is given what
// it must know about the host (which controllers sit on v1, which on cgroup2, which files the
// kernel offers, a few current values) and returns the writes in the order they must be made;
// CgroupManager::apply only performs them. Only the fields that are set produce writes, so the
// same plan serves create and `update`.

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "spec/config.h"

namespace husk::cgroups {

/// One write to a cgroup file: "devices.allow" <- "c 1:3 rwm".
struct CgroupWrite {
    std::string file;
    std::string value;
};

/// The rules husk allows after the config's own: mknod of anything and the nodes it creates in
/// /dev (as runc), so a deny-all rule in the config still leaves a working /dev.
const std::vector<spec::DeviceRule> &defaultDeviceRules();

/// A rule in the v1 devices.allow/deny syntax: "c 1:3 rwm", "b 8:* r", "a".
std::string deviceRuleText(const spec::DeviceRule &rule);

/// The v1 device-controller writes for rules (spec order, then defaultDeviceRules()). Pure.
std::vector<CgroupWrite> v1DeviceWrites(const std::vector<spec::DeviceRule> &rules);

/// The cgroup version a file belongs to.
enum class Version { V1, V2 };

/// What the planner knows about the host and the container's live cgroup. CgroupManager fills
/// it from cgroupfs; tests fill it by hand.
struct CgroupFacts {
    /// Controllers on the v1 hierarchies the container has directories in ("memory", "cpu").
    std::set<std::string> v1;
    /// Controllers the cgroup2 hierarchy offers (its root's cgroup.controllers).
    std::set<std::string> v2;
    /// Whether the container has a cgroup2 directory (core cgroup.* files, `unified`).
    bool unified = false;
    /// Whether a file exists in the container's directory for that version (for v1, in the
    /// directory of the hierarchy named by the file's prefix). Unset: no file exists.
    std::function<bool(Version, const std::string &file)> hasFile;
    /// The current memory limit in bytes (v1 memory.limit_in_bytes, v2 memory.max with "max"
    /// as UINT64_MAX), for runc's limit/swap write order and v2's swap conversion.
    std::optional<uint64_t> memoryLimit;
    /// The current memory usage in bytes, for memory.checkBeforeUpdate.
    std::optional<uint64_t> memoryUsage;
    /// The current v2 cpu.max ("max 100000"), so a period-only change keeps the quota.
    std::string cpuMax;
};

/// One write of the plan.
struct ResourceWrite {
    Version version = Version::V1;
    /// The file, relative to the container's directory; its controller is the part before the
    /// first '.' ("memory.limit_in_bytes" -> memory), which picks the v1 hierarchy.
    std::string file;
    std::string value;
    /// The config field the write comes from, for errors ("linux.resources.memory.limit").
    std::string field;
    /// If the kernel refuses the write with EINVAL, try it once more after the rest of the
    /// plan: a period or burst that only fits together with the new quota (as runc does).
    bool retryOnEinval = false;
};

/// The planner's result.
struct ResourcePlan {
    std::vector<ResourceWrite> writes;
    /// linux.resources.devices must be enforced by an eBPF program on the cgroup2 directory
    /// (no v1 devices hierarchy).
    bool bpfDevices = false;
    /// Fields that are deprecated or have no meaning on this cgroup version, and are ignored.
    std::vector<std::string> warnings;
};

/// Host-independent checks of linux.resources (ranges, key formats), so a bad config fails
/// before anything is created. planResources runs them too.
[[nodiscard]] Result<void> checkResources(const spec::Resources &r);

/// The writes for every set field of r, each on the version hosting its controller (a v1
/// hierarchy where there is one, else cgroup2). A field whose controller or kernel file is
/// missing is an error naming the field.
[[nodiscard]] Result<ResourcePlan> planResources(const spec::Resources &r,
                                                 const CgroupFacts &facts);

/// The cgroup v2 controllers r's set fields would need there ("io" for blockIO), plus those of
/// `unified` keys; "cgroup" (core files) is not a controller and is left out.
std::set<std::string> v2ControllersUsed(const spec::Resources &r);

/// cgroup v2 cpu.weight for v1 cpu.shares (runc and crun: 1 + ((shares - 2) * 9999) / 262142).
uint64_t sharesToWeight(uint64_t shares);

/// cgroup v2 io.weight for a v1 blkio weight (runc: 1 + (weight - 10) * 9999 / 990).
uint64_t blkioToIoWeight(uint64_t weight);

} // namespace husk::cgroups
