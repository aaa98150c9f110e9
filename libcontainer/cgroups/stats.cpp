#include "libcontainer/cgroups/stats.h"

#include <unistd.h>

#include <limits>
#include <optional>
#include <sstream>

#include "common/text.h"

namespace husk::cgroups {

namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> words(std::string_view line)
{
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
            ++i;
        size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t')
            ++i;
        if (i > start)
            out.push_back(line.substr(start, i - start));
    }
    return out;
}

std::vector<std::string_view> lines(std::string_view text)
{
    std::vector<std::string_view> out;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        if (!line.empty())
            out.push_back(line);
        if (nl == std::string_view::npos)
            break;
        text.remove_prefix(nl + 1);
    }
    return out;
}

// "8:16" -> (8, 16).
std::optional<std::pair<uint64_t, uint64_t>> parseDevice(std::string_view s)
{
    size_t colon = s.find(':');
    if (colon == std::string_view::npos)
        return std::nullopt;
    auto major = parseNumber<uint64_t>(s.substr(0, colon));
    auto minor = parseNumber<uint64_t>(s.substr(colon + 1));
    if (!major || !minor)
        return std::nullopt;
    return std::pair{*major, *minor};
}

// v1 blkio files: "8:0 Read 4096" or "8:0 4096"; the closing "Total N" line is skipped.
std::vector<BlkioEntry> parseBlkioFile(std::string_view text)
{
    std::vector<BlkioEntry> out;
    for (std::string_view line : lines(text)) {
        std::vector<std::string_view> w = words(line);
        if (w.size() < 2 || w.size() > 3)
            continue;
        auto dev = parseDevice(w[0]);
        auto value = parseNumber<uint64_t>(w.back());
        if (!dev || !value)
            continue;
        out.push_back({dev->first, dev->second, w.size() == 3 ? std::string(w[1]) : "", *value});
    }
    return out;
}

// Reads one controller's files through the reader; ENOENT means absent.
class Collector
{
public:
    Collector(const CgroupFacts &facts, const CgroupReader &read) : facts_(facts), read_(read) {}

    Result<void> cpu(CpuStats &out) const;
    Result<void> cpuset(CpusetStats &out) const;
    Result<void> memory(MemoryStats &out) const;
    Result<void> pids(PidsStats &out) const;
    Result<void> blkio(BlkioStats &out) const;
    Result<void> hugetlb(const std::vector<std::string> &sizes,
                         std::map<std::string, HugetlbStats> &out) const;

private:
    // The version hosting a controller, or nothing.
    std::optional<Version> where(const std::string &v1Name, const std::string &v2Name) const
    {
        if (facts_.v1.contains(v1Name))
            return Version::V1;
        if (facts_.unified && (v2Name.empty() || facts_.v2.contains(v2Name)))
            return Version::V2;
        return std::nullopt;
    }
    Result<std::optional<std::string>> text(Version v, const std::string &file) const
    {
        auto r = read_(v, file);
        if (r)
            return std::optional(std::move(*r));
        if (r.error().code() == ENOENT)
            return std::optional<std::string>();
        return std::unexpected(std::move(r.error()).context("stats"));
    }
    // A single-number file; "max" is kMax.
    Result<std::optional<uint64_t>> number(Version v, const std::string &file) const
    {
        auto t = HUSK_TRY(text(v, file));
        if (!t)
            return std::optional<uint64_t>();
        auto n = parseCgroupNumber(*t);
        if (!n)
            return fail("stats: " + file + ": not a number: \"" + std::string(trim(*t)) + "\"");
        return n;
    }
    Result<uint64_t> numberOr0(Version v, const std::string &file) const
    {
        auto n = HUSK_TRY(number(v, file));
        return n.value_or(0);
    }
    Result<std::map<std::string, uint64_t>> keyed(Version v, const std::string &file) const
    {
        auto t = HUSK_TRY(text(v, file));
        return t ? parseFlatKeyed(*t) : std::map<std::string, uint64_t>{};
    }
    Result<std::vector<uint64_t>> numberList(Version v, const std::string &file) const
    {
        auto t = HUSK_TRY(text(v, file));
        std::vector<uint64_t> out;
        if (t)
            for (std::string_view w : words(*t))
                if (auto n = parseNumber<uint64_t>(trim(w)))
                    out.push_back(*n);
        return out;
    }
    // v1 memory counters of a prefix ("memory", "memory.memsw", "memory.kmem").
    Result<MemoryEntry> memoryEntryV1(const std::string &prefix) const;

