#pragma once

#include <string_view>

#include "common/result.h"

namespace husk {

/// The longest container id accepted (fits a file name with room for suffixes).
constexpr size_t kMaxIdLength = 1024;

/// Checks a container id: [A-Za-z0-9][A-Za-z0-9_.+-]*, no "/" and no "..", bounded length.
[[nodiscard]] Result<void> validateId(std::string_view id);

} // namespace husk
