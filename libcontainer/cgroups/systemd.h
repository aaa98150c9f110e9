#pragma once

// --systemd-cgroup: where systemd would put the container and what it would be asked for.
// Pure translation (unit-tested); the D-Bus call itself (StartTransientUnit) is only made
// where systemd runs, and hosts without it get a clear error before anything is created.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "common/result.h"
#include "spec/config.h"

namespace husk::cgroups::systemd {

/// A transient unit: the slice it goes in and its own name ("husk-ID.scope", or a slice).
struct Unit {
    std::string slice; // e.g. "system.slice"
    std::string name;  // e.g. "husk-web.scope"
};

/// Parses linux.cgroupsPath in runc's systemd form "slice:prefix:name" (an empty slice is
/// system.slice; a name ending in ".slice" is a slice unit of its own). An empty path gives
/// system.slice and husk-<id>.scope. Anything else names the field in the error.
[[nodiscard]] Result<Unit> parseCgroupsPath(const std::string &cgroupsPath, const std::string &id);

/// The cgroup directory of a slice, as systemd nests them: "a-b-c.slice" is
/// /a.slice/a-b.slice/a-b-c.slice; "-.slice" is the root.
[[nodiscard]] Result<std::string> slicePath(const std::string &slice);

/// The cgroup path of the unit below the hierarchy root.
[[nodiscard]] Result<std::string> unitCgroupPath(const Unit &unit);

/// A unit property as sent to StartTransientUnit ("t" uint64, "s" string, "ay" bytes,
/// "b" bool, "a(ss)" device allow list).
using PropertyValue = std::variant<uint64_t, std::string, std::vector<uint8_t>, bool,
                                   std::vector<std::pair<std::string, std::string>>>;
struct Property {
    std::string name;
    PropertyValue value;
};

/// systemd's "infinity" for limits.
constexpr uint64_t kInfinity = UINT64_MAX;

/// The properties for linux.resources, for the cgroup v2 (unified) or v1 property names
/// systemd uses. Fields systemd has no property for are left to cgroupfs writes afterwards,
/// as runc does. Pure.
[[nodiscard]] Result<std::vector<Property>> resourceProperties(const spec::Resources &r, bool v2);

/// A cpuset list ("0-2,4") as the little-endian bitmask AllowedCPUs/AllowedMemoryNodes take.
[[nodiscard]] Result<std::vector<uint8_t>> cpusetMask(const std::string &list);

} // namespace husk::cgroups::systemd
