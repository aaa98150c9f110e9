// libcontainer/capabilities.h, seccomp_filter.h and support.h.

#define BOOST_TEST_MODULE security
#include "tests/unit/libcontainer_test_helpers.h"

#include <linux/capability.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "libcontainer/security/capabilities.h"
#include "libcontainer/process/exec_guard.h"
#include "libcontainer/security/seccomp/filter.h"
#include "libcontainer/introspect/supported.h"
#include "spec/default_spec.h"
#include "spec/parse.h"

using namespace husk;
using namespace lc_test;

BOOST_AUTO_TEST_SUITE(capabilities)

struct CapCase {
    const char *name;
    int number;
};

// Names and numbers from the kernel's own header.
const CapCase kCaps[] = {
    {"CAP_CHOWN", CAP_CHOWN},
    {"CAP_DAC_OVERRIDE", CAP_DAC_OVERRIDE},
    {"CAP_DAC_READ_SEARCH", CAP_DAC_READ_SEARCH},
    {"CAP_FOWNER", CAP_FOWNER},
    {"CAP_FSETID", CAP_FSETID},
    {"CAP_KILL", CAP_KILL},
    {"CAP_SETGID", CAP_SETGID},
    {"CAP_SETUID", CAP_SETUID},
    {"CAP_SETPCAP", CAP_SETPCAP},
    {"CAP_LINUX_IMMUTABLE", CAP_LINUX_IMMUTABLE},
    {"CAP_NET_BIND_SERVICE", CAP_NET_BIND_SERVICE},
    {"CAP_NET_BROADCAST", CAP_NET_BROADCAST},
    {"CAP_NET_ADMIN", CAP_NET_ADMIN},
    {"CAP_NET_RAW", CAP_NET_RAW},
    {"CAP_IPC_LOCK", CAP_IPC_LOCK},
    {"CAP_IPC_OWNER", CAP_IPC_OWNER},
    {"CAP_SYS_MODULE", CAP_SYS_MODULE},
    {"CAP_SYS_RAWIO", CAP_SYS_RAWIO},
    {"CAP_SYS_CHROOT", CAP_SYS_CHROOT},
    {"CAP_SYS_PTRACE", CAP_SYS_PTRACE},
    {"CAP_SYS_PACCT", CAP_SYS_PACCT},
    {"CAP_SYS_ADMIN", CAP_SYS_ADMIN},
    {"CAP_SYS_BOOT", CAP_SYS_BOOT},
    {"CAP_SYS_NICE", CAP_SYS_NICE},
    {"CAP_SYS_RESOURCE", CAP_SYS_RESOURCE},
    {"CAP_SYS_TIME", CAP_SYS_TIME},
    {"CAP_SYS_TTY_CONFIG", CAP_SYS_TTY_CONFIG},
    {"CAP_MKNOD", CAP_MKNOD},
    {"CAP_LEASE", CAP_LEASE},
    {"CAP_AUDIT_WRITE", CAP_AUDIT_WRITE},
    {"CAP_AUDIT_CONTROL", CAP_AUDIT_CONTROL},
    {"CAP_SETFCAP", CAP_SETFCAP},
    {"CAP_MAC_OVERRIDE", CAP_MAC_OVERRIDE},
    {"CAP_MAC_ADMIN", CAP_MAC_ADMIN},
    {"CAP_SYSLOG", CAP_SYSLOG},
    {"CAP_WAKE_ALARM", CAP_WAKE_ALARM},
    {"CAP_BLOCK_SUSPEND", CAP_BLOCK_SUSPEND},
    {"CAP_AUDIT_READ", CAP_AUDIT_READ},
    {"CAP_PERFMON", CAP_PERFMON},
    {"CAP_BPF", CAP_BPF},
    {"CAP_CHECKPOINT_RESTORE", CAP_CHECKPOINT_RESTORE},
};

BOOST_AUTO_TEST_CASE(all_names_both_ways)
{
    BOOST_TEST(std::size(kCaps) == 41U);
    for (const CapCase &c : kCaps) {
        auto n = capabilityFromName(c.name);
        BOOST_TEST((n && *n == c.number), c.name);
        BOOST_TEST(capabilityName(c.number) == c.name);
    }
    BOOST_TEST(lastKnownCapability() == CAP_LAST_CAP);
}

