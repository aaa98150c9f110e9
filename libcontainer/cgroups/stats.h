#pragma once

// Resource usage of a container's cgroup, as `events --stats` reports it. Collection reads
// through a function, so the parsing of every v1 and v2 file is unit-tested from text; the
// JSON has the shape of runc's types.Stats (its "data" object), field names and omissions
// included, so tools written against runc read husk's output unchanged.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "libcontainer/cgroups/resources.h"

namespace husk::cgroups {

/// CPU time used, in nanoseconds.
struct CpuUsage {
    uint64_t total = 0;
    uint64_t kernel = 0;
    uint64_t user = 0;
    std::vector<uint64_t> percpu;       // v1 only
    std::vector<uint64_t> percpuKernel; // v1 only
    std::vector<uint64_t> percpuUser;   // v1 only
};

/// CFS bandwidth throttling (time in nanoseconds).
struct Throttling {
    uint64_t periods = 0;
    uint64_t throttledPeriods = 0;
    uint64_t throttledTime = 0;
};

/// cpu and cpuacct.
struct CpuStats {
    CpuUsage usage;
    Throttling throttling;
};

/// cpuset (the v1 knobs; v2 fills cpus and mems from the effective sets).
struct CpusetStats {
    std::vector<uint16_t> cpus;
    std::vector<uint16_t> mems;
    uint64_t cpuExclusive = 0;
    uint64_t memHardwall = 0;
    uint64_t memExclusive = 0;
    uint64_t memoryMigrate = 0;
    uint64_t memorySpreadPage = 0;
    uint64_t memorySpreadSlab = 0;
    uint64_t memoryPressure = 0;
    uint64_t schedLoadBalance = 0;
    int64_t schedRelaxDomainLevel = 0;
};

/// One memory counter set, in bytes; an unlimited limit is UINT64_MAX.
struct MemoryEntry {
    uint64_t limit = 0;
    uint64_t usage = 0;
    uint64_t max = 0;
    uint64_t failcnt = 0;
};

/// memory. swap is memory plus swap, on v2 too (as runc reports it).
struct MemoryStats {
    uint64_t cache = 0;
    MemoryEntry usage;
    MemoryEntry swap;
    MemoryEntry kernel;
    MemoryEntry kernelTcp;
    std::map<std::string, uint64_t> raw; // memory.stat as it is
};

/// pids; limit 0 means none.
struct PidsStats {
    uint64_t current = 0;
    uint64_t limit = 0;
};

/// One line of a blkio statistics file.
struct BlkioEntry {
    uint64_t major = 0;
    uint64_t minor = 0;
    std::string op; // "Read", "Write", "Sync", "Async", "Discard", "Total" or ""
    uint64_t value = 0;
};

/// blkio (v1) or io.stat (v2, which fills the first two lists).
struct BlkioStats {
    std::vector<BlkioEntry> ioServiceBytesRecursive;
    std::vector<BlkioEntry> ioServicedRecursive;
    std::vector<BlkioEntry> ioQueuedRecursive;
    std::vector<BlkioEntry> ioServiceTimeRecursive;
    std::vector<BlkioEntry> ioWaitTimeRecursive;
    std::vector<BlkioEntry> ioMergedRecursive;
    std::vector<BlkioEntry> ioTimeRecursive;
    std::vector<BlkioEntry> sectorsRecursive;
};

/// hugetlb for one page size, in bytes (max: peak usage, v1 only).
struct HugetlbStats {
    uint64_t usage = 0;
    uint64_t max = 0;
    uint64_t failcnt = 0;
};

/// Everything `events --stats` reports about a cgroup.
struct Stats {
    CpuStats cpu;
    CpusetStats cpuset;
    MemoryStats memory;
    PidsStats pids;
    BlkioStats blkio;
    std::map<std::string, HugetlbStats> hugetlb; // by page size, "2MB"
};

/// Reads a file of the container's cgroup for a version (v1: in the hierarchy named by the
/// file's prefix). A missing file or controller is an error with errno ENOENT.
using CgroupReader = std::function<Result<std::string>(Version, const std::string &file)>;

/// Collects stats, taking each controller from where facts places it (facts.hasFile is not
/// used: absent files are simply absent). hugePageSizes: "2MB", "1GB"...
[[nodiscard]] Result<Stats> collectStats(const CgroupFacts &facts,
                                         const std::vector<std::string> &hugePageSizes,
                                         const CgroupReader &read);

/// The page-size names the kernel uses in hugetlb files, from /sys/kernel/mm/hugepages
/// directory names ("hugepages-2048kB" -> "2MB"); unknown names are skipped. Pure.
std::vector<std::string> hugePageSizeNames(const std::vector<std::string> &dirNames);

/// runc's `events --stats` "data" object for s.
nlohmann::json statsJson(const Stats &s);

/// "key value" lines (memory.stat, cpu.stat, memory.events, cgroup.events) as a map; lines
/// that are not a key and one number are skipped.
std::map<std::string, uint64_t> parseFlatKeyed(std::string_view text);

/// A single-number cgroup file ("4096\n"; "max" is UINT64_MAX), or nothing if malformed.
std::optional<uint64_t> parseCgroupNumber(std::string_view text);

/// A cpu or node list ("0-3,8") as numbers; empty on malformed text.
std::vector<uint16_t> parseCpuList(std::string_view text);

} // namespace husk::cgroups
