// libcontainer/introspect/check.h: the report judged and printed from fixed facts (text byte for
// byte, JSON by key), and one real probe of this host that must at least find what every Linux has.

#define BOOST_TEST_MODULE host_check
#include "tests/unit/libcontainer_test_helpers.h"

#include <cerrno>
#include <string>

#include "libcontainer/introspect/check.h"
#include "libcontainer/security/seccomp/filter.h"

using namespace husk;
using namespace lc_test;

namespace {

constexpr const char *kHybrid =
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

constexpr const char *kV2 = "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";

// A hybrid host with a few things missing, one of each kind.
HostFacts sampleFacts()
{
    HostFacts f;
    f.kernelRelease = "6.1.0-18-amd64";
    f.machine = "x86_64";
    for (spec::NamespaceType t : spec::kNamespaceTypes)
        f.namespaces.emplace_back(t, t != spec::NamespaceType::Time);
    f.cgroupLayout = cgroups::parseLayout(kHybrid);
    f.cgroup2Controllers = {"io"};
    for (std::string_view a : seccompNames().actions)
        f.seccompActions.emplace_back(a, a != "SCMP_ACT_NOTIFY");
    for (std::string_view flag : seccompNames().flags)
        f.seccompFlags.emplace_back(flag, flag != "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
    f.landlockAbi = 3;
    f.apparmor = false;
    f.selinux = true;
    f.maxUserNamespaces = 63183;
    f.unprivilegedUsernsClone = 0;
    f.mountSetattr = {true, 0};
    f.nftables = fail("NFT_MSG_GETGEN", EOPNOTSUPP);
    f.pidfdOpen = {true, 0};
    f.clone3 = {false, ENOSYS};
    return f;
}

const HostCheck *findCheck(const HostReport &report, std::string_view section,
                           std::string_view name)
{
    for (const HostSection &s : report)
        if (s.key == section)
            for (const HostCheck &c : s.checks)
                if (c.name == name)
                    return &c;
    return nullptr;
}

} // namespace

BOOST_AUTO_TEST_SUITE(report)

BOOST_AUTO_TEST_CASE(text_of_a_hybrid_host)
{
    const std::string want = R"(Kernel
  ✓ Linux: 6.1.0-18-amd64 (x86_64)
Namespaces
  ✓ pid
  ✓ network
  ✓ mount
  ✓ ipc
  ✓ uts
  ✓ user
  ✓ cgroup
  ✗ time: linux.namespaces type "time" will fail create
Cgroups
  ✓ layout: hybrid, cgroup2 at /sys/fs/cgroup/unified
  ✓ cpu: v1
  ✓ cpuacct: v1
  ✗ cpuset: linux.resources.cpu.cpus and .mems will fail create
  ✓ memory: v1
  ✓ pids: v1
  ✓ blkio: cgroup2
  ✗ hugetlb: linux.resources.hugepageLimits will fail create
  ✓ devices: v1
  ✓ freezer: cgroup2, cgroup.freeze
  ✗ net_cls: linux.resources.network.classID will fail create
  ✗ net_prio: linux.resources.network.priorities will fail create
  ✗ rdma: linux.resources.rdma will fail create
Seccomp
  ✓ filters: SECCOMP_GET_ACTION_AVAIL answers
  ✓ SCMP_ACT_KILL
  ✓ SCMP_ACT_KILL_PROCESS
  ✓ SCMP_ACT_KILL_THREAD
  ✓ SCMP_ACT_TRAP
  ✓ SCMP_ACT_ERRNO
  ✓ SCMP_ACT_TRACE
  ✓ SCMP_ACT_ALLOW
  ✓ SCMP_ACT_LOG
  ✗ SCMP_ACT_NOTIFY: linux.seccomp rules using SCMP_ACT_NOTIFY will not work
  ✓ SECCOMP_FILTER_FLAG_TSYNC
  ✓ SECCOMP_FILTER_FLAG_LOG
  ✓ SECCOMP_FILTER_FLAG_SPEC_ALLOW
  ✗ SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: linux.seccomp.flags with it will fail create
Security modules
  ✓ Landlock: ABI 3
  ✗ AppArmor: process.apparmorProfile will fail create
  ✓ SELinux
User namespaces
  ✓ max_user_namespaces: 63183
  ✗ unprivileged_userns_clone (0): rootless husk fails for unprivileged users (root is not affected)
Mounts
  ✓ mount_setattr
  ✓ idmapped mounts: mount_setattr is there; trying one needs root
Networking
  ✗ nftables (NFT_MSG_GETGEN: Operation not supported): pods on a bridge fail: their masquerade and port forwards are nf_tables rules
Processes
  ✗ clone3 (ENOSYS: not in this kernel, or hidden by a seccomp filter): create fails: husk starts every container with clone3 [required]
  ✓ pidfd_open
systemd
  ✗ --systemd-cgroup (systemd is not the init here (no /run/systemd/system)): --systemd-cgroup fails create; without the flag husk manages cgroups itself

34 available, 13 missing, 1 of them required by a default bundle
)";
    BOOST_TEST(formatHostReport(assessHost(sampleFacts())) == want);
}