    const CgroupFacts &facts_;
    const CgroupReader &read_;
};

Result<void> Collector::cpu(CpuStats &out) const
{
    CpuUsage &u = out.usage;
    if (auto v = where("cpuacct", ""); v == Version::V1) {
        u.total = HUSK_TRY(numberOr0(*v, "cpuacct.usage"));
        auto user = HUSK_TRY(number(*v, "cpuacct.usage_user"));
        auto sys = HUSK_TRY(number(*v, "cpuacct.usage_sys"));
        if (user && sys) {
            u.user = *user;
            u.kernel = *sys;
        } else {
            // Older kernels only have cpuacct.stat, in USER_HZ ticks.
            auto stat = HUSK_TRY(keyed(*v, "cpuacct.stat"));
            uint64_t hz = static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
            if (hz == 0)
                hz = 100;
            u.user = stat["user"] * 1'000'000'000 / hz;
            u.kernel = stat["system"] * 1'000'000'000 / hz;
        }
        u.percpu = HUSK_TRY(numberList(*v, "cpuacct.usage_percpu"));
        // "cpu user system" then one line per cpu.
        if (auto all = HUSK_TRY(text(*v, "cpuacct.usage_all")))
            for (std::string_view line : lines(*all)) {
                std::vector<std::string_view> w = words(line);
                auto user = w.size() >= 3 ? parseNumber<uint64_t>(w[1]) : std::nullopt;
                auto sys = w.size() >= 3 ? parseNumber<uint64_t>(w[2]) : std::nullopt;
                if (user && sys) {
                    u.percpuUser.push_back(*user);
                    u.percpuKernel.push_back(*sys);
                }
            }
    } else if (v == Version::V2) {
        // cpu.stat's usage lines are core: present without the cpu controller.
        auto stat = HUSK_TRY(keyed(*v, "cpu.stat"));
        u.total = stat["usage_usec"] * 1000;
        u.user = stat["user_usec"] * 1000;
        u.kernel = stat["system_usec"] * 1000;
    }
    if (auto v = where("cpu", "cpu")) {
        auto stat = HUSK_TRY(keyed(*v, "cpu.stat"));
        out.throttling.periods = stat["nr_periods"];
        out.throttling.throttledPeriods = stat["nr_throttled"];
        out.throttling.throttledTime =
            *v == Version::V1 ? stat["throttled_time"] : stat["throttled_usec"] * 1000;
    }
    return {};
}

Result<void> Collector::cpuset(CpusetStats &out) const
{
    auto v = where("cpuset", "cpuset");
    if (!v)
        return {};
    // v2 has no such knobs; its effective sets are what the tasks may use.
    const std::string suffix = *v == Version::V2 ? ".effective" : "";
    out.cpus = parseCpuList(HUSK_TRY(text(*v, "cpuset.cpus" + suffix)).value_or(""));
    out.mems = parseCpuList(HUSK_TRY(text(*v, "cpuset.mems" + suffix)).value_or(""));
    if (*v == Version::V2)
        return {};
    const std::pair<const char *, uint64_t CpusetStats::*> flags[] = {
        {"cpuset.cpu_exclusive", &CpusetStats::cpuExclusive},
        {"cpuset.mem_hardwall", &CpusetStats::memHardwall},
        {"cpuset.mem_exclusive", &CpusetStats::memExclusive},
        {"cpuset.memory_migrate", &CpusetStats::memoryMigrate},
        {"cpuset.memory_spread_page", &CpusetStats::memorySpreadPage},
        {"cpuset.memory_spread_slab", &CpusetStats::memorySpreadSlab},
        {"cpuset.memory_pressure", &CpusetStats::memoryPressure},
        {"cpuset.sched_load_balance", &CpusetStats::schedLoadBalance},
    };
    for (const auto &[file, member] : flags)
        out.*member = HUSK_TRY(numberOr0(*v, file));
    // The only signed one: -1 means "use the system default".
    if (auto t = HUSK_TRY(text(*v, "cpuset.sched_relax_domain_level")))
        out.schedRelaxDomainLevel = parseNumber<int64_t>(trim(*t)).value_or(0);
    return {};
}

