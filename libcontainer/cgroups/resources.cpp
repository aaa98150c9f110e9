#include "libcontainer/cgroups/resources.h"

#include <array>
#include <limits>
#include <utility>

#include "spec/parse.h"

namespace husk::cgroups {

namespace {

const std::string kRes = "linux.resources";

// A map key as a path element: linux.resources.unified["memory.high"] (keys hold dots).
std::string keyPath(const std::string &base, const std::string &key)
{
    return spec::keyPath(base, key);
}

std::string indexPath(const std::string &base, size_t i)
{
    return base + "[" + std::to_string(i) + "]";
}

std::string num(int64_t v)
{
    return std::to_string(v);
}

std::string num(uint64_t v)
{
    return std::to_string(v);
}

std::string devNum(int64_t major, int64_t minor)
{
    return num(major) + ":" + num(minor);
}

bool hasSpace(const std::string &s)
{
    return s.find_first_of(" \t\n") != std::string::npos;
}

// runc's convention, which podman and docker rely on: 0 means "not set" for these fields.
bool memorySet(const spec::Memory &m)
{
    return m.limit.value_or(0) != 0 || m.reservation.value_or(0) != 0 || m.swap.value_or(0) != 0 ||
           m.swappiness || m.disableOomKiller || m.useHierarchy;
}

bool cpuSet(const spec::Cpu &c)
{
    return c.shares.value_or(0) != 0 || c.quota.value_or(0) != 0 || c.period.value_or(0) != 0 ||
           c.burst || c.realtimeRuntime.value_or(0) != 0 || c.realtimePeriod.value_or(0) != 0 ||
           c.idle;
}

bool blockIoSet(const spec::BlockIo &b)
{
    return b.weight.value_or(0) != 0 || b.leafWeight.value_or(0) != 0 || !b.weightDevice.empty() ||
           !b.throttleReadBpsDevice.empty() || !b.throttleWriteBpsDevice.empty() ||
           !b.throttleReadIopsDevice.empty() || !b.throttleWriteIopsDevice.empty();
}

// The four throttle lists: spec name, v1 file, v2 io.max key.
struct Throttle {
    const char *field;
    const char *v1File;
    const char *v2Key;
    std::vector<spec::ThrottleDevice> spec::BlockIo::*list;
};

constexpr std::array<Throttle, 4> kThrottles = {{
    {"throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps",
     &spec::BlockIo::throttleReadBpsDevice},
    {"throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps",
     &spec::BlockIo::throttleWriteBpsDevice},
    {"throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops",
     &spec::BlockIo::throttleReadIopsDevice},
    {"throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops",
     &spec::BlockIo::throttleWriteIopsDevice},
}};

Result<void> checkWeight(const std::optional<uint16_t> &w, const std::string &field)
{
    // runtime-spec: "weight ... range is from 10 to 1000" (0 is runc's "not set").
    if (w && *w != 0 && (*w < 10 || *w > 1000))
        return fail(field + ": " + std::to_string(*w) + " is out of range (10-1000)");
    return {};
}

Result<void> checkMemory(const spec::Memory &m)
{
    const std::string f = kRes + ".memory";
    for (const auto &[name, value] :
         {std::pair{"limit", m.limit}, std::pair{"reservation", m.reservation},
          std::pair{"swap", m.swap}})
        if (value && *value < -1)
            return fail(f + "." + name + ": " + num(*value) +
                        " is neither -1 (unlimited) nor a number of bytes");
    if (m.swappiness && *m.swappiness > 100)
        return fail(f + ".swappiness: " + num(*m.swappiness) + " is out of range (0-100)");
    int64_t limit = m.limit.value_or(0);
    int64_t swap = m.swap.value_or(0);
    if (limit > 0 && swap > 0 && swap < limit)
        return fail(f + ".swap: " + num(swap) + " is below memory.limit " + num(limit) +
                    " (swap counts memory plus swap)");
    return {};
}

Result<void> checkCpu(const spec::Cpu &c)
{
    const std::string f = kRes + ".cpu";
    // The kernel clamps cpu.shares silently (sched_group_set_shares); refuse instead of
    // applying something other than what was asked.
    if (c.shares && *c.shares != 0 && (*c.shares < 2 || *c.shares > 262144))
        return fail(f + ".shares: " + num(*c.shares) + " is out of range (2-262144)");
    if (c.quota && *c.quota < -1)
        return fail(f + ".quota: " + num(*c.quota) + " is neither -1 (unlimited) nor a quota");
    if (c.idle && *c.idle != 0 && *c.idle != 1)
        return fail(f + ".idle: " + num(*c.idle) + " is neither 0 nor 1");
    return {};
}

Result<void> checkBlockIo(const spec::BlockIo &b)
{
    const std::string f = kRes + ".blockIO";
    HUSK_TRY(checkWeight(b.weight, f + ".weight"));
    HUSK_TRY(checkWeight(b.leafWeight, f + ".leafWeight"));
    for (size_t i = 0; i < b.weightDevice.size(); ++i) {
        std::string p = indexPath(f + ".weightDevice", i);
        HUSK_TRY(checkWeight(b.weightDevice[i].weight, p + ".weight"));
        HUSK_TRY(checkWeight(b.weightDevice[i].leafWeight, p + ".leafWeight"));
    }
    return {};
}

// Turns the set fields of linux.resources into writes, one resource group at a time.
class Planner
{
public:
    explicit Planner(const CgroupFacts &facts) : facts_(facts) {}

