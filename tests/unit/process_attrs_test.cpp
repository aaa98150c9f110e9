// libcontainer/process/attrs/ (and security/lsm.h): every planner and checker, and the apply
// functions an unprivileged process can exercise, each in a forked child so the test runner keeps
// its own scheduling, affinity, personality and memory policy.

#define BOOST_TEST_MODULE process_attrs
#include "tests/unit/libcontainer_test_helpers.h"

#include <fcntl.h>
#include <linux/mempolicy.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "common/file.h"
#include "libcontainer/process/attrs/attrs.h"
#include "libcontainer/security/lsm.h"
#include "tests/unit/netns_test_helpers.h"

using namespace husk;
using namespace lc_test;
using namespace netns_test;

namespace {

std::string what(const Result<void> &r)
{
    return r ? std::string() : r.error().what();
}

spec::Scheduler sched(std::string policy)
{
    spec::Scheduler s;
    s.policy = std::move(policy);
    return s;
}

boost::test_tools::assertion_result hasNuma(boost::unit_test::test_unit_id)
{
    struct stat st;
    boost::test_tools::assertion_result r(::stat("/sys/devices/system/node/node0", &st) == 0);
    r.message() << "skipped: the kernel has no NUMA support (no /sys/devices/system/node/node0)";
    return r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cpu_lists)

BOOST_AUTO_TEST_CASE(parses_ranges_and_singles)
{
    cpu_set_t set = require(parseCpuList("0-3,7", "f"));
    BOOST_TEST(CPU_COUNT(&set) == 5);
    for (int cpu : {0, 1, 2, 3, 7})
        BOOST_TEST(CPU_ISSET(cpu, &set));
    BOOST_TEST(!CPU_ISSET(4, &set));

    set = require(parseCpuList(" 1 , 4 - 5 ", "f")); // the schema allows spaces
    BOOST_TEST(CPU_COUNT(&set) == 3);
    BOOST_TEST(CPU_ISSET(5, &set));

    set = require(parseCpuList("1023", "f"));
    BOOST_TEST(CPU_ISSET(1023, &set));
    set = require(parseCpuList("2,2,1-2", "f")); // overlaps are fine, as in the kernel
    BOOST_TEST(CPU_COUNT(&set) == 2);
}

BOOST_AUTO_TEST_CASE(rejects_bad_lists_naming_the_field)
{
    const std::string f = "process.execCPUAffinity.final";
    BOOST_TEST(errorText(parseCpuList("", f)) == f + ": invalid CPU list \"\": empty");
    BOOST_TEST(errorText(parseCpuList("1,,2", f)) == f + ": invalid CPU list \"1,,2\": empty item");
    BOOST_TEST(errorText(parseCpuList("3-1", f)) ==
               f + ": invalid CPU list \"3-1\": range 3-1 is reversed");
    BOOST_TEST(errorText(parseCpuList("1024", f)) ==
               f + ": invalid CPU list \"1024\": CPU 1024 is out of range (at most 1023)");
    BOOST_TEST(errorText(parseCpuList("a", f)) ==
               f + ": invalid CPU list \"a\": \"a\" is not a number");
    BOOST_TEST(contains(errorText(parseCpuList("1-2-3", f)), "\"2-3\" is not a number"));
    BOOST_TEST(contains(errorText(parseCpuList("-1", f)), "\"\" is not a number"));
    BOOST_TEST(contains(errorText(parseCpuList("1,", f)), "empty item"));
    BOOST_TEST(contains(errorText(parseCpuList("99999999999", f)), "is not a number"));
}

BOOST_AUTO_TEST_CASE(node_lists_become_bitmasks)
{
    auto mask = require(parseNodeList("0-1", "n"));
    BOOST_TEST(mask.size() == 1u);
    BOOST_TEST(mask[0] == 3ul);
    mask = require(parseNodeList("64,1", "n"));
    BOOST_TEST(mask.size() == 2u);
    BOOST_TEST(mask[0] == 2ul);
    BOOST_TEST(mask[1] == 1ul);
    BOOST_TEST(contains(errorText(parseNodeList("2048", "n")), "node 2048 is out of range"));
}

BOOST_AUTO_TEST_CASE(affinity_plan_skips_empty_lists)
{
    spec::Process p;
    p.execCpuAffinity = spec::ExecCpuAffinity{"", "0"};
    ProcessAttrsPlan plan = require(planProcessAttrs(p, nullptr));
    BOOST_TEST(!plan.initialCpus);
    BOOST_REQUIRE(plan.finalCpus);
    BOOST_TEST(CPU_ISSET(0, &*plan.finalCpus));
    p.execCpuAffinity = spec::ExecCpuAffinity{"x", ""};
    BOOST_TEST(contains(errorText(planProcessAttrs(p, nullptr)),
                        "process.execCPUAffinity.initial: invalid CPU list"));
}

BOOST_AUTO_TEST_CASE(affinity_applies_in_a_child)
{
    cpu_set_t allowed;
    BOOST_REQUIRE(::sched_getaffinity(0, sizeof(allowed), &allowed) == 0);
    int first = -1;
    for (int cpu = 0; cpu < CPU_SETSIZE && first < 0; ++cpu)
        if (CPU_ISSET(cpu, &allowed))
            first = cpu;
    BOOST_REQUIRE(first >= 0);
    spec::Process p;
    p.execCpuAffinity = spec::ExecCpuAffinity{std::to_string(first), std::to_string(first)};
    ProcessAttrsPlan plan = require(planProcessAttrs(p, nullptr));
    std::string err = inChild([&]() -> std::string {
        for (auto apply : {applyInitialAffinity, applyFinalAffinity}) {
            if (auto r = apply(plan); !r)
                return r.error().what();
            cpu_set_t now;
            if (::sched_getaffinity(0, sizeof(now), &now) < 0)
                return "sched_getaffinity failed";
            if (CPU_COUNT(&now) != 1 || !CPU_ISSET(first, &now))
                return "affinity is not just CPU " + std::to_string(first);
        }
        return {};
    });
    BOOST_CHECK_MESSAGE(err.empty(), err);
}

boost::test_tools::assertion_result noCpu1023(boost::unit_test::test_unit_id)
{
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    // A failing sched_getaffinity is no reason to skip: the case then runs and fails on it.
    bool present =
        ::sched_getaffinity(0, sizeof(allowed), &allowed) == 0 && CPU_ISSET(1023, &allowed);
    return skipUnless(!present, "skipped: CPU 1023 exists here");
}

BOOST_AUTO_TEST_CASE(affinity_outside_the_machine_fails_with_context,
                     *boost::unit_test::precondition(noCpu1023))
{
    cpu_set_t allowed;
    BOOST_REQUIRE(::sched_getaffinity(0, sizeof(allowed), &allowed) == 0);
    spec::Process p;
    p.execCpuAffinity = spec::ExecCpuAffinity{"", "1023"};
    ProcessAttrsPlan plan = require(planProcessAttrs(p, nullptr));
    std::string err = inChild([&]() -> std::string { return what(applyFinalAffinity(plan)); });
    BOOST_TEST(err == "process.execCPUAffinity.final: sched_setaffinity: " +
                          std::string(std::strerror(EINVAL)));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(scheduler)

BOOST_AUTO_TEST_CASE(plans_each_policy)
{
    BOOST_TEST(require(planScheduler(sched("SCHED_OTHER"))).policy == unsigned(SCHED_OTHER));
    BOOST_TEST(require(planScheduler(sched("SCHED_BATCH"))).policy == unsigned(SCHED_BATCH));
    BOOST_TEST(require(planScheduler(sched("SCHED_IDLE"))).policy == unsigned(SCHED_IDLE));

    spec::Scheduler fifo = sched("SCHED_FIFO");
    fifo.priority = 50;
    fifo.flags = {"SCHED_FLAG_RESET_ON_FORK"};
    SchedulerPlan p = require(planScheduler(fifo));
    BOOST_TEST(p.policy == unsigned(SCHED_FIFO));
    BOOST_TEST(p.priority == 50u);
    BOOST_TEST(p.flags == 0x01u);

    spec::Scheduler rr = sched("SCHED_RR");
    rr.priority = 1;
    BOOST_TEST(require(planScheduler(rr)).policy == unsigned(SCHED_RR));

    spec::Scheduler nice = sched("SCHED_OTHER");
    nice.nice = -5;
    BOOST_TEST(require(planScheduler(nice)).nice == -5);

    spec::Scheduler dl = sched("SCHED_DEADLINE");
    dl.runtime = 10'000'000;
    dl.deadline = 30'000'000;
    dl.period = 100'000'000;
    dl.flags = {"SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN"};
    p = require(planScheduler(dl));
    BOOST_TEST(p.policy == 6u);
    BOOST_TEST(p.flags == 0x06u);
    BOOST_TEST(p.runtime == 10'000'000u);
    BOOST_TEST(p.deadline == 30'000'000u);
    BOOST_TEST(p.period == 100'000'000u);
    BOOST_TEST(schedulerForbidsFork(p));
    dl.flags.push_back("SCHED_FLAG_RESET_ON_FORK");
    BOOST_TEST(!schedulerForbidsFork(require(planScheduler(dl))));
    BOOST_TEST(!schedulerForbidsFork(require(planScheduler(fifo))));

    spec::Scheduler all = sched("SCHED_OTHER");
    all.flags = {"SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM",     "SCHED_FLAG_DL_OVERRUN",
                 "SCHED_FLAG_KEEP_POLICY",   "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN",
                 "SCHED_FLAG_UTIL_CLAMP_MAX"};
    BOOST_TEST(require(planScheduler(all)).flags == 0x7fu);
}

BOOST_AUTO_TEST_CASE(rejects_what_the_kernel_would)
{
    const std::string f = "process.scheduler";
    BOOST_TEST(errorText(planScheduler(sched("SCHED_NOPE"))) ==
               f + ".policy: unknown policy \"SCHED_NOPE\"");
    BOOST_TEST(errorText(planScheduler(sched("SCHED_ISO"))) ==
               f + ".policy: SCHED_ISO is not implemented by Linux");
    spec::Scheduler s = sched("SCHED_OTHER");
    s.flags = {"SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_BOGUS"};
    BOOST_TEST(errorText(planScheduler(s)) == f + ".flags[1]: unknown flag \"SCHED_FLAG_BOGUS\"");
    s = sched("SCHED_BATCH");
    s.nice = 20;
    BOOST_TEST(errorText(planScheduler(s)) == f + ".nice: value 20 out of range [-20, 19]");
    s = sched("SCHED_FIFO");
    BOOST_TEST(errorText(planScheduler(s)) ==
               f + ".priority: SCHED_FIFO needs a priority in [1, 99], not 0");
    s.priority = 100;
    BOOST_TEST(contains(errorText(planScheduler(s)), "needs a priority in [1, 99], not 100"));
    s = sched("SCHED_OTHER");
    s.priority = 3;
    BOOST_TEST(errorText(planScheduler(s)) ==
               f + ".priority: only allowed with SCHED_FIFO or SCHED_RR, not SCHED_OTHER");
    s = sched("SCHED_RR");
    s.priority = 5;
    s.runtime = 1;
    BOOST_TEST(
        contains(errorText(planScheduler(s)), "only allowed with SCHED_DEADLINE, not SCHED_RR"));

    s = sched("SCHED_DEADLINE");
    BOOST_TEST(errorText(planScheduler(s)) ==
               f + ".runtime: SCHED_DEADLINE needs a runtime of at least 1024 ns");
    s.runtime = 2000;
    s.deadline = 1000;
    BOOST_TEST(errorText(planScheduler(s)) == f + ".deadline: must not be smaller than runtime");
    s.deadline = 5000;
    s.period = 4000;
    BOOST_TEST(errorText(planScheduler(s)) == f + ".period: must not be smaller than deadline");
    s.period = 0; // period 0 means period = deadline
    BOOST_TEST(planScheduler(s).has_value());
}

BOOST_AUTO_TEST_CASE(batch_with_higher_nice_applies_in_a_child)
{
    spec::Scheduler s = sched("SCHED_BATCH");
    s.nice = 7; // raising nice needs no privilege
    SchedulerPlan plan = require(planScheduler(s));
    std::string err = inChild([&]() -> std::string {
        if (auto r = applyScheduler(plan); !r)
            return r.error().what();
        if (::sched_getscheduler(0) != SCHED_BATCH)
            return "policy is not SCHED_BATCH";
        errno = 0;
        int nice = ::getpriority(PRIO_PROCESS, 0);
        if (nice != 7)
            return "nice is " + std::to_string(nice) + ", not 7";
        return {};
    });
    BOOST_CHECK_MESSAGE(err.empty(), err);
}

BOOST_AUTO_TEST_CASE(other_with_nice_via_the_aggregate)
{
    spec::Process p;
    p.scheduler = sched("SCHED_OTHER");
    p.scheduler->nice = 3;
    ProcessAttrsPlan plan = require(planProcessAttrs(p, nullptr));
    std::string err = inChild([&]() -> std::string {
        if (auto r = applyProcessAttrs(plan); !r)
            return r.error().what();
        if (::sched_getscheduler(0) != SCHED_OTHER || ::getpriority(PRIO_PROCESS, 0) != 3)
            return "not SCHED_OTHER at nice 3";
        return {};
    });
    BOOST_CHECK_MESSAGE(err.empty(), err);
}

BOOST_AUTO_TEST_CASE(kernel_refusal_carries_the_field)
{
    // A realtime policy needs CAP_SYS_NICE (or RLIMIT_RTPRIO, 0 by default): the child gives
    // up root first when it has it.
    spec::Process p;
    p.scheduler = sched("SCHED_FIFO");
    p.scheduler->priority = 10;
    ProcessAttrsPlan plan = require(planProcessAttrs(p, nullptr));
    std::string err = inChild([&]() -> std::string {
        rlimit none{0, 0};
        if (::setrlimit(RLIMIT_RTPRIO, &none) < 0)
            return "setrlimit RLIMIT_RTPRIO failed";
        if (::geteuid() == 0 &&
            (::setresgid(65534, 65534, 65534) < 0 || ::setresuid(65534, 65534, 65534) < 0))
            return "could not drop root";
        return what(applyProcessAttrs(plan));
    });
    BOOST_CHECK_MESSAGE(
        err == "process.scheduler: sched_setattr: " + std::string(std::strerror(EPERM)), err);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(io_priority)

BOOST_AUTO_TEST_CASE(plans_class_and_level)
{
    BOOST_TEST(require(planIoPriority({"IOPRIO_CLASS_RT", 0})) == (1 << 13));
    BOOST_TEST(require(planIoPriority({"IOPRIO_CLASS_BE", 4})) == ((2 << 13) | 4));
    BOOST_TEST(require(planIoPriority({"IOPRIO_CLASS_IDLE", 7})) == ((3 << 13) | 7));
    BOOST_TEST(errorText(planIoPriority({"IOPRIO_CLASS_NONE", 0})) ==
               "process.ioPriority.class: unknown class \"IOPRIO_CLASS_NONE\"");
    BOOST_TEST(errorText(planIoPriority({"IOPRIO_CLASS_BE", 8})) ==
               "process.ioPriority.priority: value 8 out of range [0, 7]");
    BOOST_TEST(errorText(planIoPriority({"IOPRIO_CLASS_BE", -1})) ==
               "process.ioPriority.priority: value -1 out of range [0, 7]");
}

BOOST_AUTO_TEST_CASE(best_effort_applies_in_a_child)
{
    int value = require(planIoPriority({"IOPRIO_CLASS_BE", 6}));
    std::string err = inChild([&]() -> std::string {
        if (auto r = applyIoPriority(value); !r)
            return r.error().what();
        long now = ::syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
        if (now != value)
            return "ioprio_get says " + std::to_string(now);
        return {};
    });
    BOOST_CHECK_MESSAGE(err.empty(), err);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(personality_)

BOOST_AUTO_TEST_CASE(plans_domain_and_flags)
{
    BOOST_TEST(require(planPersonality({"LINUX", {}})) == 0ul);
    BOOST_TEST(require(planPersonality({"LINUX32", {}})) == unsigned(PER_LINUX32));
    BOOST_TEST(require(planPersonality({"LINUX", {"ADDR_NO_RANDOMIZE", "READ_IMPLIES_EXEC"}})) ==
               unsigned(ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC));
    BOOST_TEST(errorText(planPersonality({"SVR4", {}})) ==
               "linux.personality.domain: unknown domain \"SVR4\" (LINUX or LINUX32)");
    BOOST_TEST(errorText(planPersonality({"LINUX", {"ADDR_NO_RANDOMIZE", "NOPE"}})) ==
               "linux.personality.flags[1]: unknown flag \"NOPE\"");
}

BOOST_AUTO_TEST_CASE(applies_in_a_child_and_reads_back)
{
    spec::Linux lx;
    lx.personality = spec::Personality{"LINUX32", {"ADDR_NO_RANDOMIZE"}};
    ProcessAttrsPlan plan = require(planProcessAttrs(spec::Process{}, &lx));
    std::string err = inChild([&]() -> std::string {
        if (auto r = applyProcessAttrs(plan); !r)
            return r.error().what();
        int now = ::personality(0xffffffff);
        if (now != (int(PER_LINUX32) | int(ADDR_NO_RANDOMIZE)))
            return "personality reads back " + std::to_string(now);
        return {};
    });
    BOOST_CHECK_MESSAGE(err.empty(), err);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(memory_policy)

BOOST_AUTO_TEST_CASE(plans_modes_nodes_and_flags)
{
    MemoryPolicyPlan p = require(planMemoryPolicy({"MPOL_BIND", "0-1", {"MPOL_F_STATIC_NODES"}}));
    BOOST_TEST(p.mode == (MPOL_BIND | MPOL_F_STATIC_NODES));
    BOOST_TEST(p.nodemask == std::vector<unsigned long>{3});
    p = require(planMemoryPolicy({"MPOL_DEFAULT", "", {}}));
    BOOST_TEST(p.mode == MPOL_DEFAULT);
    BOOST_TEST(p.nodemask.empty());
    BOOST_TEST(require(planMemoryPolicy({"MPOL_LOCAL", "", {}})).mode == MPOL_LOCAL);
    BOOST_TEST(require(planMemoryPolicy({"MPOL_PREFERRED", "", {}})).nodemask.empty());
    BOOST_TEST(require(planMemoryPolicy({"MPOL_WEIGHTED_INTERLEAVE", "0", {}})).mode == 6);
    BOOST_TEST(
        require(planMemoryPolicy({"MPOL_PREFERRED_MANY", "0", {"MPOL_F_NUMA_BALANCING"}})).mode ==
        (MPOL_PREFERRED_MANY | MPOL_F_NUMA_BALANCING));
    BOOST_TEST(
        require(planMemoryPolicy({"MPOL_INTERLEAVE", "1,3", {"MPOL_F_RELATIVE_NODES"}})).nodemask ==
        std::vector<unsigned long>{10});
}

BOOST_AUTO_TEST_CASE(rejects_bad_combinations)
{
    const std::string f = "linux.memoryPolicy";
    BOOST_TEST(errorText(planMemoryPolicy({"MPOL_NOPE", "", {}})) ==
               f + ".mode: unknown mode \"MPOL_NOPE\"");
    BOOST_TEST(errorText(planMemoryPolicy({"MPOL_BIND", "0", {"MPOL_F_BOGUS"}})) ==
               f + ".flags[0]: unknown flag \"MPOL_F_BOGUS\"");
    BOOST_TEST(errorText(planMemoryPolicy({"MPOL_BIND", "", {}})) ==
               f + ".nodes: MPOL_BIND needs at least one node");
    BOOST_TEST(errorText(planMemoryPolicy({"MPOL_INTERLEAVE", " ", {}})) ==
               f + ".nodes: MPOL_INTERLEAVE needs at least one node");
    BOOST_TEST(errorText(planMemoryPolicy({"MPOL_DEFAULT", "0", {}})) ==
               f + ".nodes: MPOL_DEFAULT takes no nodes");
    BOOST_TEST(errorText(planMemoryPolicy({"MPOL_LOCAL", "0", {}})) ==
               f + ".nodes: MPOL_LOCAL takes no nodes");
    BOOST_TEST(errorText(planMemoryPolicy({"MPOL_LOCAL", "", {"MPOL_F_STATIC_NODES"}})) ==
               f + ".flags: MPOL_LOCAL takes no node flags");
    BOOST_TEST(contains(errorText(planMemoryPolicy(
                            {"MPOL_BIND", "0", {"MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"}})),
                        "exclude each other"));
    BOOST_TEST(errorText(planMemoryPolicy({"MPOL_INTERLEAVE", "0", {"MPOL_F_NUMA_BALANCING"}})) ==
               f + ".flags: MPOL_F_NUMA_BALANCING needs MPOL_BIND or MPOL_PREFERRED_MANY, not "
                   "MPOL_INTERLEAVE");
    BOOST_TEST(errorText(planMemoryPolicy({"MPOL_BIND", "0-x", {}})) ==
               f + ".nodes: invalid node list \"0-x\": \"x\" is not a number");
}

BOOST_AUTO_TEST_CASE(bind_to_node_0_applies_in_a_child, *boost::unit_test::precondition(hasNuma))
{
    spec::Linux lx;
    lx.memoryPolicy = spec::MemoryPolicy{"MPOL_BIND", "0", {}};
    ProcessAttrsPlan plan = require(planProcessAttrs(spec::Process{}, &lx));
    std::string err = inChild([&]() -> std::string {
        if (auto r = applyProcessAttrs(plan); !r)
            return r.error().what();
        int mode = -1;
        unsigned long mask[16] = {};
        if (::syscall(SYS_get_mempolicy, &mode, mask, 16 * 8 * sizeof(unsigned long), nullptr, 0) <
            0)
            return std::string("get_mempolicy: ") + std::strerror(errno);
        if (mode != MPOL_BIND)
            return "mode reads back " + std::to_string(mode);
        if (mask[0] != 1)
            return "nodemask reads back " + std::to_string(mask[0]);
        return {};
    });
    BOOST_CHECK_MESSAGE(err.empty(), err);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lsm)

boost::test_tools::assertion_result apparmorOff(boost::unit_test::test_unit_id)
{
    return skipUnless(!apparmorEnabled(), "skipped the host check: AppArmor is enabled here");
}

boost::test_tools::assertion_result selinuxOff(boost::unit_test::test_unit_id)
{
    return skipUnless(!selinuxEnabled(), "skipped the host check: SELinux is enabled here");
}

BOOST_AUTO_TEST_CASE(nothing_asked_nothing_checked)
{
    BOOST_TEST(checkApparmor("").has_value());
    BOOST_TEST(checkSelinuxLabel("").has_value());
    BOOST_TEST(checkMountLabel("").has_value());
}

BOOST_AUTO_TEST_CASE(apparmor_not_enabled_here, *boost::unit_test::precondition(apparmorOff))
{
    BOOST_TEST(errorText(checkApparmor("docker-default")) ==
               "process.apparmorProfile: AppArmor is not enabled on this host");
}

BOOST_AUTO_TEST_CASE(apparmor_detection_reads_the_parameter)
{
    TempDir dir;
    const std::string param = dir / "enabled";
    BOOST_TEST(!apparmorEnabled(param)); // absent
    std::ofstream(param) << "N\n";
    BOOST_TEST(!apparmorEnabled(param));
    BOOST_TEST(errorText(checkApparmor("p", param)) ==
               "process.apparmorProfile: AppArmor is not enabled on this host");
    std::ofstream(param) << "Y\n";
    BOOST_TEST(apparmorEnabled(param));
    BOOST_TEST(checkApparmor("p", param).has_value());
}

BOOST_AUTO_TEST_CASE(selinux_not_enabled_here, *boost::unit_test::precondition(selinuxOff))
{
    BOOST_TEST(errorText(checkSelinuxLabel("system_u:system_r:container_t:s0")) ==
               "process.selinuxLabel: SELinux is not enabled on this host");
    BOOST_TEST(errorText(checkMountLabel("system_u:object_r:container_file_t:s0")) ==
               "linux.mountLabel: SELinux is not enabled on this host");
}

BOOST_AUTO_TEST_CASE(labels_are_dropped_with_a_warning_where_selinux_is_off)
{
    // As runc's SELinux library and crun: without SELinux the labels mean nothing.
    TempDir dir;
    const std::string off = dir.path() + "/no-selinuxfs";
    husk::spec::Config c;
    c.process.emplace().selinuxLabel = "system_u:system_r:container_t:s0";
    c.linux.emplace().mountLabel = "system_u:object_r:container_file_t:s0";
    BOOST_TEST(dropSelinuxLabelsWithoutSelinux(c, off));
    BOOST_TEST(!c.process->selinuxLabel.has_value());
    BOOST_TEST(c.linux->mountLabel.empty());
    BOOST_TEST(!dropSelinuxLabelsWithoutSelinux(c, off)); // nothing left to drop
}

BOOST_AUTO_TEST_CASE(selinux_detection_looks_for_enforce)
{
    TempDir dir;
    BOOST_TEST(!selinuxEnabled(dir.path()));
    BOOST_TEST(contains(errorText(checkSelinuxLabel("l", dir.path())), "not enabled"));
    std::ofstream(dir / "enforce") << "1";
    BOOST_TEST(selinuxEnabled(dir.path()));
    BOOST_TEST(checkSelinuxLabel("l", dir.path()).has_value());
    BOOST_TEST(checkMountLabel("l", dir.path()).has_value());
}

BOOST_AUTO_TEST_CASE(mount_label_becomes_a_context_option)
{
    BOOST_TEST(formatMountLabel("", "") == "");
    BOOST_TEST(formatMountLabel("mode=755", "") == "mode=755");
    BOOST_TEST(formatMountLabel("", "system_u:object_r:container_file_t:s0:c1,c2") ==
               "context=\"system_u:object_r:container_file_t:s0:c1,c2\"");
    BOOST_TEST(formatMountLabel("mode=755,size=65536k", "l") ==
               "mode=755,size=65536k,context=\"l\"");
}

BOOST_AUTO_TEST_CASE(host_checks_of_a_whole_config)
{
    spec::Config c = configFromText(R"({"ociVersion": "1.2.0", "root": {"path": "rootfs"},
        "process": {"cwd": "/", "args": ["sh"], "user": {"uid": 0, "gid": 0}}})");
    BOOST_TEST(checkHostFeatures(c).has_value());
    if (!apparmorEnabled()) {
        c.process->apparmorProfile = "p";
        BOOST_TEST(contains(errorText(checkHostFeatures(c)), "process.apparmorProfile"));
        c.process->apparmorProfile.reset();
    }
    if (!selinuxEnabled()) {
        c.linux = spec::Linux{};
        c.linux->mountLabel = "l";
        BOOST_TEST(contains(errorText(checkHostFeatures(c)), "linux.mountLabel"));
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(intel_rdt)

spec::IntelRdt rdt(std::string clos, std::string l3 = "", std::string mb = "",
                   std::vector<std::string> schemata = {})
{
    spec::IntelRdt r;
    r.closId = std::move(clos);
    r.l3CacheSchema = std::move(l3);
    r.memBwSchema = std::move(mb);
    r.schemata = std::move(schemata);
    return r;
}

boost::test_tools::assertion_result resctrlAbsent(boost::unit_test::test_unit_id)
{
    struct stat st;
    return skipUnless(::stat("/sys/fs/resctrl/info", &st) != 0, "skipped: resctrl is mounted here");
}

BOOST_AUTO_TEST_CASE(not_mounted_here, *boost::unit_test::precondition(resctrlAbsent))
{
    BOOST_TEST(errorText(checkIntelRdt(rdt("g"))) ==
               "linux.intelRdt: not supported on this host (resctrl is not mounted at "
               "/sys/fs/resctrl)");
    spec::Config c = configFromText(R"({"ociVersion": "1.2.0", "root": {"path": "rootfs"},
        "linux": {"intelRdt": {"closID": "g"}}})");
    BOOST_TEST(contains(errorText(checkHostFeatures(c)), "resctrl is not mounted"));
}

BOOST_AUTO_TEST_CASE(a_plain_directory_is_not_resctrl)
{
    TempDir dir;
    BOOST_TEST(errorText(checkIntelRdt(rdt("g"), dir.path())) ==
               "linux.intelRdt: not supported on this host (resctrl is not mounted at " +
                   dir.path() + ")");
}

BOOST_AUTO_TEST_CASE(group_named_after_the_container_without_closid)
{
    IntelRdtPlan p = require(planIntelRdt(rdt(""), "ctr1"));
    BOOST_TEST(p.group == "ctr1");
    BOOST_TEST(p.ownedGroup);
    BOOST_TEST(p.mayCreate);
    BOOST_TEST(!p.mustExist);
    BOOST_TEST(p.writes.empty());
    BOOST_TEST(contains(errorText(planIntelRdt(rdt(""), "")), "no container id"));
}

BOOST_AUTO_TEST_CASE(closid_without_schemata_must_exist)
{
    IntelRdtPlan p = require(planIntelRdt(rdt("guaranteed"), "ctr1"));
    BOOST_TEST(p.group == "guaranteed");
    BOOST_TEST(!p.ownedGroup);
    BOOST_TEST(p.mustExist);
    BOOST_TEST(!p.mayCreate);
}

BOOST_AUTO_TEST_CASE(closid_with_schemata_may_be_created_and_is_compared)
{
    IntelRdtPlan p = require(planIntelRdt(rdt("g", "L3:0=7f0;1=1f", "MB:0=20;1=70"), "ctr1"));
    BOOST_TEST(p.mayCreate);
    BOOST_TEST(!p.mustExist);
    BOOST_TEST(p.compareSchemata == "L3:0=7f0;1=1f\nMB:0=20;1=70");
    BOOST_REQUIRE(p.writes.size() == 1u);
    BOOST_TEST(p.writes[0] == "L3:0=7f0;1=1f\nMB:0=20;1=70\n");
}

BOOST_AUTO_TEST_CASE(mem_bw_schema_replaces_an_mb_line_of_l3)
{
    IntelRdtPlan p =
        require(planIntelRdt(rdt("g", "L3:0=ff\nMB:0=100\nL2:0=f", "MB:0=50"), "ctr1"));
    BOOST_REQUIRE(p.writes.size() == 1u);
    BOOST_TEST(p.writes[0] == "L3:0=ff\nL2:0=f\nMB:0=50\n");
    // Without memBwSchema the MB: line of l3CacheSchema stays.
    p = require(planIntelRdt(rdt("g", "L3:0=ff\nMB:0=100"), "ctr1"));
    BOOST_TEST(p.writes[0] == "L3:0=ff\nMB:0=100\n");
}

BOOST_AUTO_TEST_CASE(schemata_are_written_after_the_legacy_fields)
{
    IntelRdtPlan p =
        require(planIntelRdt(rdt("", "L3:0=ff", "", {"L2:0=f;1=f", "MB:0=20"}), "ctr1"));
    BOOST_REQUIRE(p.writes.size() == 2u);
    BOOST_TEST(p.writes[0] == "L3:0=ff\n");
    BOOST_TEST(p.writes[1] == "L2:0=f;1=f\nMB:0=20\n");
}

BOOST_AUTO_TEST_CASE(root_group_and_monitoring)
{
    IntelRdtPlan p = require(planIntelRdt(rdt("/"), "ctr1"));
    BOOST_TEST(p.group.empty());
    BOOST_TEST(!p.ownedGroup);
    BOOST_TEST(!p.mayCreate);
    spec::IntelRdt r = rdt("shared");
    r.enableMonitoring = true;
    r.enableCmt = true;
    p = require(planIntelRdt(r, "ctr1"));
    BOOST_TEST(p.monitorGroup == "ctr1");
    BOOST_TEST(p.needCmt);
    BOOST_TEST(!p.needMbm);
    r.closId.clear(); // its own group is its monitoring group
    BOOST_TEST(require(planIntelRdt(r, "ctr1")).monitorGroup.empty());
}

BOOST_AUTO_TEST_CASE(rejects_bad_ids_and_schemas)
{
    BOOST_TEST(errorText(planIntelRdt(rdt(".."), "c")) ==
               "linux.intelRdt.closID: invalid CLOS id \"..\"");
    BOOST_TEST(contains(errorText(planIntelRdt(rdt("a/b"), "c")), "invalid CLOS id"));
    BOOST_TEST(errorText(planIntelRdt(rdt("g", "", "L3:0=1"), "c")) ==
               "linux.intelRdt.memBwSchema: must start with \"MB:\"");
}

BOOST_AUTO_TEST_CASE(schemata_comparison_normalizes_kernel_output)
{
    // The kernel pads resource names and prints CBMs in hex without leading zeros.
    const std::string current = "    L3:0=7f0;1=01f\n    MB:0= 20;1= 70\n    L2:0=f;1=f\n";
    BOOST_TEST(schemataMatches(current, "L3:0=7f0;1=1f"));
    BOOST_TEST(schemataMatches(current, "L3:0=0x7F0\nMB:0=20;1=70"));
    BOOST_TEST(schemataMatches(current, "MB:1=70"));
    BOOST_TEST(!schemataMatches(current, "L3:0=7ff"));
    BOOST_TEST(!schemataMatches(current, "MB:2=70"));
    BOOST_TEST(!schemataMatches(current, "L3CODE:0=1"));
    BOOST_TEST(!schemataMatches(current, "garbage"));
    BOOST_TEST(schemataMatches(current, ""));
}

BOOST_AUTO_TEST_CASE(apply_on_a_fake_tree_writes_schemata_and_tasks)
{
    // Not resctrl (checkIntelRdt would refuse it), but enough to see which files get what.
    TempDir dir;
    IntelRdtPlan p = require(planIntelRdt(rdt("", "L3:0=ff"), "ctr1"));
    const std::string group = dir / "ctr1";
    // A real resctrl creates these files with the directory; here the test pre-creates them.
    BOOST_REQUIRE(::mkdir(group.c_str(), 0755) == 0);
    std::ofstream(group + "/schemata").flush();
    std::ofstream(group + "/tasks").flush();
    requireOk(applyIntelRdt(p, 4242, dir.path()));
    BOOST_TEST(require(readFile(group + "/schemata")) == "L3:0=ff\n");
    BOOST_TEST(require(readFile(group + "/tasks")) == "4242");
    // The owned group is removed at delete (rmdir of a non-empty test dir fails: empty it).
    ::unlink((group + "/schemata").c_str());
    ::unlink((group + "/tasks").c_str());
    requireOk(removeIntelRdt(p, dir.path()));
    struct stat st;
    BOOST_TEST(::stat(group.c_str(), &st) != 0);
    requireOk(removeIntelRdt(p, dir.path())); // already gone is fine
}

BOOST_AUTO_TEST_CASE(apply_refuses_a_missing_preconfigured_group)
{
    TempDir dir;
    IntelRdtPlan p = require(planIntelRdt(rdt("preset"), "ctr1"));
    auto r = applyIntelRdt(p, 1, dir.path());
    BOOST_TEST(errorText(r) == "linux.intelRdt.closID: no group \"preset\" under " + dir.path() +
                                   ": " + std::strerror(ENOENT));
}

BOOST_AUTO_TEST_CASE(apply_refuses_an_existing_group_with_other_schemata)
{
    TempDir dir;
    const std::string group = dir / "g";
    BOOST_REQUIRE(::mkdir(group.c_str(), 0755) == 0);
    std::ofstream(group + "/schemata") << "    L3:0=00f\n";
    std::ofstream(group + "/tasks").flush();
    IntelRdtPlan p = require(planIntelRdt(rdt("g", "L3:0=ff"), "ctr1"));
    BOOST_TEST(errorText(applyIntelRdt(p, 1, dir.path())) ==
               "linux.intelRdt: group \"g\" exists with a different schemata");
    p = require(planIntelRdt(rdt("g", "L3:0=f"), "ctr1"));
    requireOk(applyIntelRdt(p, 1, dir.path()));
}

BOOST_AUTO_TEST_SUITE_END()