BOOST_AUTO_TEST_CASE(json_mirrors_the_text)
{
    nlohmann::ordered_json j = hostReportJson(assessHost(sampleFacts()));
    std::vector<std::string> keys;
    for (const auto &[key, value] : j.items())
        keys.push_back(key);
    BOOST_TEST(keys == (std::vector<std::string>{"kernel", "namespaces", "cgroups", "seccomp",
                                                 "security", "userns", "mounts", "network",
                                                 "process", "systemd", "summary"}),
               boost::test_tools::per_element());
    BOOST_TEST(j["namespaces"]["pid"] ==
               nlohmann::ordered_json({{"available", true}, {"required", true}}));
    BOOST_TEST(j["namespaces"]["user"] == nlohmann::ordered_json({{"available", true}}));
    BOOST_TEST(j["namespaces"]["time"]["available"] == false);
    BOOST_TEST(j["namespaces"]["time"]["consequence"] ==
               "linux.namespaces type \"time\" will fail create");
    BOOST_TEST(j["security"]["Landlock"]["detail"] == "ABI 3");
    BOOST_TEST(!j["security"]["Landlock"].contains("consequence"));
    BOOST_TEST(j["process"]["clone3"]["detail"] ==
               "ENOSYS: not in this kernel, or hidden by a seccomp filter");
    BOOST_TEST(j["summary"]["available"] == 34);
    BOOST_TEST(j["summary"]["missing"] == 13);
    BOOST_TEST(j["summary"]["requiredMissing"] == 1);
}

BOOST_AUTO_TEST_CASE(cgroup2_only_host)
{
    HostFacts f = sampleFacts();
    f.cgroupLayout = cgroups::parseLayout(kV2);
    f.cgroup2Controllers = {"cpuset", "cpu", "io", "memory", "pids"};
    HostReport r = assessHost(f);
    BOOST_TEST(findCheck(r, "cgroups", "layout")->detail == "v2, cgroup2 at /sys/fs/cgroup");
    BOOST_TEST(findCheck(r, "cgroups", "memory")->detail == "cgroup2");
    BOOST_TEST(findCheck(r, "cgroups", "cpuacct")->detail == "cgroup2, cpu.stat");
    BOOST_TEST(findCheck(r, "cgroups", "devices")->detail == "cgroup2, eBPF device filter");
    BOOST_TEST(!findCheck(r, "cgroups", "hugetlb")->ok);
    BOOST_TEST(!findCheck(r, "cgroups", "net_cls")->ok); // no cgroup2 counterpart at all
}

