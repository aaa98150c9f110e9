// libcontainer/cgroups/resources.h (linux.resources -> file writes), stats.h (parsing and
// runc's JSON) and devices_bpf.h (the v2 device filter, run here by a small interpreter). No
// root: the host is described by hand.

#define BOOST_TEST_MODULE cgroup_resources
#include "tests/unit/libcontainer_test_helpers.h"

#include <unistd.h>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "libcontainer/cgroups/devices_bpf.h"
#include "libcontainer/cgroups/resources.h"
#include "libcontainer/cgroups/stats.h"

using namespace husk;
using namespace husk::cgroups;
using namespace lc_test;

namespace {

// This machine: v1 controllers, cgroup2 holding hugetlb only.
const std::set<std::string> kHostV1 = {"cpu",   "cpuacct", "cpuset",  "memory",
                                       "blkio", "devices", "freezer", "pids"};

// A host description; files are "v1:memory.memsw.limit_in_bytes" / "v2:memory.swap.max".
CgroupFacts facts(std::set<std::string> v1, std::set<std::string> v2, bool unified,
                  std::set<std::string> files)
{
    CgroupFacts f;
    f.v1 = std::move(v1);
    f.v2 = std::move(v2);
    f.unified = unified;
    f.hasFile = [files = std::move(files)](Version v, const std::string &file) {
        return files.contains((v == Version::V1 ? "v1:" : "v2:") + file);
    };
    return f;
}

CgroupFacts v1Host(std::set<std::string> files = {})
{
    return facts(kHostV1, {}, false, std::move(files));
}

CgroupFacts v2Host(std::set<std::string> files = {})
{
    return facts({}, {"cpu", "cpuset", "io", "memory", "hugetlb", "pids", "rdma", "misc"}, true,
                 std::move(files));
}

// A plan as lines "v1 memory.limit_in_bytes=1024", retried writes marked " (retry)".
std::vector<std::string> lines(const ResourcePlan &p)
{
    std::vector<std::string> out;
    for (const ResourceWrite &w : p.writes)
        out.push_back(std::string(w.version == Version::V1 ? "v1 " : "v2 ") + w.file + "=" +
                      w.value + (w.retryOnEinval ? " (retry)" : ""));
    return out;
}

std::vector<std::string> fields(const ResourcePlan &p)
{
    std::vector<std::string> out;
    for (const ResourceWrite &w : p.writes)
        out.push_back(w.field);
    return out;
}

std::vector<std::string> planLines(const spec::Resources &r, const CgroupFacts &f)
{
    return lines(require(planResources(r, f)));
}

std::string planError(const spec::Resources &r, const CgroupFacts &f)
{
    return errorText(planResources(r, f));
}

spec::Resources withMemory(spec::Memory m)
{
    spec::Resources r;
    r.memory = std::move(m);
    return r;
}

spec::Resources withCpu(spec::Cpu c)
{
    spec::Resources r;
    r.cpu = std::move(c);
    return r;
}

spec::Resources withBlockIo(spec::BlockIo b)
{
    spec::Resources r;
    r.blockIo = std::move(b);
    return r;
}

using Lines = std::vector<std::string>;

} // namespace

BOOST_AUTO_TEST_SUITE(memory)

BOOST_AUTO_TEST_CASE(v1_every_field_raising)
{
    spec::Memory m;
    m.limit = 1 << 30;
    m.reservation = 512 << 20;
    m.swap = int64_t{2} << 30;
    m.swappiness = 60;
    m.disableOomKiller = true;
    m.useHierarchy = true;
    m.kernel = 1 << 20;
    m.kernelTcp = 1 << 20;
    CgroupFacts f = v1Host({"v1:memory.memsw.limit_in_bytes"});
    f.memoryLimit = 256 << 20; // below the new swap: swap goes first
    ResourcePlan p = require(planResources(withMemory(m), f));
    Lines expected = {
        "v1 memory.memsw.limit_in_bytes=2147483648",
        "v1 memory.limit_in_bytes=1073741824",
        "v1 memory.soft_limit_in_bytes=536870912",
        "v1 memory.oom_control=1",
        "v1 memory.swappiness=60",
        "v1 memory.use_hierarchy=1",
    };
    BOOST_TEST(lines(p) == expected, boost::test_tools::per_element());
    Lines expectedFields = {
        "linux.resources.memory.swap",        "linux.resources.memory.limit",
        "linux.resources.memory.reservation", "linux.resources.memory.disableOOMKiller",
        "linux.resources.memory.swappiness",  "linux.resources.memory.useHierarchy",
    };
    BOOST_TEST(fields(p) == expectedFields, boost::test_tools::per_element());
    Lines warnings = {"linux.resources.memory.kernel is deprecated and ignored",
                      "linux.resources.memory.kernelTCP: no memory.kmem.tcp.limit_in_bytes on "
                      "this host (cgroup v2 or a newer kernel); ignored"};
    BOOST_TEST(p.warnings == warnings, boost::test_tools::per_element());
    BOOST_TEST(!p.bpfDevices);
}

BOOST_AUTO_TEST_CASE(v1_kernel_tcp_where_the_file_exists)
{
    // crun applies kernelTCP where the v1 file is still there (this host's 6.18 has it).
    spec::Memory m;
    m.kernelTcp = 1 << 20;
    ResourcePlan p =
        require(planResources(withMemory(m), v1Host({"v1:memory.kmem.tcp.limit_in_bytes"})));
    BOOST_TEST(lines(p) == Lines{"v1 memory.kmem.tcp.limit_in_bytes=1048576"},
               boost::test_tools::per_element());
    BOOST_TEST(p.warnings.empty());
}

