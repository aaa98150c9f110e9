#pragma once

// The config `husk spec` writes: runc's default document, plus husk's built-in seccomp profiles
// and Landlock presets on request.

#include <string>

#include "common/result.h"

namespace husk::spec {

/// What `husk spec` was asked for.
struct SpecOptions {
    bool rootless = false;
    std::string seccomp;  // "", default, strict, audit, unconfined
    std::string landlock; // "", server, desktop
};

/// The config.json text, in runc's key order, tab-indented.
[[nodiscard]] Result<std::string> specTemplateText(const SpecOptions &o);

} // namespace husk::spec
