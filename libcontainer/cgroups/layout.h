#pragma once

// Where this host's cgroup hierarchies are: v1 (one mount per controller set), v2 unified, or
// hybrid (v1 controllers plus a cgroup2 mount, usually /sys/fs/cgroup/unified).

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace husk::cgroups {

/// The kinds of cgroup setups a host can have.
enum class Mode { V1, Hybrid, V2 };

/// One mounted hierarchy.
struct Hierarchy {
    std::string key;        // "memory", "cpu,cpuacct", "name=systemd", or "unified" for cgroup2
    std::string mountPoint; // e.g. /sys/fs/cgroup/memory
    std::vector<std::string> controllers;
};

/// The host's hierarchies.
struct Layout {
    Mode mode = Mode::V2;
    std::vector<Hierarchy> hierarchies;

    /// The hierarchy holding a controller (or "unified"), or nullptr.
    const Hierarchy *find(std::string_view controller) const;
};

/// Parses /proc/self/mountinfo text into a layout (pure, for tests).
[[nodiscard]] Result<Layout> parseLayout(std::string_view mountinfo);

/// Parses /proc/self/cgroup text: hierarchy key -> path ("" key for the v2 line "0::/...").
std::map<std::string, std::string> parseProcCgroup(std::string_view text);

/// Detects this host's layout (cached for the process).
[[nodiscard]] Result<Layout> detectLayout();

/// The name of a mode, for messages ("v1", "hybrid", "v2").
const char *modeName(Mode m);

} // namespace husk::cgroups
