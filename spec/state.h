#pragma once

// The OCI state of a container (runtime.md, "State") as husk prints and passes it.

#include <sys/types.h>

#include <ctime>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace husk::spec {

/// What `husk state` reports; a superset of the OCI state, as runc's.
struct State {
    std::string ociVersion;
    std::string id;
    std::string status; // creating, created, running, paused, stopped
    int pid = 0;        // 0 once stopped, as runc
    std::string bundle;
    std::map<std::string, std::string> annotations;
    std::string rootfs;
    std::string created; // RFC 3339 with nanoseconds, see formatCreated()
    std::string owner;
};

/// `runc state` output: 2-space indented, keys ociVersion, id, pid, status, bundle, rootfs,
/// created, annotations (omitted when empty), owner; no trailing newline.
std::string stateJson(const State &s);

/// The OCI state for hooks' stdin (ociVersion, id, status, pid, bundle, annotations); compact
/// with dump(). pid is omitted when 0 and annotations when empty, as runc.
nlohmann::json stateObject(const State &s);

/// The name of the notify fd in the "fds" array of a container process state (runtime-spec's
/// SeccompFdName).
inline constexpr const char *kSeccompFdName = "seccompFd";

/// The "container process state" a seccomp agent gets with the notify fd (config-linux.md,
/// Seccomp): ociVersion, fds ["seccompFd"], pid, metadata (omitted when empty, as runc) and
/// state (stateObject() of state, its pid set to pid).
nlohmann::json containerProcessState(const State &state, pid_t pid, const std::string &metadata);
/// containerProcessState as the text sent: compact, invalid UTF-8 (an annotation, the metadata)
/// written as U+FFFD as Go's encoder does, where the strict handler would throw.
std::string containerProcessStateText(const State &state, pid_t pid, const std::string &metadata);

/// A UTC time as Go's RFC3339Nano ("2024-05-01T10:20:30.123456789Z", trailing zeros dropped).
std::string formatCreated(const struct timespec &ts);

} // namespace husk::spec
