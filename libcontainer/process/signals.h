#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace husk {

/// Parses a signal as `kill` takes it: "KILL", "SIGKILL", "9", "RTMIN+3". Pure.
[[nodiscard]] Result<int> parseSignal(std::string_view text);

/// The name of a signal without the SIG prefix ("KILL"), or its number as text.
std::string signalName(int sig);

} // namespace husk
