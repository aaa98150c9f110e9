// libcontainer/process/plan.h: checkSysctls and buildInitPlan on parsed configs.

#define BOOST_TEST_MODULE init_builder
#include "tests/unit/libcontainer_test_helpers.h"

#include <sys/mount.h>
#include <sys/resource.h>

#include <linux/capability.h>

#include <functional>
#include <string>
#include <vector>

#include "libcontainer/security/capabilities.h"
#include "libcontainer/process/plan.h"
#include "libcontainer/namespaces/namespaces.h"

using namespace husk;
using namespace lc_test;

namespace {

// A config using most of what the init plan carries.
const char *kRich = R"({
    "ociVersion": "1.2.0",
    "root": {"path": "rootfs", "readonly": true},
    "process": {
        "terminal": true, "consoleSize": {"height": 25, "width": 80},
        "user": {"uid": 1000, "gid": 1001, "umask": 18, "additionalGids": [5, 6]},
        "args": ["sh", "-c", "echo hi"],
        "env": ["PATH=/usr/bin:/bin", "TERM=xterm"],
        "cwd": "/work",
        "capabilities": {"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL"],
                         "permitted": ["CAP_KILL"], "ambient": ["CAP_KILL"]},
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 512},
                    {"type": "RLIMIT_CORE", "hard": 0, "soft": 0}],
        "noNewPrivileges": true,
        "oomScoreAdj": -500
    },
    "hostname": "box",
    "domainname": "example.org",
    "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
               {"destination": "/data", "source": "data", "options": ["rbind", "ro"]}],
    "linux": {
        "namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"}, {"type": "ipc"},
                       {"type": "network"}, {"type": "cgroup"}],
        "sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmax": "4096"},
        "rootfsPropagation": "rprivate",
        "maskedPaths": ["/proc/kcore", "/proc/keys"],
        "readonlyPaths": ["/proc/sys", "/proc/bus"],
        "devices": [{"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229}],
        "seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
                    "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO"}]}
    }
})";

const char *kMinimal = R"({
    "ociVersion": "1.2.0", "root": {"path": "rootfs"},
    "process": {"cwd": "/", "args": ["sh"]},
    "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}]}
})";

InitInputs inputs()
{
    InitInputs in;
    in.bundle = "/bundles/b";
    in.rootfs = "/bundles/b/rootfs";
    in.noPivot = true;
    in.preserveFds = 2;
    in.cgroupDirs = {{"memory", "/sys/fs/cgroup/memory/husk/c"}};
    return in;
}

Result<process::InitPlan> build(const spec::Config &c, const InitInputs &in = inputs())
{
    NamespacePlan ns = require(planNamespaces(c));
    return buildInitPlan(c, ns, in);
}

std::string buildError(const char *text, const std::function<void(spec::Config &)> &change)
{
    spec::Config c = configFromText(text);
    change(c);
    return errorText(build(c));
}

spec::Config withSysctl(std::vector<const char *> namespaces,
                        std::map<std::string, std::string> sysctl)
{
    spec::Config c = configFromText(R"({"ociVersion": "1.2.0", "root": {"path": "r"}})");
    c.linux = spec::Linux{};
    for (const char *n : namespaces)
        c.linux->namespaces.push_back({*spec::namespaceTypeFromName(n), ""});
    c.linux->sysctl = std::move(sysctl);
    return c;
}

} // namespace

BOOST_AUTO_TEST_SUITE(sysctls)

BOOST_AUTO_TEST_CASE(allowed_with_their_namespaces)
{
    requireOk(
        checkSysctls(withSysctl({"network", "ipc", "uts"}, {{"net.ipv4.ip_forward", "1"},
                                                            {"net.core.somaxconn", "1024"},
                                                            {"kernel.shmmax", "4096"},
                                                            {"kernel.msgmax", "8192"},
                                                            {"kernel.sem", "250 32000 32 128"},
                                                            {"fs.mqueue.msg_max", "10"},
                                                            {"kernel.hostname", "h"},
                                                            {"kernel.domainname", "d"}})));
    requireOk(checkSysctls(withSysctl({}, {})));
    requireOk(checkSysctls(configFromText(R"({"ociVersion": "1.2.0", "root": {"path": "r"}})")));
}

BOOST_AUTO_TEST_CASE(net_needs_network_namespace)
{
    BOOST_TEST(
        errorText(checkSysctls(withSysctl({"ipc", "uts"}, {{"net.ipv4.ip_forward", "1"}}))) ==
        "linux.sysctl \"net.ipv4.ip_forward\": not allowed in the host's network namespace");
}

