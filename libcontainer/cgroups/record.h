#pragma once

// What a container's state keeps about its cgroups. The cgroups layer's own type, so that the
// state store (above it) includes it, never the other way round.

#include <map>
#include <string>
#include <vector>

namespace husk {

/// The cgroups a container lives in, and the directories husk itself created (the only ones
/// delete removes); with --systemd-cgroup, the systemd unit that owns them (delete stops it).
struct CgroupRecord {
    std::map<std::string, std::string> paths; // controller (or "unified") -> absolute cgroupfs dir
    std::vector<std::string> created;         // absolute dirs husk made, parents first
    std::vector<std::string> removeIfEmpty;   // husk's shared parents (/husk), removed when empty
    std::string systemdUnit;                  // e.g. "husk-web.scope"; "" for cgroupfs
};

} // namespace husk
