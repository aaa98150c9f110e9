#pragma once

// Internal to spec/: the pieces of validate() that live in other files.

#include "common/result.h"
#include "spec/config.h"

namespace husk::spec::detail {

/// Checks config.linux together with the rest of the config it depends on (namespaces).
[[nodiscard]] Result<void> validateLinux(const Config &c);

} // namespace husk::spec::detail
