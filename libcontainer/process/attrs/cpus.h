#pragma once

// CPU and NUMA node lists in the kernel's format, and CPU affinity (process.execCPUAffinity).

#include <sched.h>

#include <string_view>
#include <vector>

#include "common/result.h"

namespace husk {

/// The highest CPU or node number a list may name (CPU_SETSIZE and the kernel's MAX_NUMNODES
/// bound).
inline constexpr unsigned kMaxListId = 1023;

/// Parses a kernel list ("0-3,7", spaces allowed around items) into a CPU set; field names the
/// spec path in errors. An empty list is an error here: callers treat "" as "not set". Pure.
[[nodiscard]] Result<cpu_set_t> parseCpuList(std::string_view list, std::string_view field);
/// Parses a node list into set_mempolicy's bitmask (64 nodes a word). Pure.
[[nodiscard]] Result<std::vector<unsigned long>> parseNodeList(std::string_view list,
                                                               std::string_view field);
/// sched_setaffinity() of the calling thread.
[[nodiscard]] Result<void> applyCpuAffinity(const cpu_set_t &cpus);

} // namespace husk
