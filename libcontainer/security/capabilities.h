#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "spec/config.h"

namespace husk {

/// The five capability sets as bit masks (bit n = capability n).
struct CapSets {
    uint64_t bounding = 0;
    uint64_t effective = 0;
    uint64_t inheritable = 0;
    uint64_t permitted = 0;
    uint64_t ambient = 0;
};

/// The number of a capability name ("CAP_SYS_ADMIN"); nullopt when unknown.
std::optional<int> capabilityFromName(std::string_view name);

/// The name of a capability number, or "" when unknown.
std::string_view capabilityName(int cap);

/// The highest capability husk knows by name.
int lastKnownCapability();

/// The highest capability this kernel supports (/proc/sys/kernel/cap_last_cap).
int kernelLastCapability();

/// Turns process.capabilities into masks. An unknown name is an error naming the set; a known
/// name above lastCap (an older kernel) is dropped with a warning, as runc does.
[[nodiscard]] Result<CapSets> capabilitySets(const spec::Capabilities &caps, int lastCap);

/// Drops every capability not in `bounding` from the bounding set (needs CAP_SETPCAP).
[[nodiscard]] Result<void> dropBoundingSet(uint64_t bounding, int lastCap);

/// Sets effective, permitted and inheritable with capset(2), then the ambient set.
[[nodiscard]] Result<void> applyCapabilities(const CapSets &caps, int lastCap);

} // namespace husk