    Result<void> devices(const std::vector<spec::DeviceRule> &rules);
    Result<void> memory(const spec::Memory &m);
    Result<void> cpu(const spec::Cpu &c);
    Result<void> pids(int64_t limit);
    Result<void> blockIo(const spec::BlockIo &b);
    Result<void> hugepages(const std::vector<spec::HugepageLimit> &limits);
    Result<void> network(const spec::Network &n);
    Result<void> rdma(const std::map<std::string, spec::Rdma> &devices);
    Result<void> unified(const std::map<std::string, std::string> &keys);

    ResourcePlan plan;

private:
    bool has(Version v, const std::string &file) const
    {
        return facts_.hasFile && facts_.hasFile(v, file);
    }
    void add(Version v, std::string file, std::string value, std::string field,
             bool retryOnEinval = false)
    {
        plan.writes.push_back(
            {v, std::move(file), std::move(value), std::move(field), retryOnEinval});
    }
    // Where a controller is: its v1 hierarchy if it has one, else cgroup2 (where it may have
    // another name: blkio is io there; an empty v2 name means there is no v2 equivalent).
    Result<Version> where(const std::string &v1Name, const std::string &v2Name,
                          const std::string &field) const
    {
        if (facts_.v1.contains(v1Name))
            return Version::V1;
        if (!v2Name.empty() && facts_.unified && facts_.v2.contains(v2Name))
            return Version::V2;
        std::string what = "the " + v1Name + " controller";
        if (!v2Name.empty() && v2Name != v1Name)
            what += " (" + v2Name + " on cgroup v2)";
        what += " is not available on this host";
        if (v2Name.empty())
            what += " (cgroup v2 has none)";
        return fail(field + ": " + what);
    }

    Result<void> memoryV1(const spec::Memory &m);
    Result<void> memoryV2(const spec::Memory &m);
    Result<void> cpuV1(const spec::Cpu &c);
    Result<void> cpuV2(const spec::Cpu &c);
    Result<void> blockIoV1(const spec::BlockIo &b);
    Result<void> blockIoV2(const spec::BlockIo &b);
    Result<void> checkBeforeUpdate(const spec::Memory &m) const;