BOOST_AUTO_TEST_CASE(unknown_names)
{
    BOOST_TEST(!capabilityFromName("CAP_FOO").has_value());
    BOOST_TEST(!capabilityFromName("").has_value());
    BOOST_TEST(!capabilityFromName("SYS_ADMIN").has_value());
    BOOST_TEST(!capabilityFromName("cap_sys_admin").has_value());
    BOOST_TEST(capabilityName(-1).empty());
    BOOST_TEST(capabilityName(41).empty());
    BOOST_TEST(capabilityName(63).empty());
}

BOOST_AUTO_TEST_CASE(kernel_last_capability)
{
    int last = kernelLastCapability();
    BOOST_TEST(last >= CAP_AUDIT_READ);
    BOOST_TEST(last < 64);
}

BOOST_AUTO_TEST_CASE(sets_to_masks)
{
    spec::Capabilities caps;
    caps.bounding = {"CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN"};
    caps.effective = {"CAP_KILL"};
    caps.inheritable = {};
    caps.permitted = {"CAP_KILL", "CAP_NET_BIND_SERVICE"};
    caps.ambient = {"CAP_NET_BIND_SERVICE", "CAP_NET_BIND_SERVICE"};
    CapSets s = require(capabilitySets(caps, CAP_LAST_CAP));
    BOOST_TEST(s.bounding == ((1ULL << CAP_CHOWN) | (1ULL << CAP_KILL) | (1ULL << CAP_SYS_ADMIN)));
    BOOST_TEST(s.effective == (1ULL << CAP_KILL));
    BOOST_TEST(s.inheritable == 0U);
    BOOST_TEST(s.permitted == ((1ULL << CAP_KILL) | (1ULL << CAP_NET_BIND_SERVICE)));
    BOOST_TEST(s.ambient == (1ULL << CAP_NET_BIND_SERVICE));

    spec::Capabilities all;
    for (const CapCase &c : kCaps)
        all.effective.push_back(c.name);
    BOOST_TEST(require(capabilitySets(all, CAP_LAST_CAP)).effective == (1ULL << 41) - 1);
}

BOOST_AUTO_TEST_CASE(unknown_name_names_the_set)
{
    const std::pair<const char *, std::vector<std::string> spec::Capabilities::*> sets[] = {
        {"bounding", &spec::Capabilities::bounding},
        {"effective", &spec::Capabilities::effective},
        {"inheritable", &spec::Capabilities::inheritable},
        {"permitted", &spec::Capabilities::permitted},
        {"ambient", &spec::Capabilities::ambient},
    };
    for (const auto &[name, member] : sets) {
        spec::Capabilities caps;
        caps.bounding = {"CAP_CHOWN"};
        (caps.*member).push_back("CAP_X");
        BOOST_TEST(errorText(capabilitySets(caps, CAP_LAST_CAP)) ==
                   std::string("process.capabilities.") + name + ": unknown capability \"CAP_X\"");
    }
}