Result<MemoryEntry> Collector::memoryEntryV1(const std::string &prefix) const
{
    MemoryEntry e;
    auto usage = HUSK_TRY(number(Version::V1, prefix + ".usage_in_bytes"));
    if (!usage) // swap accounting or kmem compiled out
        return e;
    e.usage = *usage;
    e.max = HUSK_TRY(numberOr0(Version::V1, prefix + ".max_usage_in_bytes"));
    e.failcnt = HUSK_TRY(numberOr0(Version::V1, prefix + ".failcnt"));
    e.limit = HUSK_TRY(numberOr0(Version::V1, prefix + ".limit_in_bytes")); // kmem: gone in 5.16+
    return e;
}

Result<void> Collector::memory(MemoryStats &out) const
{
    auto v = where("memory", "memory");
    if (!v)
        return {};
    out.raw = HUSK_TRY(keyed(*v, "memory.stat"));
    if (*v == Version::V1) {
        out.cache = out.raw.contains("cache") ? out.raw["cache"] : 0;
        out.usage = HUSK_TRY(memoryEntryV1("memory"));
        out.swap = HUSK_TRY(memoryEntryV1("memory.memsw"));
        out.kernel = HUSK_TRY(memoryEntryV1("memory.kmem"));
        out.kernelTcp = HUSK_TRY(memoryEntryV1("memory.kmem.tcp"));
        return {};
    }
    out.cache = out.raw.contains("file") ? out.raw["file"] : 0;
    out.usage.usage = HUSK_TRY(numberOr0(*v, "memory.current"));
    out.usage.limit = HUSK_TRY(numberOr0(*v, "memory.max"));
    out.usage.max = HUSK_TRY(numberOr0(*v, "memory.peak")); // Linux 5.19
    // v2 counts hitting the limit in memory.events "max" (v1's failcnt).
    out.usage.failcnt = HUSK_TRY(keyed(*v, "memory.events"))["max"];
    // v1 reports swap as memory plus swap; so does runc on v2, and so does husk.
    if (auto swap = HUSK_TRY(number(*v, "memory.swap.current"))) {
        uint64_t swapLimit = HUSK_TRY(numberOr0(*v, "memory.swap.max"));
        out.swap.usage = *swap + out.usage.usage;
        out.swap.limit =
            swapLimit == kMax || out.usage.limit == kMax ? kMax : swapLimit + out.usage.limit;
        out.swap.failcnt = HUSK_TRY(keyed(*v, "memory.swap.events"))["max"];
    }
    return {};
}

Result<void> Collector::pids(PidsStats &out) const
{
    auto v = where("pids", "");
    if (!v)
        return {};
    auto current = HUSK_TRY(number(*v, "pids.current"));
    if (current) {
        out.current = *current;
        uint64_t limit = HUSK_TRY(numberOr0(*v, "pids.max"));
        out.limit = limit == kMax ? 0 : limit; // runc reports "max" as 0
        return {};
    }
    if (*v == Version::V2) // no pids controller here: count the members
        if (auto procs = HUSK_TRY(text(*v, "cgroup.procs")))
            out.current = lines(*procs).size();
    return {};
}