BOOST_AUTO_TEST_CASE(failed_probes_say_why)
{
    HostFacts f = sampleFacts();
    f.cgroupLayout = cgroups::parseLayout("");
    f.seccompActions.clear();
    f.landlockAbi = 0;
    f.maxUserNamespaces.reset();
    f.unprivilegedUsernsClone.reset();
    f.idmapDir = "/tmp";
    f.idmapMount = Result<void>(fail("mount \"/probe\": the filesystem of /tmp/x does not "
                                     "support idmapped mounts",
                                     EINVAL));
    f.nftablesModule = true;
    HostReport r = assessHost(f);
    const HostSection &cgroups = r[2];
    BOOST_REQUIRE(cgroups.checks.size() == 1u); // no controllers without a layout
    BOOST_TEST(cgroups.checks[0].detail == "no cgroup filesystem is mounted");
    BOOST_TEST(cgroups.checks[0].consequence ==
               "husk cannot place containers in cgroups: create fails");
    BOOST_TEST(!findCheck(r, "seccomp", "filters")->ok);
    BOOST_TEST(findCheck(r, "security", "Landlock")->consequence.find("strict mode") !=
               std::string::npos);
    BOOST_TEST(findCheck(r, "userns", "max_user_namespaces")->detail ==
               "no user namespaces in this kernel");
    BOOST_TEST(findCheck(r, "userns", "unprivileged_userns_clone") == nullptr);
    const HostCheck *idmap = findCheck(r, "mounts", "idmapped mounts");
    BOOST_TEST(!idmap->ok);
    BOOST_TEST(idmap->detail.find("does not support idmapped mounts") != std::string::npos);
    BOOST_TEST(findCheck(r, "network", "nftables")->ok); // the module is there
    BOOST_TEST(findCheck(r, "network", "nftables")->detail == "/sys/module/nf_tables");
    // Without CAP_NET_ADMIN nfnetlink will not say: unknown, not absent.
    f.nftablesModule = false;
    f.nftables = fail("NFT_MSG_GETGEN", EPERM);
    HostReport withoutCap = assessHost(f);
    BOOST_TEST(findCheck(withoutCap, "network", "nftables")->detail ==
               "unknown: asking the kernel needs CAP_NET_ADMIN");
}

BOOST_AUTO_TEST_CASE(required_features_are_what_a_default_bundle_needs)
{
    HostFacts f = sampleFacts();
    f.clone3 = {true, 0};
    BOOST_TEST(missingRequired(assessHost(f)) == 0); // time, AppArmor, nftables: optional
    BOOST_TEST(formatHostReport(assessHost(f)).ends_with("35 available, 12 missing\n"));
    // A namespace the default config asks for, the devices controller, a pidfd.
    for (auto &[type, ok] : f.namespaces)
        ok = type != spec::NamespaceType::Uts;
    f.cgroupLayout = cgroups::parseLayout(
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n");
    f.pidfdOpen = {false, ENOSYS};
    HostReport r = assessHost(f);
    BOOST_TEST(missingRequired(r) == 3);
    BOOST_TEST(findCheck(r, "namespaces", "uts")->required);
    BOOST_TEST(!findCheck(r, "namespaces", "user")->required);
    BOOST_TEST(findCheck(r, "cgroups", "devices")->required);
    BOOST_TEST(!findCheck(r, "cgroups", "memory")->required);
    BOOST_TEST(hostReportJson(r)["summary"]["requiredMissing"] == 3);
    BOOST_TEST(formatHostReport(r).find("3 of them required by a default bundle") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(systemd_line)
{
    HostFacts f = sampleFacts();
    f.systemdRunning = true;
    f.systemdBus = fail("--systemd-cgroup needs libsystemd: libsystemd.so.0: cannot open");
    HostReport withoutLib = assessHost(f);
    const HostCheck *c = findCheck(withoutLib, "systemd", "--systemd-cgroup");
    BOOST_TEST(!c->ok);
    BOOST_TEST(!c->required);
    BOOST_TEST(c->detail == "--systemd-cgroup needs libsystemd: libsystemd.so.0: cannot open");
    f.systemdBus = {};
    HostReport usable = assessHost(f);
    c = findCheck(usable, "systemd", "--systemd-cgroup");
    BOOST_TEST(c->ok);
    BOOST_TEST(c->detail == "running; libsystemd can be loaded");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(this_host)

BOOST_AUTO_TEST_CASE(probe_finds_what_every_linux_has)
{
    HostFacts f = probeHost();
    BOOST_TEST(!f.kernelRelease.empty());
    BOOST_TEST(f.namespaces.size() == std::size(spec::kNamespaceTypes));
    BOOST_TEST(f.seccompActions.size() == seccompNames().actions.size());
    BOOST_TEST(f.seccompFlags.size() == seccompNames().flags.size());
    HostReport r = assessHost(f);
    BOOST_TEST(findCheck(r, "kernel", "Linux")->ok);
    BOOST_TEST(findCheck(r, "namespaces", "pid")->ok);
    BOOST_TEST(findCheck(r, "namespaces", "mount")->ok);
    // The unit tests run pidfd-based helpers elsewhere; husk cannot work without it.
    BOOST_TEST(findCheck(r, "process", "pidfd_open")->ok);
    std::string text = formatHostReport(r);
    BOOST_TEST(text.starts_with("Kernel\n  ✓ Linux: " + f.kernelRelease));
}

BOOST_AUTO_TEST_SUITE_END()
