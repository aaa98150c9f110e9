#pragma once

// linux.personality: personality(2).

#include "common/result.h"
#include "spec/config.h"

namespace husk {

/// The personality(2) value of linux.personality: the domain (LINUX, LINUX32) or'ed with the
/// flags (ADDR_NO_RANDOMIZE, ...; the spec lists none yet, husk takes the kernel's names). Pure.
[[nodiscard]] Result<unsigned long> planPersonality(const spec::Personality &personality);
/// personality() of the calling process; the persona survives execve.
[[nodiscard]] Result<void> applyPersonality(unsigned long persona);

} // namespace husk
