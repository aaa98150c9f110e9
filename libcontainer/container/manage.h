#pragma once

// pause, resume, update and events: the commands that act on a container's cgroup.

#include <cstdint>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "libcontainer/container/container.h"

namespace husk {

/// Freezes every process of a running (or created) container; status becomes "paused".
[[nodiscard]] Result<void> pauseContainer(const GlobalOptions &g, const std::string &id);

/// Thaws a paused container.
[[nodiscard]] Result<void> resumeContainer(const GlobalOptions &g, const std::string &id);

/// Applies a linux.resources object (only the members it has) to a live container and
/// records it in the container's stored config, so it survives.
[[nodiscard]] Result<void> updateContainer(const GlobalOptions &g, const std::string &id,
                                           const nlohmann::json &resources);

/// `events` options.
struct EventsOptions {
    int64_t intervalMs = 5000; // between stats events
    bool statsOnce = false;    // --stats: one stats event, then return
};

/// Writes runc-style events as JSON lines: {"type":"stats","id":...,"data":{...}} every
/// interval and {"type":"oom","id":...} for each OOM kill, until the container stops.
[[nodiscard]] Result<void> containerEvents(const GlobalOptions &g, const std::string &id,
                                           const EventsOptions &o, std::ostream &out);

/// Parses runc's `update` resource flags into a linux.resources object (memory sizes accept
/// k/m/g/t suffixes, -1 is unlimited). Pure.
struct UpdateFlags {
    std::string memory, memorySwap, memoryReservation, kernelMemory;
    std::string cpuShares, cpuQuota, cpuPeriod, cpuRtPeriod, cpuRtRuntime, cpusetCpus, cpusetMems,
        pidsLimit, blkioWeight;
    std::string l3CacheSchema, memBwSchema; // linux.intelRdt, not linux.resources
};
[[nodiscard]] Result<nlohmann::json> updateResources(const UpdateFlags &f);

/// A Go-style duration ("5s", "100ms", "1m", "1h30m") or plain seconds, in ms. Pure.
[[nodiscard]] Result<int64_t> parseDurationMs(const std::string &text);

} // namespace husk