BOOST_AUTO_TEST_CASE(ipc_keys_need_ipc_namespace)
{
    BOOST_TEST(errorText(checkSysctls(withSysctl({"network"}, {{"kernel.shmmax", "1"}}))) ==
               "linux.sysctl \"kernel.shmmax\": not allowed in the host's ipc namespace");
    BOOST_TEST(errorText(checkSysctls(withSysctl({"network"}, {{"fs.mqueue.queues_max", "1"}}))) ==
               "linux.sysctl \"fs.mqueue.queues_max\": not allowed in the host's ipc namespace");
}

BOOST_AUTO_TEST_CASE(hostname_needs_uts_namespace)
{
    BOOST_TEST(errorText(checkSysctls(withSysctl({"ipc"}, {{"kernel.hostname", "h"}}))) ==
               "linux.sysctl \"kernel.hostname\": not allowed in the host's uts namespace");
    BOOST_TEST(errorText(checkSysctls(withSysctl({"ipc"}, {{"kernel.domainname", "d"}}))) ==
               "linux.sysctl \"kernel.domainname\": not allowed in the host's uts namespace");
}

BOOST_AUTO_TEST_CASE(unnamespaced_sysctl_rejected)
{
    std::string err = errorText(checkSysctls(withSysctl(
        {"network", "ipc", "uts", "user", "pid", "mount", "cgroup"}, {{"vm.swappiness", "10"}})));
    BOOST_TEST(contains(err, "would change the host"), err);
    BOOST_TEST(err == "linux.sysctl \"vm.swappiness\": not in a namespace of the container's "
                      "own; it would change the host");
    BOOST_TEST(
        contains(errorText(checkSysctls(withSysctl({"ipc", "uts"}, {{"kernel.pid_max", "9"}}))),
                 "would change the host"));
}

BOOST_AUTO_TEST_CASE(bad_names)
{
    BOOST_TEST(errorText(checkSysctls(withSysctl({"network"}, {{"net/../../vm/x", "1"}}))) ==
               "linux.sysctl \"net/../../vm/x\": invalid name");
    BOOST_TEST(errorText(checkSysctls(withSysctl({"network"}, {{"net..x", "1"}}))) ==
               "linux.sysctl \"net..x\": invalid name");
}

