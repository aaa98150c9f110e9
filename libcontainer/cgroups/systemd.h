#pragma once

// --systemd-cgroup: where systemd puts the container and what it is asked for. Pure
// translation (unit-tested); the D-Bus calls themselves are in systemd_dbus.h.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
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
/// "b" bool, "a(ss)" device allow list, "au" pids, "as" unit names).
using PropertyValue = std::variant<uint64_t, std::string, std::vector<uint8_t>, bool,
                                   std::vector<std::pair<std::string, std::string>>,
                                   std::vector<uint32_t>, std::vector<std::string>>;
struct Property {
    std::string name;
    PropertyValue value;
};

/// systemd's "infinity" for limits.
constexpr uint64_t kInfinity = UINT64_MAX;

/// The names of device majors, as systemd's DeviceAllow= names a whole major ("char-pts"):
/// ('c', 136) -> "pts".
using DeviceNames = std::map<std::pair<char, int64_t>, std::string>;

/// Parses /proc/devices ("Character devices:", "136 pts", ...; 'c' and 'b'), keeping for each
/// major its first name without a '/' (systemd matches the name as a glob). Pure.
DeviceNames parseProcDevices(std::string_view text);

/// The properties for linux.resources, for the cgroup v2 (unified) or v1 property names
/// systemd uses. Fields systemd has no property for are left to cgroupfs writes afterwards,
/// as runc does. A device rule for a whole major is named through names ("char-pts"), else by
/// its class ("char-*"). Pure.
[[nodiscard]] Result<std::vector<Property>> resourceProperties(const spec::Resources &r, bool v2,
                                                               const DeviceNames &names = {});

/// The D-Bus signature of a property's value ("t", "s", "ay", "b", "a(ss)", "au", "as").
const char *signature(const PropertyValue &value);

/// Everything StartTransientUnit gets for a container's unit: its Description, where it goes
/// and what it holds (a scope: Slice=, PIDs= the init, Delegate=; a slice: Wants= its parent
/// and no processes), DefaultDependencies=false, the accounting switches, then `resources`
/// (from resourceProperties). v2 picks IOAccounting over BlockIOAccounting. Pure.
[[nodiscard]] std::vector<Property> unitProperties(const Unit &unit, const std::string &id,
                                                   pid_t pid, bool v2,
                                                   std::vector<Property> resources);

/// A cpuset list ("0-2,4") as the little-endian bitmask AllowedCPUs/AllowedMemoryNodes take.
[[nodiscard]] Result<std::vector<uint8_t>> cpusetMask(const std::string &list);

} // namespace husk::cgroups::systemd
