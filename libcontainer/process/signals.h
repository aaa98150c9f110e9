#pragma once

#include <signal.h>

#include <string>
#include <string_view>

#include "common/result.h"

namespace husk {

/// Parses a signal as `kill` takes it: "KILL", "SIGKILL", "9", "RTMIN+3". Pure.
[[nodiscard]] Result<int> parseSignal(std::string_view text);

/// The name of a signal without the SIG prefix ("KILL"), or its number as text.
std::string signalName(int sig);

/// Blocks a set of signals for as long as it lives, then restores the previous mask.
class BlockedSignals
{
public:
    explicit BlockedSignals(const sigset_t &set) { ::sigprocmask(SIG_BLOCK, &set, &old_); }
    ~BlockedSignals() { ::sigprocmask(SIG_SETMASK, &old_, nullptr); }
    BlockedSignals(const BlockedSignals &) = delete;
    BlockedSignals &operator=(const BlockedSignals &) = delete;

private:
    sigset_t old_;
};

} // namespace husk