BOOST_AUTO_TEST_CASE(above_last_cap_dropped)
{
    spec::Capabilities caps;
    caps.bounding = {"CAP_CHOWN", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
                     "CAP_AUDIT_READ"};
    caps.effective = {"CAP_BPF"};
    CapSets s = require(capabilitySets(caps, CAP_AUDIT_READ));
    BOOST_TEST(s.bounding == ((1ULL << CAP_CHOWN) | (1ULL << CAP_AUDIT_READ)));
    BOOST_TEST(s.effective == 0U);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(seccomp)

namespace {

// seccompAction with nullopt as an impossible action value, so it prints.
uint32_t act(const std::string &name, std::optional<uint32_t> errnoRet)
{
    return seccompAction(name, errnoRet).value_or(0xdeadbeefU);
}

} // namespace

BOOST_AUTO_TEST_CASE(actions)
{
    BOOST_TEST(act("SCMP_ACT_KILL", std::nullopt) == SCMP_ACT_KILL_THREAD);
    BOOST_TEST(act("SCMP_ACT_KILL_THREAD", std::nullopt) == SCMP_ACT_KILL_THREAD);
    BOOST_TEST(act("SCMP_ACT_KILL_PROCESS", std::nullopt) == SCMP_ACT_KILL_PROCESS);
    BOOST_TEST(act("SCMP_ACT_TRAP", std::nullopt) == SCMP_ACT_TRAP);
    BOOST_TEST(act("SCMP_ACT_ERRNO", std::nullopt) == SCMP_ACT_ERRNO(EPERM));
    BOOST_TEST(act("SCMP_ACT_ERRNO", 38U) == SCMP_ACT_ERRNO(38));
    BOOST_TEST(act("SCMP_ACT_ERRNO", 0U) == SCMP_ACT_ERRNO(0));
    BOOST_TEST(act("SCMP_ACT_TRACE", std::nullopt) == SCMP_ACT_TRACE(EPERM));
    BOOST_TEST(act("SCMP_ACT_TRACE", 7U) == SCMP_ACT_TRACE(7));
    BOOST_TEST(act("SCMP_ACT_ALLOW", std::nullopt) == SCMP_ACT_ALLOW);
    BOOST_TEST(act("SCMP_ACT_ALLOW", 5U) == SCMP_ACT_ALLOW);
    BOOST_TEST(act("SCMP_ACT_LOG", std::nullopt) == SCMP_ACT_LOG);
    BOOST_TEST(act("SCMP_ACT_NOTIFY", std::nullopt) == SCMP_ACT_NOTIFY);
    BOOST_TEST(!seccompAction("SCMP_ACT_FOO", std::nullopt).has_value());
    BOOST_TEST(!seccompAction("", std::nullopt).has_value());
    BOOST_TEST(!seccompAction("scmp_act_allow", std::nullopt).has_value());
}

namespace {

spec::SeccompSyscall rule(std::vector<std::string> names, std::string action,
                          std::optional<uint32_t> errnoRet = std::nullopt,
                          std::vector<spec::SeccompArg> args = {})
{
    spec::SeccompSyscall s;
    s.names = std::move(names);
    s.action = std::move(action);
    s.errnoRet = errnoRet;
    s.args = std::move(args);
    return s;
}

spec::Seccomp smallProfile()
{
    spec::Seccomp s;
    s.defaultAction = "SCMP_ACT_ERRNO";
    s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
    s.syscalls = {
        rule({"read", "write", "exit_group"}, "SCMP_ACT_ALLOW"),
        rule({"mkdir"}, "SCMP_ACT_ERRNO", 38U),
        rule({"personality"}, "SCMP_ACT_ALLOW", std::nullopt,
             {{0, 0, 0, "SCMP_CMP_EQ"}, {0, 8, 0, "SCMP_CMP_EQ"}}),
    };
    return s;
}

bool hasReturn(const SeccompProgram &p, uint32_t k)
{
    for (const sock_filter &i : p.instructions)
        if (i.code == (BPF_RET | BPF_K) && i.k == k)
            return true;
    return false;
}

// Runs fn in a child that loaded p under no_new_privs; true if fn returned true.
bool inFilteredChild(const SeccompProgram &p, const std::function<bool()> &fn)
{
    pid_t pid = ::fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || !loadSeccomp(p))
            ::_exit(2);
        ::_exit(fn() ? 0 : 1);
    }
    int status = 0;
    BOOST_REQUIRE(::waitpid(pid, &status, 0) == pid);
    BOOST_TEST_MESSAGE("child status " << status);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

} // namespace