Result<void> Collector::blkio(BlkioStats &out) const
{
    auto v = where("blkio", "io");
    if (!v)
        return {};
    if (*v == Version::V2) {
        std::string stat = HUSK_TRY(text(*v, "io.stat")).value_or("");
        for (std::string_view line : lines(stat)) {
            std::vector<std::string_view> w = words(line);
            auto dev = w.empty() ? std::nullopt : parseDevice(w[0]);
            if (!dev)
                continue;
            for (size_t i = 1; i < w.size(); ++i) {
                size_t eq = w[i].find('=');
                auto value = eq == std::string_view::npos
                                 ? std::nullopt
                                 : parseNumber<uint64_t>(w[i].substr(eq + 1));
                if (!value)
                    continue;
                std::string_view key = w[i].substr(0, eq);
                BlkioEntry e{dev->first, dev->second, key[0] == 'r' ? "Read" : "Write", *value};
                if (key == "rbytes" || key == "wbytes")
                    out.ioServiceBytesRecursive.push_back(e);
                else if (key == "rios" || key == "wios")
                    out.ioServicedRecursive.push_back(e);
            }
        }
        return {};
    }
    // Which files carry numbers depends on the scheduler (CFQ, BFQ) and on throttling: take
    // the first that exists and is not empty, in runc's order of preference.
    const std::pair<std::vector<const char *>, std::vector<BlkioEntry> BlkioStats::*> lists[] = {
        {{"blkio.io_service_bytes_recursive", "blkio.bfq.io_service_bytes_recursive",
          "blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_service_bytes"},
         &BlkioStats::ioServiceBytesRecursive},
        {{"blkio.io_serviced_recursive", "blkio.bfq.io_serviced_recursive",
          "blkio.throttle.io_serviced_recursive", "blkio.throttle.io_serviced"},
         &BlkioStats::ioServicedRecursive},
        {{"blkio.io_queued_recursive", "blkio.bfq.io_queued_recursive"},
         &BlkioStats::ioQueuedRecursive},
        {{"blkio.io_service_time_recursive", "blkio.bfq.io_service_time_recursive"},
         &BlkioStats::ioServiceTimeRecursive},
        {{"blkio.io_wait_time_recursive", "blkio.bfq.io_wait_time_recursive"},
         &BlkioStats::ioWaitTimeRecursive},
        {{"blkio.io_merged_recursive", "blkio.bfq.io_merged_recursive"},
         &BlkioStats::ioMergedRecursive},
        {{"blkio.time_recursive", "blkio.bfq.time_recursive"}, &BlkioStats::ioTimeRecursive},
        {{"blkio.sectors_recursive", "blkio.bfq.sectors_recursive"}, &BlkioStats::sectorsRecursive},
    };
    for (const auto &[files, member] : lists)
        for (const char *file : files) {
            auto t = HUSK_TRY(text(*v, file));
            if (!t)
                continue;
            out.*member = parseBlkioFile(*t);
            if (!(out.*member).empty())
                break;
        }
    return {};
}

Result<void> Collector::hugetlb(const std::vector<std::string> &sizes,
                                std::map<std::string, HugetlbStats> &out) const
{
    auto v = where("hugetlb", "hugetlb");
    if (!v)
        return {};
    for (const std::string &size : sizes) {
        std::string base = "hugetlb." + size;
        HugetlbStats h;
        // Reservation counters (Linux 5.7) include pages reserved but not yet faulted, which
        // is what the limit applies to; runc prefers them too.
        if (*v == Version::V1) {
            std::string prefix = base + ".rsvd";
            auto usage = HUSK_TRY(number(*v, prefix + ".usage_in_bytes"));
            if (!usage) {
                prefix = base;
                usage = HUSK_TRY(number(*v, prefix + ".usage_in_bytes"));
            }
            if (!usage)
                continue;
            h.usage = *usage;
            h.max = HUSK_TRY(numberOr0(*v, prefix + ".max_usage_in_bytes"));
            h.failcnt = HUSK_TRY(numberOr0(*v, prefix + ".failcnt"));
        } else {
            auto usage = HUSK_TRY(number(*v, base + ".rsvd.current"));
            if (!usage)
                usage = HUSK_TRY(number(*v, base + ".current"));
            if (!usage)
                continue;
            h.usage = *usage;
            h.failcnt = HUSK_TRY(keyed(*v, base + ".events"))["max"];
        }
        out[size] = h;
    }
    return {};
}

bool isZero(const MemoryEntry &e)
{
    return e.limit == 0 && e.usage == 0 && e.max == 0 && e.failcnt == 0;
}

