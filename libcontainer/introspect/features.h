#pragma once

// `husk features`: the runtime-spec's Features structure (features.md, features-linux.md).
//
// Every list is read from the table the config parser itself uses (mount options, hooks,
// namespaces, capabilities, seccomp, memory policy), and the intelRdt and netDevices booleans
// are what checkSupported accepts, so nothing here can claim more than `create` does. As the
// spec asks, the structure describes this build, not the host: `enabled` means husk implements
// it (AppArmor is enabled even where the kernel has no AppArmor; `husk check` reports the
// host). The one exception the spec defines is seccomp's supportedFlags: the known flags this
// kernel accepts.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "spec/config.h"

namespace husk {

/// What only the runtime binary knows about its build.
struct BuildInfo {
    std::string version; // "0.1.0"
    std::string commit;  // git commit, "unknown" outside a checkout
};

/// The version annotation keys, as runc's org.opencontainers.runc.* ones.
inline constexpr const char *kVersionAnnotation = "run.husk.version";
/// The commit annotation key.
inline constexpr const char *kCommitAnnotation = "run.husk.commit";
/// The libseccomp version annotation key.
inline constexpr const char *kLibseccompAnnotation = "io.github.seccomp.libseccomp.version";

/// The Features structure of this build as of runtime-spec ociVersionMax ("1.2.0"), keys in the
/// spec's order. features.md forbids properties newer than ociVersionMax, so memoryPolicy,
/// netDevices and intelRdt's schemata and monitoring (1.3.0) appear only from "1.3.0" on.
/// Probes the kernel only for linux.seccomp.supportedFlags.
nlohmann::ordered_json featuresJson(const BuildInfo &build,
                                    std::string_view ociVersionMax = spec::kSpecVersion);

} // namespace husk