BOOST_AUTO_TEST_CASE(compiles_a_small_profile)
{
    spec::Seccomp s = smallProfile();
    s.flags = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
               "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
    SeccompProgram p = require(compileSeccomp(s));
    BOOST_REQUIRE(!p.instructions.empty());
    // libseccomp starts by loading seccomp_data.arch.
    BOOST_TEST(p.instructions[0].code == (BPF_LD | BPF_W | BPF_ABS));
    BOOST_TEST(p.instructions[0].k == offsetof(seccomp_data, arch));
    BOOST_TEST(hasReturn(p, SECCOMP_RET_ALLOW));
    BOOST_TEST(hasReturn(p, SECCOMP_RET_ERRNO | EPERM)); // the default
    BOOST_TEST(hasReturn(p, SECCOMP_RET_ERRNO | 38));    // the mkdir rule
    BOOST_TEST(p.flags == (SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG |
                           SECCOMP_FILTER_FLAG_SPEC_ALLOW));

    s.flags = {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
    BOOST_TEST(require(compileSeccomp(s)).flags == (1U << 5));
}

BOOST_AUTO_TEST_CASE(compiled_filter_behaves)
{
    spec::Seccomp s;
    s.defaultAction = "SCMP_ACT_ALLOW";
    s.syscalls = {rule({"getcwd"}, "SCMP_ACT_ERRNO", ENOMSG),
                  rule({"umask"}, "SCMP_ACT_ERRNO", std::nullopt, {{0, 0777, 0, "SCMP_CMP_EQ"}})};
    SeccompProgram p = require(compileSeccomp(s));
    BOOST_TEST(inFilteredChild(p, [] {
        char buf[256];
        long r = ::syscall(SYS_getcwd, buf, sizeof buf);
        return r == -1 && errno == ENOMSG;
    }));
    BOOST_TEST(inFilteredChild(p, [] {
        long denied = ::syscall(SYS_umask, 0777);
        int deniedErrno = errno;
        long allowed = ::syscall(SYS_umask, 022);
        return denied == -1 && deniedErrno == EPERM && allowed >= 0;
    }));
}

BOOST_AUTO_TEST_CASE(unknown_syscalls_skipped)
{
    spec::Seccomp s = smallProfile();
    SeccompProgram base = require(compileSeccomp(s));
    s.syscalls.push_back(rule({"no_such_syscall", "another_bogus_call"}, "SCMP_ACT_KILL"));
    s.syscalls[0].names.push_back("not_a_syscall_either");
    SeccompProgram withUnknown = require(compileSeccomp(s));
    BOOST_TEST(withUnknown.instructions.size() == base.instructions.size());
}

BOOST_AUTO_TEST_CASE(rule_equal_to_default_is_skipped)
{
    spec::Seccomp s;
    s.defaultAction = "SCMP_ACT_ALLOW";
    s.syscalls = {rule({"read"}, "SCMP_ACT_ALLOW")};
    SeccompProgram p = require(compileSeccomp(s));
    BOOST_TEST(!p.instructions.empty());
    BOOST_TEST(!hasReturn(p, SECCOMP_RET_ERRNO | EPERM));
}

BOOST_AUTO_TEST_CASE(unknown_default_action)
{
    spec::Seccomp s = smallProfile();
    s.defaultAction = "SCMP_ACT_FOO";
    BOOST_TEST(errorText(compileSeccomp(s)) ==
               "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\"");
}

BOOST_AUTO_TEST_CASE(unknown_architecture)
{
    spec::Seccomp s = smallProfile();
    s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"};
    BOOST_TEST(errorText(compileSeccomp(s)) ==
               "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"");
}

BOOST_AUTO_TEST_CASE(unknown_flag)
{
    spec::Seccomp s = smallProfile();
    s.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_FOO"};
    BOOST_TEST(errorText(compileSeccomp(s)) ==
               "linux.seccomp.flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_FOO\"");
}

BOOST_AUTO_TEST_CASE(unknown_rule_action)
{
    spec::Seccomp s = smallProfile();
    s.syscalls[1].action = "SCMP_ACT_BOGUS";
    BOOST_TEST(errorText(compileSeccomp(s)) ==
               "linux.seccomp.syscalls[1].action: unknown action \"SCMP_ACT_BOGUS\"");
}

BOOST_AUTO_TEST_CASE(unknown_operator)
{
    spec::Seccomp s = smallProfile();
    s.syscalls[2].args[1].op = "SCMP_CMP_XX";
    BOOST_TEST(errorText(compileSeccomp(s)) ==
               "linux.seccomp.syscalls[2].args[1].op: unknown operator \"SCMP_CMP_XX\"");
}

BOOST_AUTO_TEST_CASE(argument_index_out_of_range)
{
    spec::Seccomp s = smallProfile();
    s.syscalls[2].args[0].index = 6;
    BOOST_TEST(errorText(compileSeccomp(s)) ==
               "linux.seccomp.syscalls[2].args[0].index: must be 0..5");
}

BOOST_AUTO_TEST_CASE(every_operator_compiles)
{
    for (const char *op : {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
                           "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"}) {
        spec::Seccomp s;
        s.defaultAction = "SCMP_ACT_ALLOW";
        s.syscalls = {rule({"personality"}, "SCMP_ACT_ERRNO", std::nullopt, {{0, 0xff, 8, op}})};
        auto r = compileSeccomp(s);
        BOOST_TEST(r.has_value(), op << ": " << (r ? "" : r.error().what()));
    }
}

BOOST_AUTO_TEST_CASE(notify_needs_a_listener)
{
    spec::Seccomp s = smallProfile();
    s.syscalls[0].action = "SCMP_ACT_NOTIFY";
    BOOST_TEST(errorText(compileSeccomp(s)) ==
               "linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used");

    spec::Seccomp d = smallProfile();
    d.defaultAction = "SCMP_ACT_NOTIFY";
    BOOST_TEST(contains(errorText(compileSeccomp(d)), "cannot be the default action"));

    // A listener path without NOTIFY rules is allowed and loads without a listener.
    spec::Seccomp l = smallProfile();
    l.listenerPath = "/run/seccomp-agent.sock";
    auto plain = compileSeccomp(l);
    BOOST_REQUIRE(plain.has_value());
    BOOST_TEST(!plain->listener);

    spec::Seccomp n = smallProfile();
    n.listenerPath = "/run/seccomp-agent.sock";
    n.syscalls[0].action = "SCMP_ACT_NOTIFY";
    auto notify = compileSeccomp(n);
    BOOST_REQUIRE(notify.has_value());
    BOOST_TEST(notify->listener);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(support)

namespace {

const char *kPlain = R"({
    "ociVersion": "1.2.0", "root": {"path": "rootfs"},
    "process": {"cwd": "/", "args": ["sh"], "apparmorProfile": "", "selinuxLabel": ""},
    "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
               {"destination": "/data", "type": "bind", "source": "/srv", "options": ["rbind"]}],
    "hostname": "h",
    "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"}],
              "resources": {"devices": [{"allow": false, "access": "rwm"}]},
              "maskedPaths": ["/proc/kcore"], "readonlyPaths": ["/proc/sys"]}
})";