BOOST_AUTO_TEST_CASE(net_in_the_hosts_network_namespace_rejected)
{
    // Joining a network namespace by path that is this process's own (the host's) gives the
    // container no network namespace of its own: net.* would change the host (runc refuses
    // this: "sysctl ... not allowed in host network namespace").
    spec::Config c = withSysctl({"pid", "mount"}, {{"net.ipv4.ip_forward", "1"}});
    c.linux->namespaces.push_back({spec::NamespaceType::Network, "/proc/self/ns/net"});
    auto r = checkSysctls(c);
    BOOST_TEST(!r.has_value(), "net.ipv4.ip_forward accepted in the host's network namespace");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(init_plan)

BOOST_AUTO_TEST_CASE(process_fields_land_in_the_plan)
{
    spec::Config c = configFromText(kRich);
    process::InitPlan p = require(build(c));
    std::vector<std::string> args = {"sh", "-c", "echo hi"};
    BOOST_TEST(p.args == args, boost::test_tools::per_element());
    std::vector<std::string> env = {"PATH=/usr/bin:/bin", "TERM=xterm"};
    BOOST_TEST(p.env == env, boost::test_tools::per_element());
    BOOST_TEST(p.cwd == "/work");
    BOOST_TEST(p.uid == 1000U);
    BOOST_TEST(p.gid == 1001U);
    std::vector<gid_t> groups = {5, 6};
    BOOST_TEST(p.additionalGids == groups, boost::test_tools::per_element());
    BOOST_REQUIRE(p.umask.has_value());
    BOOST_TEST(*p.umask == 022U);
    BOOST_REQUIRE(p.rlimits.size() == 2U);
    BOOST_TEST(p.rlimits[0].resource == RLIMIT_NOFILE);
    BOOST_TEST(p.rlimits[0].name == "RLIMIT_NOFILE");
    BOOST_TEST(p.rlimits[0].value.rlim_cur == 512U);
    BOOST_TEST(p.rlimits[0].value.rlim_max == 1024U);
    BOOST_TEST(p.rlimits[1].resource == RLIMIT_CORE);
    BOOST_TEST(p.rlimits[1].value.rlim_max == 0U);
    BOOST_REQUIRE(p.caps.has_value());
    BOOST_TEST(p.caps->bounding == ((1ULL << CAP_KILL) | (1ULL << CAP_CHOWN)));
    BOOST_TEST(p.caps->effective == (1ULL << CAP_KILL));
    BOOST_TEST(p.caps->permitted == (1ULL << CAP_KILL));
    BOOST_TEST(p.caps->inheritable == 0U);
    BOOST_TEST(p.caps->ambient == (1ULL << CAP_KILL));
    BOOST_TEST(p.lastCap == kernelLastCapability());
    BOOST_TEST(p.noNewPrivileges);
    BOOST_REQUIRE(p.oomScoreAdj.has_value());
    BOOST_TEST(*p.oomScoreAdj == -500);
    BOOST_TEST(p.terminal);
    BOOST_REQUIRE(p.consoleSize.has_value());
    BOOST_TEST(p.consoleSize->height == 25U);
    BOOST_TEST(p.consoleSize->width == 80U);
    BOOST_TEST(p.preserveFds == 2);
}

BOOST_AUTO_TEST_CASE(host_and_namespace_fields_land_in_the_plan)
{
    process::InitPlan p = require(build(configFromText(kRich)));
    BOOST_TEST(p.hostname == "box");
    BOOST_TEST(p.setHostname);
    BOOST_TEST(p.domainname == "example.org");
    BOOST_TEST(p.setDomainname);
    BOOST_TEST(p.newNet);
    BOOST_TEST(!p.newUser);
    BOOST_TEST(p.unshareCgroup);
    BOOST_TEST(p.mountNs);
    BOOST_TEST(p.sysctl.size() == 2U);
    BOOST_TEST(p.sysctl.at("net.ipv4.ip_forward") == "1");
    BOOST_TEST(p.sysctl.at("kernel.shmmax") == "4096");
    BOOST_REQUIRE(p.seccomp.has_value());
    BOOST_TEST(!p.seccomp->instructions.empty());
}

BOOST_AUTO_TEST_CASE(rootfs_plan)
{
    process::InitPlan p = require(build(configFromText(kRich)));
    const rootfs::RootfsPlan &r = p.rootfs;
    BOOST_TEST(r.rootfs == "/bundles/b/rootfs");
    BOOST_TEST(r.rootPropagation == (MS_PRIVATE | MS_REC));
    BOOST_TEST(r.propagationGiven);
    BOOST_TEST(r.readonly);
    BOOST_TEST(r.noPivot);
    BOOST_REQUIRE(r.mounts.size() == 2U);
    BOOST_TEST(r.mounts[0].destination == "/proc");
    BOOST_TEST(r.mounts[0].type == "proc");
    BOOST_TEST(r.mounts[1].destination == "/data");
    BOOST_TEST(r.mounts[1].type == "bind");
    BOOST_TEST(r.mounts[1].source == "/bundles/b/data");
    BOOST_TEST(r.mounts[1].options.flags == (MS_BIND | MS_REC | MS_RDONLY));
    BOOST_TEST(r.setupDev);
    BOOST_REQUIRE(r.devices.size() == 1U);
    BOOST_TEST(r.devices[0].path == "/dev/fuse");
    BOOST_TEST(r.devices[0].major == 10);
    std::vector<std::string> masked = {"/proc/kcore", "/proc/keys"};
    BOOST_TEST(r.maskedPaths == masked, boost::test_tools::per_element());
    std::vector<std::string> readonly = {"/proc/sys", "/proc/bus"};
    BOOST_TEST(r.readonlyPaths == readonly, boost::test_tools::per_element());
    BOOST_TEST(r.cgroupDirs.size() == 1U);
    BOOST_TEST(r.cgroupDirs.at("memory") == "/sys/fs/cgroup/memory/husk/c");
    BOOST_TEST(r.cgroupNs);
    BOOST_TEST(!r.userNs);
}

BOOST_AUTO_TEST_CASE(defaults)
{
    spec::Config c = configFromText(kMinimal);
    c.process->cwd.clear();
    InitInputs in;
    in.rootfs = "/r";
    in.bundle = "/b";
    process::InitPlan p = require(build(c, in));
    BOOST_TEST(p.cwd == "/");
    BOOST_TEST(!p.umask.has_value());
    BOOST_TEST(!p.caps.has_value()); // capabilities untouched
    BOOST_TEST(!p.oomScoreAdj.has_value());
    BOOST_TEST(!p.seccomp.has_value());
    BOOST_TEST(!p.setHostname);
    BOOST_TEST(!p.setDomainname);
    BOOST_TEST(!p.noNewPrivileges);
    BOOST_TEST(p.mountNs);
    BOOST_TEST(p.rootfs.rootPropagation == (MS_SLAVE | MS_REC));
    BOOST_TEST(!p.rootfs.propagationGiven);
    BOOST_TEST(!p.rootfs.readonly);
    BOOST_TEST(p.rootfs.mounts.empty());
    BOOST_TEST(p.rootfs.setupDev);
    BOOST_TEST(p.preserveFds == 0);

    spec::Config noMountNs = configFromText(R"({"ociVersion": "1.2.0", "root": {"path": "r"},
        "process": {"cwd": "/", "args": ["sh"]}, "linux": {"namespaces": [{"type": "pid"}]}})");
    BOOST_TEST(!require(build(noMountNs)).mountNs);
}