    const CgroupFacts &facts_;
};

Result<void> Planner::devices(const std::vector<spec::DeviceRule> &rules)
{
    if (rules.empty())
        return {};
    if (facts_.v1.contains("devices")) {
        for (CgroupWrite &w : v1DeviceWrites(rules))
            add(Version::V1, std::move(w.file), std::move(w.value), kRes + ".devices");
        return {};
    }
    // cgroup v2 has no devices files: the rules become an eBPF program (devices_bpf.h).
    if (facts_.unified) {
        plan.bpfDevices = true;
        return {};
    }
    return fail(kRes + ".devices: the devices controller is not available on this host");
}

Result<void> Planner::checkBeforeUpdate(const spec::Memory &m) const
{
    // runtime-spec: with checkBeforeUpdate, a limit below the current usage is refused
    // instead of reclaiming (v1: EBUSY after a reclaim attempt) or OOM-killing (v2).
    int64_t limit = m.limit.value_or(0);
    if (m.checkBeforeUpdate.value_or(false) && limit > 0 && facts_.memoryUsage &&
        *facts_.memoryUsage > static_cast<uint64_t>(limit))
        return fail(kRes + ".memory.limit: " + num(limit) + " is below the current usage " +
                    num(*facts_.memoryUsage) + " (checkBeforeUpdate)");
    return {};
}

Result<void> Planner::memory(const spec::Memory &m)
{
    const std::string f = kRes + ".memory";
    if (m.kernel)
        plan.warnings.push_back(f + ".kernel is deprecated and ignored");
    if (m.kernelTcp) {
        // Applied where the kernel still has the v1 file (as crun does); cgroup v2 and newer
        // kernels account TCP memory with the rest and have no separate limit.
        if (facts_.v1.contains("memory") && facts_.hasFile &&
            facts_.hasFile(Version::V1, "memory.kmem.tcp.limit_in_bytes"))
            add(Version::V1, "memory.kmem.tcp.limit_in_bytes", num(*m.kernelTcp), f + ".kernelTCP");
        else
            plan.warnings.push_back(f + ".kernelTCP: no memory.kmem.tcp.limit_in_bytes on this "
                                        "host (cgroup v2 or a newer kernel); ignored");
    }
    if (!memorySet(m))
        return {};
    Version v = HUSK_TRY(where("memory", "memory", f));
    HUSK_TRY(checkBeforeUpdate(m));
    return v == Version::V1 ? memoryV1(m) : memoryV2(m);
}

Result<void> Planner::memoryV1(const spec::Memory &m)
{
    const std::string f = kRes + ".memory";
    const std::string memsw = "memory.memsw.limit_in_bytes";
    int64_t limit = m.limit.value_or(0);
    int64_t swap = m.swap.value_or(0);
    std::string swapField = f + ".swap";
    // runc: an unlimited memory limit without a swap value lifts the swap limit too, or the
    // old memsw limit would still cap the container.
    if (limit == -1 && swap == 0 && has(Version::V1, memsw)) {
        swap = -1;
        swapField = f + ".limit";
    }
    if (swap != 0 && !has(Version::V1, memsw))
        return fail(f + ".swap: swap accounting is not available on this host (no " + memsw + ")");
    // The kernel keeps limit_in_bytes <= memsw.limit_in_bytes after every single write, so
    // when swap rises above the current limit it goes first, otherwise the limit does (runc's
    // setMemoryAndSwap).
    bool swapFirst =
        limit != 0 && swap != 0 &&
        (swap == -1 || (facts_.memoryLimit && *facts_.memoryLimit < static_cast<uint64_t>(swap)));
    if (swapFirst)
        add(Version::V1, memsw, num(swap), swapField);
    if (limit != 0)
        add(Version::V1, "memory.limit_in_bytes", num(limit), f + ".limit");
    if (!swapFirst && swap != 0)
        add(Version::V1, memsw, num(swap), swapField);
    if (int64_t r = m.reservation.value_or(0); r != 0)
        add(Version::V1, "memory.soft_limit_in_bytes", num(r), f + ".reservation");
    if (m.disableOomKiller)
        add(Version::V1, "memory.oom_control", *m.disableOomKiller ? "1" : "0",
            f + ".disableOOMKiller");
    if (m.swappiness)
        add(Version::V1, "memory.swappiness", num(*m.swappiness), f + ".swappiness");
    if (m.useHierarchy)
        add(Version::V1, "memory.use_hierarchy", *m.useHierarchy ? "1" : "0", f + ".useHierarchy");
    return {};
}

Result<void> Planner::memoryV2(const spec::Memory &m)
{
    const std::string f = kRes + ".memory";
    if (m.swappiness)
        plan.warnings.push_back(f + ".swappiness has no cgroup v2 equivalent and is ignored");
    if (m.disableOomKiller.value_or(false))
        plan.warnings.push_back(
            f + ".disableOOMKiller: cgroup v2 cannot disable the OOM killer; ignored");
    if (m.useHierarchy && !*m.useHierarchy)
        plan.warnings.push_back(f + ".useHierarchy: cgroup v2 is always hierarchical; ignored");
    int64_t limit = m.limit.value_or(0);
    int64_t swap = m.swap.value_or(0);
    // v1's swap value is memory plus swap; v2's memory.swap.max is swap alone (runc's
    // ConvertMemorySwapToCgroupV2Value). -1 is "max" either way.
    std::optional<std::string> swapMax;
    std::string swapField = f + ".swap";
    if (limit == -1 && swap == 0) {
        swapMax = "max";
        swapField = f + ".limit";
    } else if (swap == -1) {
        swapMax = "max";
    } else if (swap > 0) {
        // An update of swap alone is taken against the limit in force.
        int64_t mem = limit;
        if (mem == 0 && facts_.memoryLimit &&
            *facts_.memoryLimit <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            mem = static_cast<int64_t>(*facts_.memoryLimit);
        if (mem <= 0)
            return fail(f + ".swap: a swap limit needs a memory limit");
        if (swap < mem)
            return fail(f + ".swap: " + num(swap) + " is below the memory limit " + num(mem) +
                        " (swap counts memory plus swap)");
        swapMax = num(swap - mem);
    }
    if (swapMax) {
        if (has(Version::V2, "memory.swap.max"))
            add(Version::V2, "memory.swap.max", *swapMax, swapField);
        else if (*swapMax != "max" && *swapMax != "0") // nothing to lift or to forbid
            return fail(f + ".swap: swap accounting is not available on this host (no "
                            "memory.swap.max)");
    }
    if (limit != 0)
        add(Version::V2, "memory.max", limit == -1 ? "max" : num(limit), f + ".limit");
    if (int64_t r = m.reservation.value_or(0); r != 0)
        add(Version::V2, "memory.low", r == -1 ? "max" : num(r), f + ".reservation");
    return {};
}

Result<void> Planner::cpu(const spec::Cpu &c)
{
    const std::string f = kRes + ".cpu";
    if (cpuSet(c)) {
        Version v = HUSK_TRY(where("cpu", "cpu", f));
        HUSK_TRY(v == Version::V1 ? cpuV1(c) : cpuV2(c));
    }
    if (c.cpus.empty() && c.mems.empty())
        return {};
    Version v = HUSK_TRY(where("cpuset", "cpuset", f + (c.cpus.empty() ? ".mems" : ".cpus")));
    if (!c.cpus.empty())
        add(v, "cpuset.cpus", c.cpus, f + ".cpus");
    if (!c.mems.empty())
        add(v, "cpuset.mems", c.mems, f + ".mems");
    return {};
}

Result<void> Planner::cpuV1(const spec::Cpu &c)
{
    const std::string f = kRes + ".cpu";
    const Version v1 = Version::V1;
    int64_t quota = c.quota.value_or(0);
    if (uint64_t shares = c.shares.value_or(0); shares != 0)
        add(v1, "cpu.shares", num(shares), f + ".shares");
    // A shorter period or a larger burst can be refused (EINVAL) until the new quota is in:
    // runc's order is period, burst, quota, then period and burst again.
    if (uint64_t period = c.period.value_or(0); period != 0)
        add(v1, "cpu.cfs_period_us", num(period), f + ".period", quota != 0);
    if (c.burst) {
        if (!has(v1, "cpu.cfs_burst_us"))
            return fail(f + ".burst: this kernel has no cpu.cfs_burst_us (Linux 5.14)");
        add(v1, "cpu.cfs_burst_us", num(*c.burst), f + ".burst", quota != 0);
    }
    if (quota != 0)
        add(v1, "cpu.cfs_quota_us", num(quota), f + ".quota");
    if (c.idle) {
        if (!has(v1, "cpu.idle"))
            return fail(f + ".idle: this kernel has no cpu.idle (Linux 5.15)");
        add(v1, "cpu.idle", num(*c.idle), f + ".idle");
    }
    int64_t rtRuntime = c.realtimeRuntime.value_or(0);
    uint64_t rtPeriod = c.realtimePeriod.value_or(0);
    if (rtRuntime == 0 && rtPeriod == 0)
        return {};
    if (!has(v1, "cpu.rt_runtime_us"))
        return fail(f + (rtRuntime != 0 ? ".realtimeRuntime" : ".realtimePeriod") +
                    ": this kernel has no real-time group scheduling (CONFIG_RT_GROUP_SCHED)");
    // Same dance as period and quota: the pair must fit together at every step.
    if (rtPeriod != 0)
        add(v1, "cpu.rt_period_us", num(rtPeriod), f + ".realtimePeriod", rtRuntime != 0);
    if (rtRuntime != 0)
        add(v1, "cpu.rt_runtime_us", num(rtRuntime), f + ".realtimeRuntime");
    return {};
}

Result<void> Planner::cpuV2(const spec::Cpu &c)
{
    const std::string f = kRes + ".cpu";
    const Version v2 = Version::V2;
    if (c.realtimeRuntime.value_or(0) != 0)
        return fail(f + ".realtimeRuntime: cgroup v2 has no real-time group scheduling");
    if (c.realtimePeriod.value_or(0) != 0)
        return fail(f + ".realtimePeriod: cgroup v2 has no real-time group scheduling");
    int64_t quota = c.quota.value_or(0);
    uint64_t period = c.period.value_or(0);
    if (uint64_t shares = c.shares.value_or(0); shares != 0)
        add(v2, "cpu.weight", num(sharesToWeight(shares)), f + ".shares");
    if (c.idle) {
        if (!has(v2, "cpu.idle"))
            return fail(f + ".idle: this kernel has no cpu.idle (Linux 5.15)");
        add(v2, "cpu.idle", num(*c.idle), f + ".idle");
    }
    if (c.burst) {
        if (!has(v2, "cpu.max.burst"))
            return fail(f + ".burst: this kernel has no cpu.max.burst (Linux 5.14)");
        add(v2, "cpu.max.burst", num(*c.burst), f + ".burst", quota != 0);
    }
    if (quota == 0 && period == 0)
        return {};
    // cpu.max is "QUOTA [PERIOD]" and the quota is not optional: a period-only change keeps
    // the quota in force (runc would write "max" and drop it).
    std::string q = "max";
    if (quota > 0) {
        q = num(quota);
    } else if (quota == 0 && !facts_.cpuMax.empty()) {
        q = facts_.cpuMax.substr(0, facts_.cpuMax.find_first_of(" \n"));
    }
    add(v2, "cpu.max", period != 0 ? q + " " + num(period) : q,
        quota != 0 ? f + ".quota" : f + ".period");
    return {};
}

Result<void> Planner::pids(int64_t limit)
{
    const std::string f = kRes + ".pids";
    Version v = HUSK_TRY(where("pids", "pids", f));
    // podman sends a pids limit by default. 0 or a negative value means no limit.
    add(v, "pids.max", limit > 0 ? num(limit) : "max", f + ".limit");
    return {};
}

Result<void> Planner::blockIo(const spec::BlockIo &b)
{
    if (!blockIoSet(b))
        return {};
    Version v = HUSK_TRY(where("blkio", "io", kRes + ".blockIO"));
    return v == Version::V1 ? blockIoV1(b) : blockIoV2(b);
}

Result<void> Planner::blockIoV1(const spec::BlockIo &b)
{
    const std::string f = kRes + ".blockIO";
    const Version v1 = Version::V1;
    // CFQ had blkio.weight; with blk-mq only BFQ offers weights, as blkio.bfq.weight (runc
    // picks the same way).
    std::string weightFile, weightDeviceFile;
    if (has(v1, "blkio.weight")) {
        weightFile = "blkio.weight";
        weightDeviceFile = "blkio.weight_device";
    } else if (has(v1, "blkio.bfq.weight")) {
        weightFile = "blkio.bfq.weight";
        weightDeviceFile = "blkio.bfq.weight_device";
    }
    const std::string noWeight =
        ": this kernel has neither blkio.weight nor blkio.bfq.weight (no CFQ or BFQ scheduler)";
    const std::string noLeaf = ": this kernel has no blkio.leaf_weight (it went with CFQ)";
    if (uint16_t w = b.weight.value_or(0); w != 0) {
        if (weightFile.empty())
            return fail(f + ".weight" + noWeight);
        add(v1, weightFile, num(uint64_t{w}), f + ".weight");
    }
    if (uint16_t w = b.leafWeight.value_or(0); w != 0) {
        if (!has(v1, "blkio.leaf_weight"))
            return fail(f + ".leafWeight" + noLeaf);
        add(v1, "blkio.leaf_weight", num(uint64_t{w}), f + ".leafWeight");
    }
    for (size_t i = 0; i < b.weightDevice.size(); ++i) {
        const spec::WeightDevice &d = b.weightDevice[i];
        std::string p = indexPath(f + ".weightDevice", i);
        if (uint16_t w = d.weight.value_or(0); w != 0) {
            if (weightDeviceFile.empty())
                return fail(p + ".weight" + noWeight);
            add(v1, weightDeviceFile, devNum(d.major, d.minor) + " " + num(uint64_t{w}),
                p + ".weight");
        }
        if (uint16_t w = d.leafWeight.value_or(0); w != 0) {
            if (!has(v1, "blkio.leaf_weight_device"))
                return fail(p + ".leafWeight" + noLeaf);
            add(v1, "blkio.leaf_weight_device", devNum(d.major, d.minor) + " " + num(uint64_t{w}),
                p + ".leafWeight");
        }
    }
    for (const Throttle &t : kThrottles) {
        const auto &list = b.*t.list;
        if (!list.empty() && !has(v1, t.v1File))
            return fail(f + "." + t.field + ": this kernel has no " + t.v1File +
                        " (CONFIG_BLK_DEV_THROTTLING)");
        for (size_t i = 0; i < list.size(); ++i)
            add(v1, t.v1File, devNum(list[i].major, list[i].minor) + " " + num(list[i].rate),
                indexPath(f + "." + t.field, i));
    }
    return {};
}

Result<void> Planner::blockIoV2(const spec::BlockIo &b)
{
    const std::string f = kRes + ".blockIO";
    const Version v2 = Version::V2;
    // BFQ takes blkio's own scale; the default io.weight (iocost) has 1-10000.
    bool bfq = has(v2, "io.bfq.weight");
    if (b.leafWeight.value_or(0) != 0)
        return fail(f + ".leafWeight: cgroup v2 has no leaf weight");
    auto weightWrite = [&](const std::string &prefix, uint16_t w,
                           const std::string &field) -> Result<void> {
        if (bfq) {
            add(v2, "io.bfq.weight", prefix + num(uint64_t{w}), field);
            return {};
        }
        if (!has(v2, "io.weight"))
            return fail(field + ": this kernel has neither io.bfq.weight nor io.weight");
        add(v2, "io.weight", prefix + num(blkioToIoWeight(w)), field);
        return {};
    };
    if (uint16_t w = b.weight.value_or(0); w != 0)
        HUSK_TRY(weightWrite("", w, f + ".weight"));
    for (size_t i = 0; i < b.weightDevice.size(); ++i) {
        const spec::WeightDevice &d = b.weightDevice[i];
        std::string p = indexPath(f + ".weightDevice", i);
        if (d.leafWeight.value_or(0) != 0)
            return fail(p + ".leafWeight: cgroup v2 has no leaf weight");
        if (uint16_t w = d.weight.value_or(0); w != 0)
            HUSK_TRY(weightWrite(devNum(d.major, d.minor) + " ", w, p + ".weight"));
    }
    for (const Throttle &t : kThrottles) {
        const auto &list = b.*t.list;
        if (!list.empty() && !has(v2, "io.max"))
            return fail(f + "." + t.field +
                        ": this kernel has no io.max (CONFIG_BLK_DEV_THROTTLING)");
        for (size_t i = 0; i < list.size(); ++i)
            add(v2, "io.max",
                devNum(list[i].major, list[i].minor) + " " + t.v2Key + "=" + num(list[i].rate),
                indexPath(f + "." + t.field, i));
    }
    return {};
}

Result<void> Planner::hugepages(const std::vector<spec::HugepageLimit> &limits)
{
    if (limits.empty())
        return {};
    const std::string f = kRes + ".hugepageLimits";
    Version v = HUSK_TRY(where("hugetlb", "hugetlb", f));
    const char *suffix = v == Version::V1 ? ".limit_in_bytes" : ".max";
    for (size_t i = 0; i < limits.size(); ++i) {
        std::string p = indexPath(f, i);
        std::string base = "hugetlb." + limits[i].pageSize;
        if (!has(v, base + suffix))
            return fail(p + ".pageSize: this host has no " + limits[i].pageSize +
                        " huge pages (no " + base + suffix + ")");
        add(v, base + suffix, num(limits[i].limit), p + ".limit");
        // Reservations (Linux 5.7) are limited alike, or a mapping could reserve beyond the
        // limit and fault later (runc does the same).
        if (has(v, base + ".rsvd" + suffix))
            add(v, base + ".rsvd" + suffix, num(limits[i].limit), p + ".limit");
    }
    return {};
}

Result<void> Planner::network(const spec::Network &n)
{
    const std::string f = kRes + ".network";
    if (n.classId) {
        HUSK_TRY(where("net_cls", "", f + ".classID"));
        add(Version::V1, "net_cls.classid", num(uint64_t{*n.classId}), f + ".classID");
    }
    if (n.priorities.empty())
        return {};
    HUSK_TRY(where("net_prio", "", f + ".priorities"));
    for (size_t i = 0; i < n.priorities.size(); ++i)
        add(Version::V1, "net_prio.ifpriomap",
            n.priorities[i].name + " " + num(uint64_t{n.priorities[i].priority}),
            indexPath(f + ".priorities", i));
    return {};
}

Result<void> Planner::rdma(const std::map<std::string, spec::Rdma> &devices)
{
    if (devices.empty())
        return {};
    const std::string f = kRes + ".rdma";
    Version v = HUSK_TRY(where("rdma", "rdma", f));
    for (const auto &[device, limits] : devices) {
        std::string line = device;
        if (limits.hcaHandles)
            line += " hca_handle=" + num(uint64_t{*limits.hcaHandles});
        if (limits.hcaObjects)
            line += " hca_object=" + num(uint64_t{*limits.hcaObjects});
        add(v, "rdma.max", line, keyPath(f, device));
    }
    return {};
}

Result<void> Planner::unified(const std::map<std::string, std::string> &keys)
{
    if (keys.empty())
        return {};
    const std::string f = kRes + ".unified";
    if (!facts_.unified)
        return fail(f + ": cgroup v2 is not mounted on this host");
    // Written last, so an explicit key wins over the value a typed field produced.
    for (const auto &[key, value] : keys) {
        std::string p = keyPath(f, key);
        std::string controller = key.substr(0, key.find('.'));
        if (controller != "cgroup" && !facts_.v2.contains(controller))
            return fail(p + ": the " + controller +
                        " controller is not available on cgroup v2 on this host");
        if (!has(Version::V2, key))
            return fail(p + ": this host has no cgroup v2 file " + key);
        add(Version::V2, key, value, p);
    }
    return {};
}

} // namespace

const std::vector<spec::DeviceRule> &defaultDeviceRules()
{
    auto rule = [](const char *type, int64_t major, int64_t minor, const char *access) {
        spec::DeviceRule r;
        r.allow = true;
        r.type = type;
        if (major >= 0)
            r.major = major;
        if (minor >= 0)
            r.minor = minor;
        r.access = access;
        return r;
    };
    // null, zero, full, random, urandom, tty, console, ptmx, and the pty slaves.
    static const std::vector<spec::DeviceRule> rules = {
        rule("c", -1, -1, "m"), rule("b", -1, -1, "m"),    rule("c", 1, 3, "rwm"),
        rule("c", 1, 5, "rwm"), rule("c", 1, 7, "rwm"),    rule("c", 1, 8, "rwm"),
        rule("c", 1, 9, "rwm"), rule("c", 5, 0, "rwm"),    rule("c", 5, 1, "rwm"),
        rule("c", 5, 2, "rwm"), rule("c", 136, -1, "rwm"),
    };
    return rules;
}

std::string deviceRuleText(const spec::DeviceRule &r)
{
    if (r.type == "a" || r.type.empty())
        return "a";
    std::string s = r.type + " ";
    s += r.major && *r.major >= 0 ? std::to_string(*r.major) : "*";
    s += ":";
    s += r.minor && *r.minor >= 0 ? std::to_string(*r.minor) : "*";
    s += " " + (r.access.empty() ? std::string("rwm") : r.access);
    return s;
}

std::vector<CgroupWrite> v1DeviceWrites(const std::vector<spec::DeviceRule> &rules)
{
    std::vector<CgroupWrite> out;
    for (const spec::DeviceRule &r : rules)
        out.push_back({r.allow ? "devices.allow" : "devices.deny", deviceRuleText(r)});
    for (const spec::DeviceRule &d : defaultDeviceRules())
        out.push_back({"devices.allow", deviceRuleText(d)});
    return out;
}

Result<void> checkResources(const spec::Resources &r)
{
    if (r.memory)
        HUSK_TRY(checkMemory(*r.memory));
    if (r.cpu)
        HUSK_TRY(checkCpu(*r.cpu));
    if (r.blockIo)
        HUSK_TRY(checkBlockIo(*r.blockIo));
    if (r.network)
        for (size_t i = 0; i < r.network->priorities.size(); ++i) {
            const std::string &name = r.network->priorities[i].name;
            if (name.empty() || hasSpace(name))
                return fail(indexPath(kRes + ".network.priorities", i) + ".name: \"" + name +
                            "\" is not an interface name");
        }
    for (const auto &[device, limits] : r.rdma)
        if (device.empty() || hasSpace(device))
            return fail(keyPath(kRes + ".rdma", device) + ": not an RDMA device name");
    for (const auto &[key, value] : r.unified) {
        // A key is a file in the container's own directory: never a path that leaves it.
        size_t dot = key.find('.');
        if (dot == 0 || dot == std::string::npos || dot + 1 == key.size() ||
            key.find('/') != std::string::npos || hasSpace(key))
            return fail(keyPath(kRes + ".unified", key) +
                        ": a key must be a cgroup v2 file name, CONTROLLER.PARAMETER");
    }
    return {};
}

Result<ResourcePlan> planResources(const spec::Resources &r, const CgroupFacts &facts)
{
    HUSK_TRY(checkResources(r));
    Planner p(facts);
    HUSK_TRY(p.devices(r.devices));
    if (r.memory)
        HUSK_TRY(p.memory(*r.memory));
    if (r.cpu)
        HUSK_TRY(p.cpu(*r.cpu));
    if (r.pidsLimit)
        HUSK_TRY(p.pids(*r.pidsLimit));
    if (r.blockIo)
        HUSK_TRY(p.blockIo(*r.blockIo));
    HUSK_TRY(p.hugepages(r.hugepageLimits));
    if (r.network)
        HUSK_TRY(p.network(*r.network));
    HUSK_TRY(p.rdma(r.rdma));
    HUSK_TRY(p.unified(r.unified));
    return std::move(p.plan);
}

std::set<std::string> v2ControllersUsed(const spec::Resources &r)
{
    std::set<std::string> out;
    if (r.memory && memorySet(*r.memory))
        out.insert("memory");
    if (r.cpu && cpuSet(*r.cpu))
        out.insert("cpu");
    if (r.cpu && (!r.cpu->cpus.empty() || !r.cpu->mems.empty()))
        out.insert("cpuset");
    if (r.pidsLimit)
        out.insert("pids");
    if (r.blockIo && blockIoSet(*r.blockIo))
        out.insert("io");
    if (!r.hugepageLimits.empty())
        out.insert("hugetlb");
    if (!r.rdma.empty())
        out.insert("rdma");
    for (const auto &[key, value] : r.unified)
        if (std::string c = key.substr(0, key.find('.')); c != "cgroup")
            out.insert(c);
    return out;
}

uint64_t sharesToWeight(uint64_t shares)
{
    if (shares < 2)
        return 1;
    return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkioToIoWeight(uint64_t weight)
{
    if (weight < 10)
        return 1;
    return 1 + (weight - 10) * 9999 / 990;
}

} // namespace husk::cgroups