std::string unsupported(const std::function<void(spec::Config &)> &change)
{
    spec::Config c = configFromText(kPlain);
    change(c);
    return errorText(checkSupported(c));
}

} // namespace

BOOST_AUTO_TEST_CASE(plain_configs_pass)
{
    requireOk(checkSupported(configFromText(kPlain)));
    requireOk(checkSupported(require(spec::parseConfig(spec::defaultSpec(false)))));
    requireOk(checkSupported(require(spec::parseConfig(spec::defaultSpec(true)))));
    requireOk(checkSupported(configFromText(R"({"ociVersion": "1.2.0", "root": {"path": "r"}})")));
}

BOOST_AUTO_TEST_CASE(process_fields)
{
    BOOST_TEST(unsupported([](spec::Config &c) { c.process->commandLine = "sh"; }) ==
               "process.commandLine: only valid on Windows");
    // Applied by process/attrs and security/lsm; whether the host has the LSM is checkHostFeatures'
    // business.
    spec::Config c = configFromText(kPlain);
    c.process->scheduler = spec::Scheduler{};
    c.process->ioPriority = spec::IoPriority{};
    c.process->execCpuAffinity = spec::ExecCpuAffinity{};
    c.process->apparmorProfile = "docker";
    BOOST_TEST(checkSupported(c).has_value());
}

