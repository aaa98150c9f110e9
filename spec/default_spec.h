#pragma once

// The config.json template written by `husk spec`, equivalent to what `runc spec` writes.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace husk::spec {

/// The inputs of the template that depend on the host; defaultSpec(bool) fills them in.
struct SpecTemplate {
    bool rootless = false;
    bool cgroupNamespace = false; // add a cgroup namespace (runc does on cgroup v2 hosts)
    uint32_t uid = 0;             // rootless: host id mapped to container root
    uint32_t gid = 0;
};

/// The default config.json document for explicit template inputs (for tests and callers).
nlohmann::json defaultSpec(const SpecTemplate &t);

/// The default config for this host: rootless maps the caller's euid/egid to root, drops the
/// network namespace and cgroup resources, and bind-mounts /sys (as `runc spec --rootless`).
nlohmann::json defaultSpec(bool rootless);

/// defaultSpec(rootless) as `runc spec` writes it: runc's key order, tab-indented, trailing
/// newline-free.
std::string defaultSpecText(bool rootless);

} // namespace husk::spec
