#pragma once

// process.ioPriority: ioprio_set(2).

#include "common/result.h"
#include "spec/config.h"

namespace husk {

/// The ioprio_set(2) value (class << 13 | level) of process.ioPriority. Pure.
[[nodiscard]] Result<int> planIoPriority(const spec::IoPriority &ioPriority);
/// ioprio_set(IOPRIO_WHO_PROCESS, 0, value) on the calling process.
[[nodiscard]] Result<void> applyIoPriority(int value);

} // namespace husk