BOOST_AUTO_TEST_CASE(hooks_are_supported)
{
    // Hooks are applied (libcontainer/hooks.h), so none of them is refused any more.
    const std::pair<const char *, std::vector<spec::Hook> spec::Hooks::*> kinds[] = {
        {"prestart", &spec::Hooks::prestart},
        {"createRuntime", &spec::Hooks::createRuntime},
        {"createContainer", &spec::Hooks::createContainer},
        {"startContainer", &spec::Hooks::startContainer},
        {"poststart", &spec::Hooks::poststart},
        {"poststop", &spec::Hooks::poststop},
    };
    for (const auto &[name, member] : kinds) {
        spec::Config c = configFromText(kPlain);
        c.hooks = spec::Hooks{};
        ((*c.hooks).*member).push_back(spec::Hook{"/bin/true", {}, {}, {}});
        auto r = checkSupported(c);
        BOOST_TEST(r.has_value(), "hooks." << name << ": " << (r ? "" : r.error().what()));
    }
}

BOOST_AUTO_TEST_CASE(idmapped_mounts_are_supported)
{
    // Applied by rootfs/idmap.cpp; planMounts checks the combinations.
    for (const char *opt : {"idmap", "ridmap"}) {
        spec::Config c = configFromText(kPlain);
        c.mounts[1].options.push_back(opt);
        c.mounts[1].uidMappings = {{0, 1000, 1}};
        c.mounts[1].gidMappings = {{0, 1000, 1}};
        BOOST_TEST(checkSupported(c).has_value(), opt);
    }
}

BOOST_AUTO_TEST_CASE(resources)
{
    // Every resource is applied now (cgroups/resources.h): none is refused as unsupported.
    const std::function<void(spec::Resources &)> applied[] = {
        [](spec::Resources &r) {
            r.memory = spec::Memory{1 << 20, {}, 2 << 20};
        },
        [](spec::Resources &r) { r.cpu = spec::Cpu{512}; },
        [](spec::Resources &r) { r.pidsLimit = 100; },
        [](spec::Resources &r) { r.blockIo = spec::BlockIo{500}; },
        [](spec::Resources &r) {
            r.hugepageLimits = {{"2MB", 1}};
        },
        [](spec::Resources &r) {
            r.network = spec::Network{1, {}};
        },
        [](spec::Resources &r) {
            r.rdma["mlx5_1"] = spec::Rdma{1, 1};
        },
        [](spec::Resources &r) { r.unified["memory.max"] = "1G"; },
    };
    for (size_t i = 0; i < std::size(applied); ++i) {
        spec::Config c = configFromText(kPlain);
        applied[i](*c.linux->resources);
        auto r = checkSupported(c);
        BOOST_TEST(r.has_value(), "resource " << i << ": " << (r ? "" : r.error().what()));
    }
    // What can be judged without the host is refused before anything is created.
    auto res = [](const std::function<void(spec::Resources &)> &f) {
        return unsupported([&f](spec::Config &c) { f(*c.linux->resources); });
    };
    BOOST_TEST(res([](spec::Resources &r) { r.cpu = spec::Cpu{1}; }) ==
               "linux.resources.cpu.shares: 1 is out of range (2-262144)");
    BOOST_TEST(res([](spec::Resources &r) { r.unified["../escape"] = "1"; }) ==
               "linux.resources.unified[\"../escape\"]: a key must be a cgroup v2 file name, "
               "CONTROLLER.PARAMETER");
}

BOOST_AUTO_TEST_CASE(linux_fields)
{
    // Checked against the host by checkHostFeatures, applied by the init builder.
    spec::Config labelled = configFromText(kPlain);
    labelled.linux->mountLabel = "system_u";
    BOOST_TEST(checkSupported(labelled).has_value());
    BOOST_TEST(unsupported([](spec::Config &c) { c.linux->intelRdt = spec::IntelRdt{}; }) ==
               "linux.intelRdt: not supported yet");
    // netDevices are moved in at create; the names are still checked here.
    spec::Config withDevice = configFromText(kPlain);
    withDevice.linux->netDevices["eth1"] = {};
    BOOST_TEST(checkSupported(withDevice).has_value());
    BOOST_TEST(unsupported([](spec::Config &c) { c.linux->netDevices["bad/name"] = {}; }) != "");
    // Applied now: personality, memoryPolicy (process/attrs) and Landlock.
    spec::Config c = configFromText(kPlain);
    c.linux->personality = spec::Personality{};
    c.linux->memoryPolicy = spec::MemoryPolicy{};
    c.landlock = spec::LandlockPlan{};
    BOOST_TEST(checkSupported(c).has_value());
}

