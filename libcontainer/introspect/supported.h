#pragma once

#include "common/result.h"
#include "spec/config.h"

namespace husk {

/// Fails with "<field path>: not supported yet" for the first config property this build does
/// not apply: the spec requires every property to be applied, so none is silently ignored.
[[nodiscard]] Result<void> checkSupported(const spec::Config &config);

} // namespace husk