// Go's encoding/json "omitempty" for the numbers and lists of runc's types.
void putIf(nlohmann::json &j, const char *key, uint64_t v)
{
    if (v != 0)
        j[key] = v;
}

template <typename T> void putIf(nlohmann::json &j, const char *key, const std::vector<T> &v)
{
    if (!v.empty())
        j[key] = v;
}

nlohmann::json memoryEntryJson(const MemoryEntry &e)
{
    nlohmann::json j = {{"limit", e.limit}, {"failcnt", e.failcnt}};
    putIf(j, "usage", e.usage);
    putIf(j, "max", e.max);
    return j;
}

nlohmann::json blkioListJson(const std::vector<BlkioEntry> &list)
{
    nlohmann::json a = nlohmann::json::array();
    for (const BlkioEntry &e : list) {
        nlohmann::json j = nlohmann::json::object();
        putIf(j, "major", e.major);
        putIf(j, "minor", e.minor);
        if (!e.op.empty())
            j["op"] = e.op;
        putIf(j, "value", e.value);
        a.push_back(std::move(j));
    }
    return a;
}

nlohmann::json cpuJson(const CpuStats &c)
{
    nlohmann::json j = nlohmann::json::object();
    const CpuUsage &u = c.usage;
    // runc marks usage and throttling omitzero: absent when every field is zero.
    if (u.total || u.kernel || u.user || !u.percpu.empty() || !u.percpuKernel.empty() ||
        !u.percpuUser.empty()) {
        nlohmann::json usage = {{"kernel", u.kernel}, {"user", u.user}};
        putIf(usage, "total", u.total);
        putIf(usage, "percpu", u.percpu);
        putIf(usage, "percpu_kernel", u.percpuKernel);
        putIf(usage, "percpu_user", u.percpuUser);
        j["usage"] = std::move(usage);
    }
    const Throttling &t = c.throttling;
    if (t.periods || t.throttledPeriods || t.throttledTime) {
        nlohmann::json th = nlohmann::json::object();
        putIf(th, "periods", t.periods);
        putIf(th, "throttledPeriods", t.throttledPeriods);
        putIf(th, "throttledTime", t.throttledTime);
        j["throttling"] = std::move(th);
    }
    return j;
}

nlohmann::json cpusetJson(const CpusetStats &c)
{
    nlohmann::json j = {
        {"cpu_exclusive", c.cpuExclusive},
        {"mem_hardwall", c.memHardwall},
        {"mem_exclusive", c.memExclusive},
        {"memory_migrate", c.memoryMigrate},
        {"memory_spread_page", c.memorySpreadPage},
        {"memory_spread_slab", c.memorySpreadSlab},
        {"memory_pressure", c.memoryPressure},
        {"sched_load_balance", c.schedLoadBalance},
        {"sched_relax_domain_level", c.schedRelaxDomainLevel},
    };
    putIf(j, "cpus", c.cpus);
    putIf(j, "mems", c.mems);
    return j;
}

nlohmann::json memoryJson(const MemoryStats &m)
{
    nlohmann::json j = nlohmann::json::object();
    putIf(j, "cache", m.cache);
    const std::pair<const char *, const MemoryEntry *> entries[] = {
        {"usage", &m.usage}, {"swap", &m.swap}, {"kernel", &m.kernel}, {"kernelTCP", &m.kernelTcp}};
    for (const auto &[key, e] : entries)
        if (!isZero(*e))
            j[key] = memoryEntryJson(*e);
    if (!m.raw.empty())
        j["raw"] = m.raw;
    return j;
}

} // namespace

std::map<std::string, uint64_t> parseFlatKeyed(std::string_view text)
{
    std::map<std::string, uint64_t> out;
    for (std::string_view line : lines(text)) {
        std::vector<std::string_view> w = words(line);
        if (w.size() != 2)
            continue;
        if (auto n = parseNumber<uint64_t>(w[1]))
            out[std::string(w[0])] = *n;
    }
    return out;
}

std::optional<uint64_t> parseCgroupNumber(std::string_view text)
{
    text = trim(text);
    if (text == "max")
        return kMax;
    return parseNumber<uint64_t>(text);
}

