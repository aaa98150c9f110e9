#pragma once

// Landlock (Documentation/userspace-api/landlock.rst): an unprivileged, stackable LSM that lets
// the container's init restrict file-system access, TCP bind/connect and IPC scopes for itself
// and everything it execs.
//
// The JSON shape follows the runtime-spec proposal, opencontainers/runtime-spec PR #1241
// (head 77ec826, "process.landlock"):
//
//   { "handledAccess": { "handledAccessFS": [...], "handledAccessNetwork": ["bind", "connect"] },
//     "rules": { "pathBeneath": [ { "allowedAccess": [...], "paths": ["/usr"] } ],
//                "networkPort": [ { "allowedAccess": ["connect"], "ports": [443] } ] },
//     "enableBestEffort": true }
//
// Also accepted: the older revision of the proposal (PR #1111): "ruleset" for "handledAccess" and
// "disableBestEffort" (the inverse of "enableBestEffort"). husk extensions: the kernel's names
// "bind_tcp" / "connect_tcp" for "bind" / "connect", the file right "ioctl_dev" (ABI 5) and
// "handledAccess.scoped": ["abstract_unix_socket", "signal"] (ABI 6).
//
// Flow: spec::landlockFromConfig (pure, at parse time: Config::landlock) -> fitToAbi(plan,
// landlockAbi()) (libcontainer/security/landlock.h, pure) -> applyLandlock in the init, after
// pivot_root, the user switch and the exec fifo, before seccomp and execve.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace husk::spec {

/// LANDLOCK_ACCESS_FS_* bits (the kernel's values; Debian 12's headers lack the newer ones).
constexpr uint64_t kLandlockFsExecute = 1ULL << 0;
constexpr uint64_t kLandlockFsWriteFile = 1ULL << 1;
constexpr uint64_t kLandlockFsReadFile = 1ULL << 2;
constexpr uint64_t kLandlockFsReadDir = 1ULL << 3;
constexpr uint64_t kLandlockFsRemoveDir = 1ULL << 4;
constexpr uint64_t kLandlockFsRemoveFile = 1ULL << 5;
constexpr uint64_t kLandlockFsMakeChar = 1ULL << 6;
constexpr uint64_t kLandlockFsMakeDir = 1ULL << 7;
constexpr uint64_t kLandlockFsMakeReg = 1ULL << 8;
constexpr uint64_t kLandlockFsMakeSock = 1ULL << 9;
constexpr uint64_t kLandlockFsMakeFifo = 1ULL << 10;
constexpr uint64_t kLandlockFsMakeBlock = 1ULL << 11;
constexpr uint64_t kLandlockFsMakeSym = 1ULL << 12;
constexpr uint64_t kLandlockFsRefer = 1ULL << 13;    // ABI 2
constexpr uint64_t kLandlockFsTruncate = 1ULL << 14; // ABI 3
constexpr uint64_t kLandlockFsIoctlDev = 1ULL << 15; // ABI 5
/// LANDLOCK_ACCESS_NET_* bits (ABI 4).
constexpr uint64_t kLandlockNetBindTcp = 1ULL << 0;
constexpr uint64_t kLandlockNetConnectTcp = 1ULL << 1;
/// LANDLOCK_SCOPE_* bits (ABI 6).
constexpr uint64_t kLandlockScopeAbstractUnixSocket = 1ULL << 0;
constexpr uint64_t kLandlockScopeSignal = 1ULL << 1;

/// The rights a path-beneath rule may grant on a file that is not a directory.
constexpr uint64_t kLandlockFsFileRights = kLandlockFsExecute | kLandlockFsWriteFile |
                                           kLandlockFsReadFile | kLandlockFsTruncate |
                                           kLandlockFsIoctlDev;

/// rules.pathBeneath[]: the rights granted beneath each path.
struct LandlockPathRule {
    uint64_t access = 0;
    std::vector<std::string> paths;
};

/// rules.networkPort[]: the TCP rights granted on each port.
struct LandlockPortRule {
    uint64_t access = 0;
    std::vector<uint16_t> ports;
};

/// A parsed Landlock policy: what is handled (denied unless a rule allows it) and the rules.
struct LandlockPlan {
    uint64_t handledFs = 0;
    uint64_t handledNet = 0;
    uint64_t scoped = 0;
    std::vector<LandlockPathRule> pathRules;
    std::vector<LandlockPortRule> portRules;
    bool bestEffort = true;
    /// Set by fitToAbi: the rights the kernel's ABI lacks that best effort dropped ("truncate").
    std::vector<std::string> droppedRights;

    /// Whether the plan restricts anything (Landlock refuses an empty ruleset with ENOMSG).
    bool restrictsAnything() const { return (handledFs | handledNet | scoped) != 0; }
};

/// Parses a Landlock object; errors name the JSON path under fieldPath. nullopt when the object
/// restricts nothing (no handled rights and no scopes).
[[nodiscard]] Result<std::optional<LandlockPlan>> parseLandlock(const nlohmann::json &obj,
                                                                const std::string &fieldPath);

/// The annotation that carries a Landlock object as a JSON string.
constexpr const char *kLandlockAnnotation = "run.husk.landlock";

/// Finds and parses the policy of a whole config.json: process.landlock (the proposal),
/// linux.landlock or the run.husk.landlock annotation; more than one of them is an error.
[[nodiscard]] Result<std::optional<LandlockPlan>> landlockFromConfig(const nlohmann::json &config);

/// The three kinds of Landlock rights.
enum class LandlockKind { Fs, Net, Scope };

/// One right: its name in the proposal, its bit and the ABI that introduced it.
struct LandlockRight {
    const char *name;
    uint64_t bit;
    int abi;
};

/// Every right of a kind, canonical names first (aliases share a bit and follow).
std::span<const LandlockRight> landlockRights(LandlockKind kind);
/// "access right" or "scope", for messages.
const char *landlockKindNoun(LandlockKind kind);

/// The name of one access right bit of a kind ("fs", "net" or "scope"), "" when unknown.
std::string_view landlockRightName(std::string_view kind, uint64_t bit);

/// The Landlock object of `husk spec --landlock <name>` ("server" or "desktop"); nullopt when the
/// name is unknown.
std::optional<nlohmann::json> landlockPreset(std::string_view name);

} // namespace husk::spec