BOOST_AUTO_TEST_CASE(host_dev_bind_skips_dev_setup)
{
    spec::Config c = configFromText(kMinimal);
    c.mounts.push_back({"/dev", "/dev", "", {"rbind"}, {}, {}});
    BOOST_TEST(!require(build(c)).rootfs.setupDev);
}

BOOST_AUTO_TEST_CASE(mount_label_on_fresh_filesystems)
{
    spec::Config c = configFromText(kMinimal);
    c.mounts.push_back({"/tmp", "tmpfs", "tmpfs", {"size=1m"}, {}, {}});
    c.mounts.push_back({"/dev/mqueue", "mqueue", "mqueue", {}, {}, {}});
    c.mounts.push_back({"/data", "/srv", "", {"rbind"}, {}, {}});
    c.mounts.push_back({"/proc", "proc", "proc", {}, {}, {}});
    c.linux->mountLabel = "system_u:object_r:container_file_t:s0:c1,c2";
    process::InitPlan p = require(build(c));
    const auto &m = p.rootfs.mounts;
    BOOST_REQUIRE(m.size() == 4U);
    BOOST_TEST(m[0].options.data ==
               "size=1m,context=\"system_u:object_r:container_file_t:s0:c1,c2\"");
    BOOST_TEST(m[1].options.data == "context=\"system_u:object_r:container_file_t:s0:c1,c2\"");
    BOOST_TEST(m[2].options.data.empty()); // binds keep their own label
    BOOST_TEST(m[3].options.data.empty()); // proc has no context= option
}

BOOST_AUTO_TEST_CASE(listen_fds)
{
    InitInputs in = inputs();
    in.preserveFds = 1;
    in.listenFds = 3;
    process::InitPlan p = require(build(configFromText(kMinimal), in));
    BOOST_TEST(p.preserveFds == 4);
    std::vector<std::string> env = {"LISTEN_FDS=3", "LISTEN_PID=1"};
    BOOST_TEST(p.env == env, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(without_process)
{
    // The spec requires process only at start: create sets up and waits.
    spec::Config c = configFromText(R"({"ociVersion": "1.2.0", "root": {"path": "r"},
        "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}]}})");
    process::InitPlan p = require(build(c));
    BOOST_TEST(p.args.empty());
    BOOST_TEST(p.cwd == "/");
}

BOOST_AUTO_TEST_CASE(empty_args)
{
    BOOST_TEST(buildError(kMinimal, [](spec::Config &c) { c.process->args.clear(); }) ==
               "process.args: must not be empty");
}

BOOST_AUTO_TEST_CASE(unknown_rlimit)
{
    BOOST_TEST(buildError(kMinimal, [](spec::Config &c) {
                   c.process->rlimits = {{"RLIMIT_NOFILE", 10, 10}, {"RLIMIT_FOO", 1, 1}};
               }) == "process.rlimits[1].type: unknown rlimit \"RLIMIT_FOO\"");
}

BOOST_AUTO_TEST_CASE(hostname_without_uts)
{
    BOOST_TEST(buildError(kMinimal, [](spec::Config &c) { c.hostname = "box"; }) ==
               "hostname: needs a uts namespace");
    BOOST_TEST(buildError(kMinimal, [](spec::Config &c) { c.domainname = "example.org"; }) ==
               "domainname: needs a uts namespace");
}

BOOST_AUTO_TEST_CASE(errors_from_the_parts)
{
    BOOST_TEST(buildError(kMinimal, [](spec::Config &c) {
                   c.process->capabilities = spec::Capabilities{};
                   c.process->capabilities->effective = {"CAP_X"};
               }) == "process.capabilities.effective: unknown capability \"CAP_X\"");
    BOOST_TEST(buildError(kMinimal,
                          [](spec::Config &c) {
                              c.linux->sysctl = {{"vm.swappiness", "1"}};
                          }) ==
               "linux.sysctl \"vm.swappiness\": not in a namespace of the container's own; "
               "it would change the host");
    BOOST_TEST(buildError(kMinimal, [](spec::Config &c) {
                   c.linux->rootfsPropagation = "sideways";
               }) == "linux.rootfsPropagation: unknown propagation \"sideways\"");
    BOOST_TEST(buildError(kMinimal, [](spec::Config &c) {
                   c.mounts.push_back({"/x", "x", "", {}, {}, {}});
               }) == "mounts[0].type: required for a mount that is not a bind mount");
    BOOST_TEST(buildError(kMinimal, [](spec::Config &c) {
                   c.linux->seccomp = spec::Seccomp{};
                   c.linux->seccomp->defaultAction = "SCMP_ACT_NOPE";
               }) == "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\"");
}

BOOST_AUTO_TEST_SUITE_END()