std::vector<uint16_t> parseCpuList(std::string_view text)
{
    std::vector<uint16_t> out;
    text = trim(text);
    while (!text.empty()) {
        size_t comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
        size_t dash = item.find('-');
        auto first = parseNumber<uint16_t>(item.substr(0, dash));
        auto last =
            dash == std::string_view::npos ? first : parseNumber<uint16_t>(item.substr(dash + 1));
        if (!first || !last || *last < *first)
            return {};
        for (uint32_t c = *first; c <= *last; ++c)
            out.push_back(static_cast<uint16_t>(c));
    }
    return out;
}

std::vector<std::string> hugePageSizeNames(const std::vector<std::string> &dirNames)
{
    std::vector<std::string> out;
    for (const std::string &d : dirNames) {
        // "hugepages-2048kB": the kernel names the cgroup files by magnitude (mem_fmt in
        // mm/hugetlb_cgroup.c): 2048kB -> 2MB, 1048576kB -> 1GB, 64kB -> 64KB.
        if (!d.starts_with("hugepages-") || !d.ends_with("kB"))
            continue;
        auto kb = parseNumber<uint64_t>(std::string_view(d).substr(10, d.size() - 12));
        if (!kb || *kb == 0)
            continue;
        if (*kb >= 1024 * 1024)
            out.push_back(std::to_string(*kb / (1024 * 1024)) + "GB");
        else if (*kb >= 1024)
            out.push_back(std::to_string(*kb / 1024) + "MB");
        else
            out.push_back(std::to_string(*kb) + "KB");
    }
    return out;
}

Result<Stats> collectStats(const CgroupFacts &facts, const std::vector<std::string> &hugePageSizes,
                           const CgroupReader &read)
{
    Collector c(facts, read);
    Stats s;
    HUSK_TRY(c.cpu(s.cpu));
    HUSK_TRY(c.cpuset(s.cpuset));
    HUSK_TRY(c.memory(s.memory));
    HUSK_TRY(c.pids(s.pids));
    HUSK_TRY(c.blkio(s.blkio));
    HUSK_TRY(c.hugetlb(hugePageSizes, s.hugetlb));
    return s;
}

nlohmann::json statsJson(const Stats &s)
{
    nlohmann::json pids = nlohmann::json::object();
    putIf(pids, "current", s.pids.current);
    putIf(pids, "limit", s.pids.limit);

    nlohmann::json blkio = nlohmann::json::object();
    const std::pair<const char *, const std::vector<BlkioEntry> *> lists[] = {
        {"ioServiceBytesRecursive", &s.blkio.ioServiceBytesRecursive},
        {"ioServicedRecursive", &s.blkio.ioServicedRecursive},
        {"ioQueueRecursive", &s.blkio.ioQueuedRecursive}, // sic: runc's JSON name
        {"ioServiceTimeRecursive", &s.blkio.ioServiceTimeRecursive},
        {"ioWaitTimeRecursive", &s.blkio.ioWaitTimeRecursive},
        {"ioMergedRecursive", &s.blkio.ioMergedRecursive},
        {"ioTimeRecursive", &s.blkio.ioTimeRecursive},
        {"sectorsRecursive", &s.blkio.sectorsRecursive},
    };
    for (const auto &[key, list] : lists)
        if (!list->empty())
            blkio[key] = blkioListJson(*list);

    nlohmann::json hugetlb = nlohmann::json::object();
    for (const auto &[size, h] : s.hugetlb) {
        nlohmann::json j = {{"failcnt", h.failcnt}};
        putIf(j, "usage", h.usage);
        putIf(j, "max", h.max);
        hugetlb[size] = std::move(j);
    }

    return {
        {"cpu", cpuJson(s.cpu)},
        {"cpuset", cpusetJson(s.cpuset)},
        {"memory", memoryJson(s.memory)},
        {"pids", std::move(pids)},
        {"blkio", std::move(blkio)},
        {"hugetlb", std::move(hugetlb)},
        {"intel_rdt", nlohmann::json::object()},
        {"network_interfaces", nullptr},
    };
}

} // namespace husk::cgroups