BOOST_AUTO_TEST_CASE(parsed_fields_are_caught)
{
    spec::Config c = configFromText(R"({
        "ociVersion": "1.2.0", "root": {"path": "rootfs"},
        "process": {"cwd": "/", "args": ["sh"]},
        "linux": {"resources": {"memory": {"limit": 1048576, "swappiness": 150}}}
    })");
    BOOST_TEST(errorText(checkSupported(c)) ==
               "linux.resources.memory.swappiness: 150 is out of range (0-100)");
}

BOOST_AUTO_TEST_SUITE_END()

// libcontainer/exec_guard.h: what would run the runtime's own binary is refused.
BOOST_AUTO_TEST_SUITE(exec_guard)

namespace {

struct stat statOf(const std::string &path)
{
    struct stat st;
    BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
    return st;
}

void writeScript(const std::string &path, const std::string &text)
{
    std::ofstream(path) << text;
    BOOST_REQUIRE(::chmod(path.c_str(), 0755) == 0);
}

} // namespace

BOOST_AUTO_TEST_CASE(runtime_id_is_this_binary)
{
    struct stat self = require(runtimeBinaryId());
    struct stat viaLink = statOf("/proc/self/exe");
    BOOST_TEST(self.st_ino == viaLink.st_ino);
    BOOST_TEST(self.st_dev == viaLink.st_dev);
}

BOOST_AUTO_TEST_CASE(direct_and_through_links)
{
    TempDir dir;
    struct stat self = statOf("/proc/self/exe");
    BOOST_TEST(errorText(refuseRuntimeBinary("/proc/self/exe", self)) ==
               "process.args[0]: \"/proc/self/exe\" would execute the host's husk binary; "
               "refused (CVE-2019-5736)");
    BOOST_REQUIRE(::symlink("/proc/self/exe", (dir / "link").c_str()) == 0);
    BOOST_TEST(!refuseRuntimeBinary(dir / "link", self).has_value());
    // Another program is fine.
    requireOk(refuseRuntimeBinary("/bin/sh", self));
    // A missing file is left for execve to report.
    requireOk(refuseRuntimeBinary(dir / "missing", self));
}

BOOST_AUTO_TEST_CASE(script_interpreter_chain)
{
    TempDir dir;
    struct stat self = statOf("/proc/self/exe");
    writeScript(dir / "evil", "#!/proc/self/exe\n");
    BOOST_TEST(errorText(refuseRuntimeBinary(dir / "evil", self)) ==
               "process.args[0]: \"" + (dir / "evil") +
                   "\" would execute the host's husk binary (through \"/proc/self/exe\"); "
                   "refused (CVE-2019-5736)");
    // Two levels: a script whose interpreter is that script; spaces after "#!" and arguments.
    writeScript(dir / "outer", "#! " + (dir / "evil") + " -x\n");
    BOOST_TEST(!refuseRuntimeBinary(dir / "outer", self).has_value());
    writeScript(dir / "fine", "#!/bin/sh\necho hi\n");
    requireOk(refuseRuntimeBinary(dir / "fine", self));
    writeScript(dir / "plain", "echo no interpreter line\n");
    requireOk(refuseRuntimeBinary(dir / "plain", self));
}

BOOST_AUTO_TEST_CASE(elf_interpreter)
{
    // This test binary is dynamically linked: pretending the dynamic loader is the runtime
    // shows that PT_INTERP is followed.
    std::string loader;
    for (const char *l : {"/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1"})
        if (::access(l, F_OK) == 0)
            loader = l;
    BOOST_REQUIRE(!loader.empty());
    struct stat ld = statOf(loader);
    BOOST_TEST(!refuseRuntimeBinary("/proc/self/exe", ld).has_value());
    // A static binary has no PT_INTERP.
    if (::access("/bin/busybox", X_OK) == 0)
        requireOk(refuseRuntimeBinary("/bin/busybox", ld));
}

BOOST_AUTO_TEST_SUITE_END()
