#pragma once

// Semantic checks of a parsed config, done before anything is created. Pure: no file system
// or kernel access, so the checks that need one (does the rootfs exist, is a namespace path
// a namespace of the right type, is a capability known to this kernel, seccomp actions) are
// left to libcontainer. Each error names the JSON path it is about.

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "spec/config.h"

namespace husk::spec {

/// Checks a whole config for create/run; returns the first problem found.
[[nodiscard]] Result<void> validate(const Config &c);

/// Checks a process (config.process at "process", exec's process.json at "").
[[nodiscard]] Result<void> validateProcess(const Process &p, const std::string &path);

/// Checks that ociVersion is a SemVer 2.0.0 version with major 1 ("1.2.0", "1.0.2-dev").
[[nodiscard]] Result<void> validateOciVersion(std::string_view version);

/// The RLIMIT_* resource number of a spec rlimit type ("RLIMIT_NOFILE"), or nullopt.
std::optional<int> rlimitResource(std::string_view type);

} // namespace husk::spec