BOOST_AUTO_TEST_CASE(v1_lowering_writes_limit_first)
{
    spec::Memory m;
    m.limit = 64 << 20;
    m.swap = 128 << 20;
    CgroupFacts f = v1Host({"v1:memory.memsw.limit_in_bytes"});
    f.memoryLimit = 1 << 30; // above the new swap: the limit must come down first
    Lines expected = {"v1 memory.limit_in_bytes=67108864",
                      "v1 memory.memsw.limit_in_bytes=134217728"};
    BOOST_TEST(planLines(withMemory(m), f) == expected, boost::test_tools::per_element());
    // Unlimited swap always goes first (raising).
    m.swap = -1;
    Lines unlimited = {"v1 memory.memsw.limit_in_bytes=-1", "v1 memory.limit_in_bytes=67108864"};
    BOOST_TEST(planLines(withMemory(m), f) == unlimited, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(v1_unlimited_limit_lifts_swap)
{
    spec::Memory m;
    m.limit = -1;
    ResourcePlan p =
        require(planResources(withMemory(m), v1Host({"v1:memory.memsw.limit_in_bytes"})));
    Lines expected = {"v1 memory.memsw.limit_in_bytes=-1", "v1 memory.limit_in_bytes=-1"};
    BOOST_TEST(lines(p) == expected, boost::test_tools::per_element());
    BOOST_TEST(p.writes[0].field == "linux.resources.memory.limit");
    // Without swap accounting there is no swap limit to lift.
    Lines noSwap = {"v1 memory.limit_in_bytes=-1"};
    BOOST_TEST(planLines(withMemory(m), v1Host()) == noSwap, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(v1_swap_without_accounting)
{
    spec::Memory m;
    m.limit = 1 << 20;
    m.swap = 2 << 20;
    BOOST_TEST(planError(withMemory(m), v1Host()) ==
               "linux.resources.memory.swap: swap accounting is not available on this host (no "
               "memory.memsw.limit_in_bytes)");
}

BOOST_AUTO_TEST_CASE(v1_only_set_fields)
{
    // The update path: one field set gives one write; false booleans are written too.
    spec::Memory m;
    m.disableOomKiller = false;
    BOOST_TEST(planLines(withMemory(m), v1Host()) == Lines{"v1 memory.oom_control=0"},
               boost::test_tools::per_element());
    // runc's "0 is unset" for the sizes.
    spec::Memory zero;
    zero.limit = 0;
    zero.reservation = 0;
    zero.swap = 0;
    BOOST_TEST(planLines(withMemory(zero), v1Host()).empty());
    // Deprecated fields alone need no memory controller at all.
    spec::Memory kernelOnly;
    kernelOnly.kernel = 1;
    ResourcePlan p = require(planResources(withMemory(kernelOnly), facts({}, {}, false, {})));
    BOOST_TEST(p.writes.empty());
    BOOST_TEST(p.warnings.size() == 1U);
}

BOOST_AUTO_TEST_CASE(v2_conversions)
{
    spec::Memory m;
    m.limit = 1 << 30;
    m.swap = int64_t{3} << 30;
    m.reservation = 256 << 20;
    m.swappiness = 10;
    m.disableOomKiller = true;
    m.useHierarchy = false;
    ResourcePlan p = require(planResources(withMemory(m), v2Host({"v2:memory.swap.max"})));
    // memory.swap.max is swap alone: (memory+swap) - memory.
    Lines expected = {"v2 memory.swap.max=2147483648", "v2 memory.max=1073741824",
                      "v2 memory.low=268435456"};
    BOOST_TEST(lines(p) == expected, boost::test_tools::per_element());
    Lines warnings = {
        "linux.resources.memory.swappiness has no cgroup v2 equivalent and is ignored",
        "linux.resources.memory.disableOOMKiller: cgroup v2 cannot disable the OOM killer; "
        "ignored",
        "linux.resources.memory.useHierarchy: cgroup v2 is always hierarchical; ignored"};
    BOOST_TEST(p.warnings == warnings, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(v2_swap_values)
{
    CgroupFacts f = v2Host({"v2:memory.swap.max"});
    spec::Memory m;
    m.limit = -1; // unlimited memory lifts swap too
    BOOST_TEST(planLines(withMemory(m), f) ==
                   (Lines{"v2 memory.swap.max=max", "v2 memory.max=max"}),
               boost::test_tools::per_element());
    m.limit = 100;
    m.swap = 100; // memory+swap == memory: no swap
    BOOST_TEST(planLines(withMemory(m), f) == (Lines{"v2 memory.swap.max=0", "v2 memory.max=100"}),
               boost::test_tools::per_element());
    m.swap = -1;
    BOOST_TEST(planLines(withMemory(m), f) ==
                   (Lines{"v2 memory.swap.max=max", "v2 memory.max=100"}),
               boost::test_tools::per_element());
    // swap alone is taken against the limit in force.
    spec::Memory swapOnly;
    swapOnly.swap = 300;
    f.memoryLimit = 100;
    BOOST_TEST(planLines(withMemory(swapOnly), f) == Lines{"v2 memory.swap.max=200"},
               boost::test_tools::per_element());
    f.memoryLimit = UINT64_MAX; // "max"
    BOOST_TEST(planError(withMemory(swapOnly), f) ==
               "linux.resources.memory.swap: a swap limit needs a memory limit");
    f.memoryLimit = 500;
    BOOST_TEST(planError(withMemory(swapOnly), f) ==
               "linux.resources.memory.swap: 300 is below the memory limit 500 (swap counts "
               "memory plus swap)");
}

BOOST_AUTO_TEST_CASE(v2_without_swap_accounting)
{
    spec::Memory m;
    m.limit = -1;
    // Nothing to lift: skipped, as runc does.
    BOOST_TEST(planLines(withMemory(m), v2Host()) == Lines{"v2 memory.max=max"},
               boost::test_tools::per_element());
    m.limit = 100;
    m.swap = 100; // "0": nothing to forbid either
    BOOST_TEST(planLines(withMemory(m), v2Host()) == Lines{"v2 memory.max=100"},
               boost::test_tools::per_element());
    m.swap = 200;
    BOOST_TEST(planError(withMemory(m), v2Host()) ==
               "linux.resources.memory.swap: swap accounting is not available on this host (no "
               "memory.swap.max)");
}

BOOST_AUTO_TEST_CASE(check_before_update)
{
    spec::Memory m;
    m.limit = 1000;
    m.checkBeforeUpdate = true;
    CgroupFacts f = v2Host();
    f.memoryUsage = 2000;
    BOOST_TEST(planError(withMemory(m), f) == "linux.resources.memory.limit: 1000 is below the "
                                              "current usage 2000 (checkBeforeUpdate)");
    f.memoryUsage = 500;
    BOOST_TEST(planLines(withMemory(m), f) == Lines{"v2 memory.max=1000"},
               boost::test_tools::per_element());
    // Without the flag the kernel decides (reclaim, or OOM on v2).
    m.checkBeforeUpdate = false;
    f.memoryUsage = 2000;
    BOOST_TEST(planLines(withMemory(m), f) == Lines{"v2 memory.max=1000"},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(controller_missing)
{
    spec::Memory m;
    m.limit = 1 << 20;
    BOOST_TEST(planError(withMemory(m), facts({"cpu"}, {"hugetlb"}, true, {})) ==
               "linux.resources.memory: the memory controller is not available on this host");
    // Offered by cgroup2 but the container has no cgroup2 directory.
    BOOST_TEST(planError(withMemory(m), facts({}, {"memory"}, false, {})) ==
               "linux.resources.memory: the memory controller is not available on this host");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cpu)

BOOST_AUTO_TEST_CASE(v1_every_field)
{
    spec::Cpu c;
    c.shares = 512;
    c.period = 100000;
    c.quota = 50000;
    c.burst = 10000;
    c.idle = 0;
    c.realtimePeriod = 1000000;
    c.realtimeRuntime = 950000;
    c.cpus = "0-1";
    c.mems = "0";
    CgroupFacts f = v1Host({"v1:cpu.cfs_burst_us", "v1:cpu.idle", "v1:cpu.rt_runtime_us"});
    ResourcePlan p = require(planResources(withCpu(c), f));
    Lines expected = {
        "v1 cpu.shares=512",
        "v1 cpu.cfs_period_us=100000 (retry)",
        "v1 cpu.cfs_burst_us=10000 (retry)",
        "v1 cpu.cfs_quota_us=50000",
        "v1 cpu.idle=0",
        "v1 cpu.rt_period_us=1000000 (retry)",
        "v1 cpu.rt_runtime_us=950000",
        "v1 cpuset.cpus=0-1",
        "v1 cpuset.mems=0",
    };
    BOOST_TEST(lines(p) == expected, boost::test_tools::per_element());
    Lines expectedFields = {
        "linux.resources.cpu.shares",
        "linux.resources.cpu.period",
        "linux.resources.cpu.burst",
        "linux.resources.cpu.quota",
        "linux.resources.cpu.idle",
        "linux.resources.cpu.realtimePeriod",
        "linux.resources.cpu.realtimeRuntime",
        "linux.resources.cpu.cpus",
        "linux.resources.cpu.mems",
    };
    BOOST_TEST(fields(p) == expectedFields, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(v1_period_alone_is_not_retried)
{
    // Only a quota in the same update can make a refused period fit.
    spec::Cpu c;
    c.period = 100000;
    c.quota = -1;
    BOOST_TEST(planLines(withCpu(c), v1Host()) ==
                   (Lines{"v1 cpu.cfs_period_us=100000 (retry)", "v1 cpu.cfs_quota_us=-1"}),
               boost::test_tools::per_element());
    c.quota.reset();
    BOOST_TEST(planLines(withCpu(c), v1Host()) == Lines{"v1 cpu.cfs_period_us=100000"},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(v1_missing_kernel_files)
{
    spec::Cpu burst;
    burst.burst = 1;
    BOOST_TEST(planError(withCpu(burst), v1Host()) ==
               "linux.resources.cpu.burst: this kernel has no cpu.cfs_burst_us (Linux 5.14)");
    spec::Cpu idle;
    idle.idle = 1;
    BOOST_TEST(planError(withCpu(idle), v1Host()) ==
               "linux.resources.cpu.idle: this kernel has no cpu.idle (Linux 5.15)");
    spec::Cpu rt;
    rt.realtimeRuntime = 1000;
    BOOST_TEST(planError(withCpu(rt), v1Host()) ==
               "linux.resources.cpu.realtimeRuntime: this kernel has no real-time group "
               "scheduling (CONFIG_RT_GROUP_SCHED)");
}

BOOST_AUTO_TEST_CASE(v2_every_field)
{
    spec::Cpu c;
    c.shares = 1024;
    c.idle = 1;
    c.burst = 1000;
    c.quota = 50000;
    c.period = 100000;
    c.cpus = "1";
    c.mems = "0";
    ResourcePlan p =
        require(planResources(withCpu(c), v2Host({"v2:cpu.idle", "v2:cpu.max.burst"})));
    Lines expected = {
        "v2 cpu.weight=39",        "v2 cpu.idle=1",    "v2 cpu.max.burst=1000 (retry)",
        "v2 cpu.max=50000 100000", "v2 cpuset.cpus=1", "v2 cpuset.mems=0",
    };
    BOOST_TEST(lines(p) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(v2_cpu_max_forms)
{
    CgroupFacts f = v2Host();
    spec::Cpu c;
    c.quota = -1;
    BOOST_TEST(planLines(withCpu(c), f) == Lines{"v2 cpu.max=max"},
               boost::test_tools::per_element());
    c.quota = 20000;
    BOOST_TEST(planLines(withCpu(c), f) == Lines{"v2 cpu.max=20000"},
               boost::test_tools::per_element());
    // A period alone keeps the quota in force.
    spec::Cpu period;
    period.period = 50000;
    f.cpuMax = "30000 100000\n";
    BOOST_TEST(planLines(withCpu(period), f) == Lines{"v2 cpu.max=30000 50000"},
               boost::test_tools::per_element());
    f.cpuMax = "";
    BOOST_TEST(planLines(withCpu(period), f) == Lines{"v2 cpu.max=max 50000"},
               boost::test_tools::per_element());
    BOOST_TEST(require(planResources(withCpu(period), f)).writes[0].field ==
               "linux.resources.cpu.period");
}

BOOST_AUTO_TEST_CASE(v2_realtime_refused)
{
    spec::Cpu c;
    c.realtimePeriod = 1000000;
    BOOST_TEST(planError(withCpu(c), v2Host()) == "linux.resources.cpu.realtimePeriod: cgroup "
                                                  "v2 has no real-time group scheduling");
}

BOOST_AUTO_TEST_CASE(shares_to_weight)
{
    BOOST_TEST(sharesToWeight(2) == 1U);
    BOOST_TEST(sharesToWeight(1024) == 39U);
    BOOST_TEST(sharesToWeight(262144) == 10000U);
    BOOST_TEST(sharesToWeight(0) == 1U); // never 0: cpu.weight's range starts at 1
}

BOOST_AUTO_TEST_CASE(cpuset_controller_missing)
{
    spec::Cpu c;
    c.mems = "0";
    BOOST_TEST(planError(withCpu(c), facts({"cpu"}, {}, false, {})) ==
               "linux.resources.cpu.mems: the cpuset controller is not available on this host");
    // cpu fields alone do not need cpuset, and an empty cpu object needs nothing.
    BOOST_TEST(planLines(withCpu(spec::Cpu{}), facts({}, {}, false, {})).empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pids_blkio_hugetlb_network_rdma)

BOOST_AUTO_TEST_CASE(pids_limits)
{
    spec::Resources r;
    r.pidsLimit = 100;
    BOOST_TEST(planLines(r, v1Host()) == Lines{"v1 pids.max=100"},
               boost::test_tools::per_element());
    BOOST_TEST(planLines(r, v2Host()) == Lines{"v2 pids.max=100"},
               boost::test_tools::per_element());
    for (int64_t none : {0L, -1L}) {
        r.pidsLimit = none;
        BOOST_TEST(planLines(r, v1Host()) == Lines{"v1 pids.max=max"},
                   boost::test_tools::per_element());
    }
    BOOST_TEST(planError(r, facts({"memory"}, {}, false, {})) ==
               "linux.resources.pids: the pids controller is not available on this host");
}

spec::BlockIo everyBlockIo()
{
    spec::BlockIo b;
    b.weight = 300;
    b.weightDevice = {{8, 0, 500, std::nullopt}};
    b.throttleReadBpsDevice = {{8, 0, 1048576}};
    b.throttleWriteBpsDevice = {{8, 16, 2097152}};
    b.throttleReadIopsDevice = {{8, 0, 100}};
    b.throttleWriteIopsDevice = {{8, 0, 200}, {8, 16, 300}};
    return b;
}

const std::set<std::string> kThrottleFiles = {
    "v1:blkio.throttle.read_bps_device", "v1:blkio.throttle.write_bps_device",
    "v1:blkio.throttle.read_iops_device", "v1:blkio.throttle.write_iops_device"};

BOOST_AUTO_TEST_CASE(blkio_v1_bfq)
{
    // This host: blk-mq, BFQ's files only.
    std::set<std::string> files = kThrottleFiles;
    files.insert("v1:blkio.bfq.weight");
    ResourcePlan p = require(planResources(withBlockIo(everyBlockIo()), v1Host(files)));
    Lines expected = {
        "v1 blkio.bfq.weight=300",
        "v1 blkio.bfq.weight_device=8:0 500",
        "v1 blkio.throttle.read_bps_device=8:0 1048576",
        "v1 blkio.throttle.write_bps_device=8:16 2097152",
        "v1 blkio.throttle.read_iops_device=8:0 100",
        "v1 blkio.throttle.write_iops_device=8:0 200",
        "v1 blkio.throttle.write_iops_device=8:16 300",
    };
    BOOST_TEST(lines(p) == expected, boost::test_tools::per_element());
    BOOST_TEST(p.writes[1].field == "linux.resources.blockIO.weightDevice[0].weight");
    BOOST_TEST(p.writes[6].field == "linux.resources.blockIO.throttleWriteIOPSDevice[1]");
}

BOOST_AUTO_TEST_CASE(blkio_v1_cfq)
{
    spec::BlockIo b;
    b.weight = 500;
    b.leafWeight = 400;
    b.weightDevice = {{8, 0, 600, 700}};
    Lines expected = {"v1 blkio.weight=500", "v1 blkio.leaf_weight=400",
                      "v1 blkio.weight_device=8:0 600", "v1 blkio.leaf_weight_device=8:0 700"};
    BOOST_TEST(planLines(withBlockIo(b),
                         v1Host({"v1:blkio.weight", "v1:blkio.bfq.weight", "v1:blkio.leaf_weight",
                                 "v1:blkio.leaf_weight_device"})) == expected,
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(blkio_v1_missing_files)
{
    spec::BlockIo w;
    w.weight = 500;
    BOOST_TEST(planError(withBlockIo(w), v1Host()) ==
               "linux.resources.blockIO.weight: this kernel has neither blkio.weight nor "
               "blkio.bfq.weight (no CFQ or BFQ scheduler)");
    spec::BlockIo leaf;
    leaf.leafWeight = 500;
    BOOST_TEST(planError(withBlockIo(leaf), v1Host({"v1:blkio.bfq.weight"})) ==
               "linux.resources.blockIO.leafWeight: this kernel has no blkio.leaf_weight (it "
               "went with CFQ)");
    spec::BlockIo t;
    t.throttleReadIopsDevice = {{8, 0, 1}};
    BOOST_TEST(planError(withBlockIo(t), v1Host()) ==
               "linux.resources.blockIO.throttleReadIOPSDevice: this kernel has no "
               "blkio.throttle.read_iops_device (CONFIG_BLK_DEV_THROTTLING)");
}

BOOST_AUTO_TEST_CASE(blkio_v2)
{
    CgroupFacts iocost = v2Host({"v2:io.weight", "v2:io.max"});
    Lines expected = {
        "v2 io.weight=2930", // 1 + (300 - 10) * 9999 / 990
        "v2 io.weight=8:0 4950",   "v2 io.max=8:0 rbps=1048576", "v2 io.max=8:16 wbps=2097152",
        "v2 io.max=8:0 riops=100", "v2 io.max=8:0 wiops=200",    "v2 io.max=8:16 wiops=300",
    };
    BOOST_TEST(planLines(withBlockIo(everyBlockIo()), iocost) == expected,
               boost::test_tools::per_element());
    // BFQ takes the blkio scale as it is.
    CgroupFacts bfq = v2Host({"v2:io.bfq.weight", "v2:io.weight", "v2:io.max"});
    Lines bfqLines = planLines(withBlockIo(everyBlockIo()), bfq);
    BOOST_TEST(bfqLines[0] == "v2 io.bfq.weight=300");
    BOOST_TEST(bfqLines[1] == "v2 io.bfq.weight=8:0 500");
    BOOST_TEST(blkioToIoWeight(10) == 1U);
    BOOST_TEST(blkioToIoWeight(1000) == 10000U);

    spec::BlockIo leaf;
    leaf.leafWeight = 100;
    BOOST_TEST(planError(withBlockIo(leaf), iocost) ==
               "linux.resources.blockIO.leafWeight: cgroup v2 has no leaf weight");
    BOOST_TEST(planError(withBlockIo(everyBlockIo()), facts({}, {"memory"}, true, {})) ==
               "linux.resources.blockIO: the blkio controller (io on cgroup v2) is not available "
               "on this host");
}

BOOST_AUTO_TEST_CASE(hugetlb_v1_v2_and_hybrid)
{
    spec::Resources r;
    r.hugepageLimits = {{"2MB", 4194304}, {"1GB", 0}};
    Lines v1 = {"v1 hugetlb.2MB.limit_in_bytes=4194304",
                "v1 hugetlb.2MB.rsvd.limit_in_bytes=4194304", "v1 hugetlb.1GB.limit_in_bytes=0",
                "v1 hugetlb.1GB.rsvd.limit_in_bytes=0"};
    CgroupFacts v1Facts =
        facts({"hugetlb"}, {}, false,
              {"v1:hugetlb.2MB.limit_in_bytes", "v1:hugetlb.2MB.rsvd.limit_in_bytes",
               "v1:hugetlb.1GB.limit_in_bytes", "v1:hugetlb.1GB.rsvd.limit_in_bytes"});
    BOOST_TEST(planLines(r, v1Facts) == v1, boost::test_tools::per_element());
    // No reservation files (before Linux 5.7): the limits alone.
    Lines v2 = {"v2 hugetlb.2MB.max=4194304", "v2 hugetlb.1GB.max=0"};
    BOOST_TEST(planLines(r, v2Host({"v2:hugetlb.2MB.max", "v2:hugetlb.1GB.max"})) == v2,
               boost::test_tools::per_element());
    // This machine: memory on v1, hugetlb on cgroup2, in one plan.
    r.memory = spec::Memory{};
    r.memory->limit = 1 << 20;
    CgroupFacts hybrid =
        facts(kHostV1, {"hugetlb"}, true, {"v2:hugetlb.2MB.max", "v2:hugetlb.1GB.max"});
    Lines mixed = {"v1 memory.limit_in_bytes=1048576", "v2 hugetlb.2MB.max=4194304",
                   "v2 hugetlb.1GB.max=0"};
    BOOST_TEST(planLines(r, hybrid) == mixed, boost::test_tools::per_element());

    r.hugepageLimits = {{"2MB", 1}, {"16GB", 1}};
    BOOST_TEST(planError(r, hybrid) == "linux.resources.hugepageLimits[1].pageSize: this host has "
                                       "no 16GB huge pages (no hugetlb.16GB.max)");
    BOOST_TEST(planError(r, v1Host()) == "linux.resources.hugepageLimits: the hugetlb controller "
                                         "is not available on this host");
}

BOOST_AUTO_TEST_CASE(network_classes_and_priorities)
{
    spec::Resources r;
    r.network = spec::Network{0x100001, {{"eth0", 5}, {"lo", 1}}};
    ResourcePlan p = require(planResources(r, facts({"net_cls", "net_prio"}, {}, false, {})));
    Lines expected = {"v1 net_cls.classid=1048577", "v1 net_prio.ifpriomap=eth0 5",
                      "v1 net_prio.ifpriomap=lo 1"};
    BOOST_TEST(lines(p) == expected, boost::test_tools::per_element());
    BOOST_TEST(p.writes[2].field == "linux.resources.network.priorities[1]");
    // This machine has neither; cgroup v2 never has them.
    BOOST_TEST(planError(r, v1Host()) == "linux.resources.network.classID: the net_cls "
                                         "controller is not available on this host (cgroup v2 "
                                         "has none)");
    r.network->classId.reset();
    BOOST_TEST(planError(r, v2Host()) == "linux.resources.network.priorities: the net_prio "
                                         "controller is not available on this host (cgroup v2 "
                                         "has none)");
}

BOOST_AUTO_TEST_CASE(rdma_limits)
{
    spec::Resources r;
    r.rdma["mlx5_1"] = spec::Rdma{3, 10000};
    r.rdma["mlx4_0"] = spec::Rdma{std::nullopt, 1000};
    Lines expected = {"v2 rdma.max=mlx4_0 hca_object=1000",
                      "v2 rdma.max=mlx5_1 hca_handle=3 hca_object=10000"};
    ResourcePlan p = require(planResources(r, v2Host()));
    BOOST_TEST(lines(p) == expected, boost::test_tools::per_element());
    BOOST_TEST(p.writes[1].field == "linux.resources.rdma[\"mlx5_1\"]");
    BOOST_TEST(planLines(r, facts({"rdma"}, {}, false, {}))[0] ==
               "v1 rdma.max=mlx4_0 hca_object=1000");
    BOOST_TEST(planError(r, v1Host()) ==
               "linux.resources.rdma: the rdma controller is not available on this host");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(unified_and_devices)

BOOST_AUTO_TEST_CASE(unified_written_last)
{
    spec::Resources r;
    r.pidsLimit = 10;
    r.unified = {{"pids.max", "20"}, {"cgroup.max.descendants", "5"}};
    ResourcePlan p =
        require(planResources(r, v2Host({"v2:pids.max", "v2:cgroup.max.descendants"})));
    Lines expected = {"v2 pids.max=10", "v2 cgroup.max.descendants=5", "v2 pids.max=20"};
    BOOST_TEST(lines(p) == expected, boost::test_tools::per_element());
    BOOST_TEST(p.writes[2].field == "linux.resources.unified[\"pids.max\"]");
}

BOOST_AUTO_TEST_CASE(unified_on_this_hybrid_host)
{
    CgroupFacts hybrid = facts(kHostV1, {"hugetlb"}, true, {"v2:cgroup.max.descendants"});
    spec::Resources r;
    r.unified = {{"cgroup.max.descendants", "5"}};
    BOOST_TEST(planLines(r, hybrid) == Lines{"v2 cgroup.max.descendants=5"},
               boost::test_tools::per_element());
    // memory is a v1 controller here: cgroup2 does not have it.
    r.unified = {{"memory.high", "1G"}};
    BOOST_TEST(planError(r, hybrid) == "linux.resources.unified[\"memory.high\"]: the memory "
                                       "controller is not available on cgroup v2 on this host");
    r.unified = {{"cgroup.nonexistent", "1"}};
    BOOST_TEST(planError(r, hybrid) == "linux.resources.unified[\"cgroup.nonexistent\"]: this "
                                       "host has no cgroup v2 file cgroup.nonexistent");
    BOOST_TEST(planError(r, v1Host()) ==
               "linux.resources.unified: cgroup v2 is not mounted on this host");
}

BOOST_AUTO_TEST_CASE(devices_by_version)
{
    spec::Resources r;
    spec::DeviceRule denyAll;
    r.devices = {denyAll};
    ResourcePlan v1 = require(planResources(r, v1Host()));
    BOOST_TEST(!v1.bpfDevices);
    std::vector<CgroupWrite> expected = v1DeviceWrites(r.devices);
    BOOST_REQUIRE(v1.writes.size() == expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        BOOST_TEST(v1.writes[i].file == expected[i].file);
        BOOST_TEST(v1.writes[i].value == expected[i].value);
        BOOST_TEST(v1.writes[i].field == "linux.resources.devices");
    }
    ResourcePlan v2 = require(planResources(r, v2Host()));
    BOOST_TEST(v2.bpfDevices);
    BOOST_TEST(v2.writes.empty());
    BOOST_TEST(planError(r, facts({"memory"}, {}, false, {})) ==
               "linux.resources.devices: the devices controller is not available on this host");
    // No rules: nothing to do anywhere.
    BOOST_TEST(!require(planResources(spec::Resources{}, v2Host())).bpfDevices);
}

BOOST_AUTO_TEST_CASE(v2_controllers_used)
{
    spec::Resources r;
    BOOST_TEST(v2ControllersUsed(r).empty());
    r.memory = spec::Memory{};
    r.memory->kernel = 1; // deprecated alone: nothing to enable
    r.cpu = spec::Cpu{};
    r.cpu->cpus = "0";
    r.blockIo = spec::BlockIo{};
    r.blockIo->weight = 100;
    r.hugepageLimits = {{"2MB", 1}};
    r.pidsLimit = 5;
    r.unified = {{"misc.max", "x 1"}, {"cgroup.max.depth", "2"}};
    std::set<std::string> expected = {"cpuset", "io", "hugetlb", "pids", "misc"};
    BOOST_TEST(v2ControllersUsed(r) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(host_independent_checks)
{
    auto check = [](const std::function<void(spec::Resources &)> &change) {
        spec::Resources r;
        change(r);
        auto checked = checkResources(r);
        auto planned = planResources(r, v2Host());
        BOOST_TEST(!planned.has_value()); // planResources checks first
        return errorText(checked);
    };
    BOOST_TEST(check([](spec::Resources &r) {
                   r.memory = spec::Memory{};
                   r.memory->swappiness = 101;
               }) == "linux.resources.memory.swappiness: 101 is out of range (0-100)");
    BOOST_TEST(check([](spec::Resources &r) {
                   r.memory = spec::Memory{};
                   r.memory->reservation = -2;
               }) == "linux.resources.memory.reservation: -2 is neither -1 (unlimited) nor a "
                     "number of bytes");
    BOOST_TEST(check([](spec::Resources &r) {
                   r.memory = spec::Memory{};
                   r.memory->limit = 200;
                   r.memory->swap = 100;
               }) == "linux.resources.memory.swap: 100 is below memory.limit 200 (swap counts "
                     "memory plus swap)");
    BOOST_TEST(check([](spec::Resources &r) {
                   r.cpu = spec::Cpu{};
                   r.cpu->shares = 1;
               }) == "linux.resources.cpu.shares: 1 is out of range (2-262144)");
    BOOST_TEST(check([](spec::Resources &r) {
                   r.cpu = spec::Cpu{};
                   r.cpu->shares = 262145;
               }) == "linux.resources.cpu.shares: 262145 is out of range (2-262144)");
    BOOST_TEST(check([](spec::Resources &r) {
                   r.cpu = spec::Cpu{};
                   r.cpu->idle = 2;
               }) == "linux.resources.cpu.idle: 2 is neither 0 nor 1");
    BOOST_TEST(check([](spec::Resources &r) {
                   r.cpu = spec::Cpu{};
                   r.cpu->quota = -5;
               }) == "linux.resources.cpu.quota: -5 is neither -1 (unlimited) nor a quota");
    BOOST_TEST(check([](spec::Resources &r) {
                   r.blockIo = spec::BlockIo{};
                   r.blockIo->weightDevice = {{8, 0, 5, std::nullopt}};
               }) == "linux.resources.blockIO.weightDevice[0].weight: 5 is out of range (10-1000)");
    BOOST_TEST(check([](spec::Resources &r) {
                   r.network = spec::Network{std::nullopt, {{"eth 0", 1}}};
               }) == "linux.resources.network.priorities[0].name: \"eth 0\" is not an interface "
                     "name");
    BOOST_TEST(check([](spec::Resources &r) {
                   r.rdma[""] = spec::Rdma{1, 1};
               }) == "linux.resources.rdma[\"\"]: not an RDMA device name");
    for (const char *key : {"../memory.max", "memory", ".max", "memory.", "cpu.max/x"}) {
        std::string text =
            check([key](spec::Resources &r) { r.unified.insert_or_assign(key, "1"); });
        BOOST_TEST(contains(text, "a key must be a cgroup v2 file name, CONTROLLER.PARAMETER"),
                   key << ": " << text);
    }
    // What a plain podman config sends passes.
    spec::Resources ok;
    ok.memory = spec::Memory{};
    ok.memory->limit = 1 << 20;
    ok.memory->swap = 2 << 20;
    ok.memory->swappiness = 0;
    ok.cpu = spec::Cpu{};
    ok.cpu->shares = 0;
    ok.blockIo = spec::BlockIo{};
    ok.blockIo->weight = 0;
    requireOk(checkResources(ok));
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
// stats.h

namespace {

// A cgroup as file contents; a file not in the map is ENOENT.
CgroupReader reader(std::map<std::string, std::string> files)
{
    return [files = std::move(files)](Version v, const std::string &file) -> Result<std::string> {
        auto it = files.find((v == Version::V1 ? "v1:" : "v2:") + file);
        if (it == files.end())
            return fail("open " + file, ENOENT);
        return it->second;
    };
}

const std::map<std::string, std::string> kV1Files = {
    {"v1:cpuacct.usage", "5000000000\n"},
    {"v1:cpuacct.usage_user", "3000000000\n"},
    {"v1:cpuacct.usage_sys", "2000000000\n"},
    {"v1:cpuacct.usage_percpu", "4000000000 1000000000 \n"},
    {"v1:cpuacct.usage_all", "cpu user system\n0 2500000000 1500000000\n1 500000000 500000000\n"},
    {"v1:cpu.stat", "nr_periods 10\nnr_throttled 3\nthrottled_time 7000\nnr_bursts 0\n"},
    {"v1:cpuset.cpus", "0-1\n"},
    {"v1:cpuset.mems", "0\n"},
    {"v1:cpuset.cpu_exclusive", "0\n"},
    {"v1:cpuset.mem_hardwall", "1\n"},
    {"v1:cpuset.sched_load_balance", "1\n"},
    {"v1:cpuset.sched_relax_domain_level", "-1\n"},
    {"v1:memory.stat", "cache 8192\nrss 4096\ntotal_cache 8192\n"},
    {"v1:memory.usage_in_bytes", "12288\n"},
    {"v1:memory.max_usage_in_bytes", "65536\n"},
    {"v1:memory.failcnt", "2\n"},
    {"v1:memory.limit_in_bytes", "67108864\n"},
    {"v1:memory.memsw.usage_in_bytes", "12288\n"},
    {"v1:memory.memsw.max_usage_in_bytes", "65536\n"},
    {"v1:memory.memsw.failcnt", "0\n"},
    {"v1:memory.memsw.limit_in_bytes", "134217728\n"},
    {"v1:memory.kmem.usage_in_bytes", "1024\n"},
    {"v1:memory.kmem.max_usage_in_bytes", "2048\n"},
    {"v1:memory.kmem.failcnt", "0\n"},
    {"v1:pids.current", "3\n"},
    {"v1:pids.max", "max\n"},
    {"v1:blkio.bfq.io_service_bytes_recursive", "Total 0\n"}, // BFQ not in use: empty
    {"v1:blkio.throttle.io_service_bytes_recursive",
     "254:0 Read 4096\n254:0 Write 8192\n254:0 Sync 12288\n254:0 Async 0\n254:0 Discard "
     "0\n254:0 Total 12288\nTotal 12288\n"},
    {"v1:blkio.throttle.io_serviced_recursive", "254:0 Read 1\n254:0 Write 2\nTotal 3\n"},
};

} // namespace

BOOST_AUTO_TEST_SUITE(stats)

BOOST_AUTO_TEST_CASE(v1_files)
{
    std::map<std::string, std::string> files = kV1Files;
    files["v1:hugetlb.2MB.usage_in_bytes"] = "2097152\n";
    files["v1:hugetlb.2MB.max_usage_in_bytes"] = "4194304\n";
    files["v1:hugetlb.2MB.failcnt"] = "1\n";
    std::set<std::string> v1 = kHostV1;
    v1.insert("hugetlb");
    Stats s = require(collectStats(facts(v1, {}, false, {}), {"2MB", "1GB"}, reader(files)));
    BOOST_TEST(s.cpu.usage.total == 5000000000U);
    BOOST_TEST(s.cpu.usage.user == 3000000000U);
    BOOST_TEST(s.cpu.usage.kernel == 2000000000U);
    BOOST_TEST(s.cpu.usage.percpu == (std::vector<uint64_t>{4000000000, 1000000000}),
               boost::test_tools::per_element());
    BOOST_TEST(s.cpu.usage.percpuUser == (std::vector<uint64_t>{2500000000, 500000000}),
               boost::test_tools::per_element());
    BOOST_TEST(s.cpu.usage.percpuKernel == (std::vector<uint64_t>{1500000000, 500000000}),
               boost::test_tools::per_element());
    BOOST_TEST(s.cpu.throttling.periods == 10U);
    BOOST_TEST(s.cpu.throttling.throttledPeriods == 3U);
    BOOST_TEST(s.cpu.throttling.throttledTime == 7000U);
    BOOST_TEST(s.cpuset.cpus == (std::vector<uint16_t>{0, 1}), boost::test_tools::per_element());
    BOOST_TEST(s.cpuset.memHardwall == 1U);
    BOOST_TEST(s.cpuset.schedRelaxDomainLevel == -1);
    BOOST_TEST(s.memory.cache == 8192U);
    BOOST_TEST(s.memory.raw.size() == 3U);
    BOOST_TEST(s.memory.usage.usage == 12288U);
    BOOST_TEST(s.memory.usage.max == 65536U);
    BOOST_TEST(s.memory.usage.failcnt == 2U);
    BOOST_TEST(s.memory.usage.limit == 67108864U);
    BOOST_TEST(s.memory.swap.limit == 134217728U);
    BOOST_TEST(s.memory.kernel.usage == 1024U);
    BOOST_TEST(s.memory.kernel.limit == 0U); // kmem.limit_in_bytes is gone in new kernels
    BOOST_TEST(s.memory.kernelTcp.usage == 0U);
    BOOST_TEST(s.pids.current == 3U);
    BOOST_TEST(s.pids.limit == 0U); // "max"
    // BFQ's file is empty, so the throttle layer's numbers are taken.
    BOOST_REQUIRE(s.blkio.ioServiceBytesRecursive.size() == 6U);
    BOOST_TEST(s.blkio.ioServiceBytesRecursive[1].major == 254U);
    BOOST_TEST(s.blkio.ioServiceBytesRecursive[1].op == "Write");
    BOOST_TEST(s.blkio.ioServiceBytesRecursive[1].value == 8192U);
    BOOST_TEST(s.blkio.ioServicedRecursive.size() == 2U);
    BOOST_TEST(s.blkio.sectorsRecursive.empty());
    BOOST_REQUIRE(s.hugetlb.size() == 1U); // no 1GB files
    BOOST_TEST(s.hugetlb["2MB"].usage == 2097152U);
    BOOST_TEST(s.hugetlb["2MB"].max == 4194304U);
    BOOST_TEST(s.hugetlb["2MB"].failcnt == 1U);
}

BOOST_AUTO_TEST_CASE(v1_old_kernel_cpuacct_stat)
{
    std::map<std::string, std::string> files = {{"v1:cpuacct.usage", "1\n"},
                                                {"v1:cpuacct.stat", "user 100\nsystem 50\n"}};
    Stats s = require(collectStats(facts({"cpuacct"}, {}, false, {}), {}, reader(files)));
    uint64_t hz = static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
    BOOST_TEST(s.cpu.usage.user == uint64_t{100} * 1000000000 / hz);
    BOOST_TEST(s.cpu.usage.kernel == uint64_t{50} * 1000000000 / hz);
}

BOOST_AUTO_TEST_CASE(v2_files)
{
    std::map<std::string, std::string> files = {
        {"v2:cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\n"
                        "nr_throttled 1\nthrottled_usec 20\n"},
        {"v2:cpuset.cpus.effective", "0-3\n"},
        {"v2:cpuset.mems.effective", "0\n"},
        {"v2:memory.stat", "anon 4096\nfile 8192\n"},
        {"v2:memory.current", "12288\n"},
        {"v2:memory.max", "max\n"},
        {"v2:memory.peak", "20000\n"},
        {"v2:memory.events", "low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n"},
        {"v2:memory.swap.current", "100\n"},
        {"v2:memory.swap.max", "1000\n"},
        {"v2:pids.current", "2\n"},
        {"v2:pids.max", "64\n"},
        {"v2:io.stat", "8:0 rbytes=4096 wbytes=512 rios=1 wios=2 dbytes=0 dios=0\n"},
        {"v2:hugetlb.2MB.current", "0\n"},
        {"v2:hugetlb.2MB.events", "max 7\n"},
    };
    Stats s = require(collectStats(v2Host(), {"2MB"}, reader(files)));
    BOOST_TEST(s.cpu.usage.total == 1500000U);
    BOOST_TEST(s.cpu.usage.user == 1000000U);
    BOOST_TEST(s.cpu.usage.kernel == 500000U);
    BOOST_TEST(s.cpu.usage.percpu.empty());
    BOOST_TEST(s.cpu.throttling.periods == 4U);
    BOOST_TEST(s.cpu.throttling.throttledTime == 20000U);
    BOOST_TEST(s.cpuset.cpus.size() == 4U);
    BOOST_TEST(s.memory.cache == 8192U);
    BOOST_TEST(s.memory.usage.usage == 12288U);
    BOOST_TEST(s.memory.usage.limit == UINT64_MAX);
    BOOST_TEST(s.memory.usage.max == 20000U);
    BOOST_TEST(s.memory.usage.failcnt == 5U);
    // Swap as v1 reports it: memory plus swap; unlimited stays unlimited.
    BOOST_TEST(s.memory.swap.usage == 12388U);
    BOOST_TEST(s.memory.swap.limit == UINT64_MAX);
    BOOST_TEST(s.pids.current == 2U);
    BOOST_TEST(s.pids.limit == 64U);
    BOOST_REQUIRE(s.blkio.ioServiceBytesRecursive.size() == 2U);
    BOOST_TEST(s.blkio.ioServiceBytesRecursive[0].op == "Read");
    BOOST_TEST(s.blkio.ioServiceBytesRecursive[0].value == 4096U);
    BOOST_TEST(s.blkio.ioServiceBytesRecursive[1].op == "Write");
    BOOST_REQUIRE(s.blkio.ioServicedRecursive.size() == 2U);
    BOOST_TEST(s.blkio.ioServicedRecursive[1].value == 2U);
    BOOST_TEST(s.hugetlb["2MB"].failcnt == 7U);
    BOOST_TEST(s.hugetlb["2MB"].max == 0U);
}

BOOST_AUTO_TEST_CASE(v2_without_controllers_counts_procs)
{
    // This host's cgroup2: no controllers enabled; pids are counted, cpu usage is core.
    std::map<std::string, std::string> files = {
        {"v2:cgroup.procs", "10\n11\n12\n"},
        {"v2:cpu.stat", "usage_usec 7\nuser_usec 4\nsystem_usec 3\n"},
    };
    Stats s = require(collectStats(facts({}, {}, true, {}), {}, reader(files)));
    BOOST_TEST(s.pids.current == 3U);
    BOOST_TEST(s.pids.limit == 0U);
    BOOST_TEST(s.cpu.usage.total == 7000U);
    BOOST_TEST(s.memory.raw.empty());
}

BOOST_AUTO_TEST_CASE(read_errors_and_bad_numbers)
{
    CgroupReader denied = [](Version, const std::string &file) -> Result<std::string> {
        return fail("open " + file, EACCES);
    };
    BOOST_TEST(errorText(collectStats(v1Host(), {}, denied)) ==
               "stats: open cpuacct.usage: Permission denied");
    std::map<std::string, std::string> files = {{"v1:pids.current", "lots\n"}};
    BOOST_TEST(errorText(collectStats(facts({"pids"}, {}, false, {}), {}, reader(files))) ==
               "stats: pids.current: not a number: \"lots\"");
}

BOOST_AUTO_TEST_CASE(parsers)
{
    auto m = parseFlatKeyed("oom_kill_disable 0\nunder_oom 0\noom_kill 3\nbad line here\nx y\n");
    BOOST_TEST(m.size() == 3U);
    BOOST_TEST(m["oom_kill"] == 3U);
    BOOST_TEST(parseFlatKeyed("populated 1\nfrozen 1\n")["frozen"] == 1U);
    BOOST_TEST(parseCpuList("0-3,8\n") == (std::vector<uint16_t>{0, 1, 2, 3, 8}),
               boost::test_tools::per_element());
    BOOST_TEST(parseCpuList("").empty());
    BOOST_TEST(parseCpuList("3-1").empty());
    BOOST_TEST(parseCpuList("a").empty());
    BOOST_TEST(parseCgroupNumber("42\n").value_or(0) == 42U);
    BOOST_TEST(parseCgroupNumber("max\n").value_or(0) == UINT64_MAX);
    BOOST_TEST(!parseCgroupNumber("-1").has_value());
    std::vector<std::string> sizes = hugePageSizeNames(
        {"hugepages-2048kB", "hugepages-1048576kB", "hugepages-64kB", "hugepages-32768kB", "x"});
    std::vector<std::string> expected = {"2MB", "1GB", "64KB", "32MB"};
    BOOST_TEST(sizes == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(json_shape_of_runc)
{
    Stats s;
    s.cpu.usage.total = 100;
    s.cpu.usage.percpu = {60, 40};
    s.cpuset.cpus = {0, 1};
    s.cpuset.schedRelaxDomainLevel = -1;
    s.memory.cache = 5;
    s.memory.usage = {1000, 10, 20, 0};
    s.memory.raw = {{"cache", 5}};
    s.pids.current = 2;
    s.blkio.ioServiceBytesRecursive = {{8, 0, "Read", 4096}, {8, 0, "Total", 0}};
    s.blkio.ioQueuedRecursive = {{8, 0, "", 3}};
    s.hugetlb["2MB"] = {0, 0, 0};
    nlohmann::json expected = nlohmann::json::parse(R"({
        "cpu": {"usage": {"total": 100, "percpu": [60, 40], "kernel": 0, "user": 0}},
        "cpuset": {"cpus": [0, 1], "cpu_exclusive": 0, "mem_hardwall": 0, "mem_exclusive": 0,
                   "memory_migrate": 0, "memory_spread_page": 0, "memory_spread_slab": 0,
                   "memory_pressure": 0, "sched_load_balance": 0,
                   "sched_relax_domain_level": -1},
        "memory": {"cache": 5, "usage": {"limit": 1000, "usage": 10, "max": 20, "failcnt": 0},
                   "raw": {"cache": 5}},
        "pids": {"current": 2},
        "blkio": {"ioServiceBytesRecursive": [{"major": 8, "op": "Read", "value": 4096},
                                              {"major": 8, "op": "Total"}],
                  "ioQueueRecursive": [{"major": 8, "value": 3}]},
        "hugetlb": {"2MB": {"failcnt": 0}},
        "intel_rdt": {},
        "network_interfaces": null
    })");
    BOOST_TEST(statsJson(s).dump() == expected.dump());
    // An empty cgroup: zero structs vanish, the always-present fields stay.
    nlohmann::json empty = statsJson(Stats{});
    BOOST_TEST(empty["cpu"].dump() == "{}");
    BOOST_TEST(empty["memory"].dump() == "{}");
    BOOST_TEST(empty["pids"].dump() == "{}");
    BOOST_TEST(empty["blkio"].dump() == "{}");
    BOOST_TEST(empty["hugetlb"].dump() == "{}");
    BOOST_TEST(empty["cpuset"].size() == 9U);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
// devices_bpf.h: the program is run by an interpreter of the instructions it uses.

namespace {

enum Access { M = BPF_DEVCG_ACC_MKNOD, R = BPF_DEVCG_ACC_READ, W = BPF_DEVCG_ACC_WRITE };

// Runs a device program on one request; fails the test on an instruction it does not know.
int run(const std::vector<bpf_insn> &prog, char type, uint32_t major, uint32_t minor,
        uint32_t access)
{
    uint32_t ctx[3] = {(access << 16) | (type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK),
                       major, minor};
    uint64_t reg[11] = {};
    for (size_t pc = 0; pc < prog.size(); ++pc) {
        const bpf_insn &i = prog[pc];
        uint64_t src = BPF_SRC(i.code) == BPF_X ? reg[i.src_reg] : uint64_t(int64_t(i.imm));
        switch (BPF_CLASS(i.code)) {
        case BPF_LDX:
            BOOST_REQUIRE(i.src_reg == BPF_REG_1 && i.off % 4 == 0 && i.off < 12);
            reg[i.dst_reg] = ctx[i.off / 4];
            break;
        case BPF_ALU:
        case BPF_ALU64: {
            uint64_t &d = reg[i.dst_reg];
            switch (BPF_OP(i.code)) {
            case BPF_MOV:
                d = src;
                break;
            case BPF_AND:
                d &= src;
                break;
            case BPF_RSH:
                d >>= src;
                break;
            default:
                BOOST_FAIL("unknown ALU op");
            }
            if (BPF_CLASS(i.code) == BPF_ALU)
                d &= 0xffffffff;
            break;
        }
        case BPF_JMP: {
            bool jump = false;
            switch (BPF_OP(i.code)) {
            case BPF_EXIT:
                return int(reg[BPF_REG_0]);
            case BPF_JEQ:
                jump = reg[i.dst_reg] == src;
                break;
            case BPF_JNE:
                jump = reg[i.dst_reg] != src;
                break;
            case BPF_JSET:
                jump = (reg[i.dst_reg] & src) != 0;
                break;
            default:
                BOOST_FAIL("unknown JMP op");
            }
            if (jump)
                pc += i.off;
            BOOST_REQUIRE(pc + 1 < prog.size());
            break;
        }
        default:
            BOOST_FAIL("unknown instruction class");
        }
    }
    BOOST_FAIL("fell off the end of the program");
    return -1;
}

// A rule as the config has it (the aggregate's order: allow, type, major, minor, access).
using Rule = spec::DeviceRule;
constexpr std::nullopt_t any = std::nullopt;

} // namespace

BOOST_AUTO_TEST_SUITE(device_filter)

BOOST_AUTO_TEST_CASE(deny_all_then_allow)
{
    auto prog =
        deviceFilterProgram({Rule{false, "a", any, any, "rwm"}, Rule{true, "c", 10, 200, "rwm"},
                             Rule{true, "b", 8, any, "r"}});
    BOOST_TEST(run(prog, 'c', 10, 200, R | W) == 1); // tun
    BOOST_TEST(run(prog, 'c', 1, 3, R | W) == 1);    // /dev/null, a default
    BOOST_TEST(run(prog, 'c', 136, 7, R | W) == 1);  // a pty, default "c 136:* rwm"
    BOOST_TEST(run(prog, 'c', 1, 11, R) == 0);       // /dev/kmsg
    BOOST_TEST(run(prog, 'c', 99, 1, M) == 1);       // mknod of any char device
    BOOST_TEST(run(prog, 'c', 99, 1, M | R) == 0);   // but not opening it
    BOOST_TEST(run(prog, 'b', 8, 1, R) == 1);        // "b 8:* r"
    BOOST_TEST(run(prog, 'b', 8, 1, R | W) == 0);    // the rule does not cover write
    BOOST_TEST(run(prog, 'b', 7, 0, R) == 0);
    // "deny a" decides unconditionally: the program ends with it (no unreachable default).
    BOOST_REQUIRE(prog.size() >= 2U);
    BOOST_TEST(prog[prog.size() - 2].code == (BPF_ALU64 | BPF_MOV | BPF_K));
    BOOST_TEST(prog[prog.size() - 2].imm == 0);
    BOOST_TEST(prog.back().code == (BPF_JMP | BPF_EXIT));
}

BOOST_AUTO_TEST_CASE(later_rules_override)
{
    // Allow everything, then take write access to /dev/null back.
    auto prog =
        deviceFilterProgram({Rule{true, "a", any, any, "rwm"}, Rule{false, "c", 1, 3, "w"}});
    // The default "c 1:3 rwm" comes after the deny and wins.
    BOOST_TEST(run(prog, 'c', 1, 3, W) == 1);
    auto denyKmsg =
        deviceFilterProgram({Rule{true, "a", any, any, "rwm"}, Rule{false, "c", 1, 11, "w"}});
    BOOST_TEST(run(denyKmsg, 'c', 1, 11, R) == 1);
    BOOST_TEST(run(denyKmsg, 'c', 1, 11, W) == 0);
    BOOST_TEST(run(denyKmsg, 'c', 1, 11, R | W) == 0); // a deny touching the request denies
    BOOST_TEST(run(denyKmsg, 'b', 8, 0, R | W) == 1);
    // Deny all again after allowing: the later "deny a" wins over the earlier allow.
    auto again =
        deviceFilterProgram({Rule{true, "c", 1, 11, "rwm"}, Rule{false, "a", any, any, ""}});
    BOOST_TEST(run(again, 'c', 1, 11, R) == 0);
    BOOST_TEST(run(again, 'c', 1, 3, R) == 1); // the defaults come last
}

BOOST_AUTO_TEST_CASE(no_rules_allows)
{
    // Like a v1 cgroup under an allow-all parent.
    auto prog = deviceFilterProgram({});
    BOOST_TEST(run(prog, 'b', 259, 0, R | W | M) == 1);
    BOOST_TEST(prog.back().code == (BPF_JMP | BPF_EXIT));
    BOOST_TEST(prog[prog.size() - 2].imm == 1);
}

BOOST_AUTO_TEST_SUITE_END()
