// libcontainer/seccomp_profiles.h: the built-in profiles compile with compileSeccomp(), name
// only known syscalls, keep the dangerous calls out, and behave as intended when loaded.

#define BOOST_TEST_MODULE seccomp_profiles
#include "tests/unit/libcontainer_test_helpers.h"

#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "libcontainer/security/seccomp/filter.h"
#include "spec/seccomp_profiles.h"

using namespace husk;
using namespace husk::spec;
using namespace lc_test;
using Json = nlohmann::json;

namespace {

// The profile as husk would read it from config.json.
spec::Seccomp parsed(const Json &profile)
{
    Json doc = {{"ociVersion", "1.2.0"}, {"root", {{"path", "rootfs"}}}};
    doc["linux"]["seccomp"] = profile;
    spec::Config c = require(spec::parseConfig(doc));
    BOOST_REQUIRE(c.linux && c.linux->seccomp);
    return *c.linux->seccomp;
}

Json profile(std::string_view name)
{
    auto p = seccompProfile(name);
    BOOST_REQUIRE_MESSAGE(p, std::string(name) + ": no profile");
    return *p;
}

// Names allowed by a rule without argument conditions, and names allowed only under some.
struct Allowed {
    std::set<std::string> always;
    std::set<std::string> withArgs;
    bool allows(const std::string &n) const { return always.count(n) || withArgs.count(n); }
};

Allowed allowedNames(const spec::Seccomp &s)
{
    Allowed a;
    for (const spec::SeccompSyscall &r : s.syscalls)
        if (r.action == "SCMP_ACT_ALLOW" || r.action == "SCMP_ACT_LOG")
            for (const std::string &n : r.names)
                (r.args.empty() ? a.always : a.withArgs).insert(n);
    for (const std::string &n : a.always)
        a.withArgs.erase(n);
    return a;
}

// Every architecture libseccomp can build a filter for: a name counts as a syscall if one of
// them has it.
const uint32_t kAllArches[] = {SCMP_ARCH_X86_64,  SCMP_ARCH_X86,     SCMP_ARCH_X32,
                               SCMP_ARCH_AARCH64, SCMP_ARCH_ARM,     SCMP_ARCH_PPC64LE,
                               SCMP_ARCH_S390X,   SCMP_ARCH_RISCV64, SCMP_ARCH_MIPS64,
                               SCMP_ARCH_MIPSEL,  SCMP_ARCH_PARISC64};

bool knownSomewhere(const std::string &name)
{
    for (uint32_t arch : kAllArches)
        if (seccomp_syscall_resolve_name_arch(arch, name.c_str()) >= 0)
            return true;
    return false;
}

// Runs fn in a child that loaded p under no_new_privs (no root needed); true if fn returned
// true. The child only _exit()s: it must not run the test framework's teardown.
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

// A raw syscall that must fail with err.
bool failsWith(long r, int err)
{
    return r == -1 && errno == err;
}

SeccompProgram compiled(std::string_view name)
{
    return require(compileSeccomp(parsed(profile(name))));
}

const char *const kBuiltIn[] = {"default", "strict", "audit"};

} // namespace

BOOST_AUTO_TEST_CASE(names)
{
    for (std::string_view n : seccompProfileNames())
        BOOST_TEST(isSeccompProfileName(n));
    BOOST_TEST(seccompProfileNames().size() == 4U);
    for (const char *n : {"default", "strict", "audit", "unconfined"})
        BOOST_TEST(isSeccompProfileName(n), n);
    for (const char *n : {"", "Default", "runtime/default", "unconfined ", "foo"})
        BOOST_TEST(!isSeccompProfileName(n), n);
    BOOST_TEST(!seccompProfile("unconfined").has_value());
    BOOST_TEST(!seccompProfile("foo").has_value());
    for (const char *n : kBuiltIn)
        BOOST_TEST(seccompProfile(n).has_value(), n);
}

BOOST_AUTO_TEST_CASE(profiles_are_complete_seccomp_objects)
{
    Json d = profile("default");
    BOOST_TEST(d["defaultAction"] == "SCMP_ACT_ERRNO");
    BOOST_TEST(d["defaultErrnoRet"] == 1);
    BOOST_TEST(d["architectures"] == Json::parse(R"(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86",
        "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"])"));
    BOOST_TEST(profile("strict")["architectures"] ==
               Json::parse(R"(["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"])"));
    BOOST_TEST(profile("audit")["defaultAction"] == "SCMP_ACT_LOG");
    for (const char *n : kBuiltIn) {
        Json p = profile(n);
        BOOST_TEST(!p.contains("listenerPath"), n);
        BOOST_TEST(!p.contains("flags"), n);
        // Two calls give the same document (no hidden state).
        BOOST_TEST(p == profile(n), n);
    }
}

BOOST_AUTO_TEST_CASE(every_profile_compiles)
{
    for (const char *n : kBuiltIn) {
        SeccompProgram p = compiled(n);
        BOOST_TEST_MESSAGE(n << ": " << p.instructions.size() << " BPF instructions");
        BOOST_TEST(!p.instructions.empty(), n);
        BOOST_TEST(p.instructions.size() <= size_t{BPF_MAXINSNS}, n);
    }
}

BOOST_AUTO_TEST_CASE(every_name_is_a_syscall)
{
    std::set<std::string> unknown, notNative;
    for (const char *n : kBuiltIn)
        for (const spec::SeccompSyscall &r : parsed(profile(n)).syscalls)
            for (const std::string &name : r.names) {
                if (!knownSomewhere(name))
                    unknown.insert(name);
                else if (seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name.c_str()) < 0)
                    notNative.insert(name);
            }
    std::string list;
    for (const std::string &name : notNative)
        list += " " + name;
    // Informational: names of other ABIs (i386, ARM), which compileSeccomp adds for them.
    BOOST_TEST_MESSAGE("not x86_64 syscalls (other ABIs):" << list);
    list.clear();
    for (const std::string &name : unknown)
        list += " " + name;
    BOOST_TEST(unknown.empty(), "unknown to libseccomp on every arch:" << list);
}

BOOST_AUTO_TEST_CASE(dangerous_calls_not_allowed)
{
    const char *const kNever[] = {"mount",
                                  "umount",
                                  "umount2",
                                  "fsopen",
                                  "fsconfig",
                                  "fsmount",
                                  "fspick",
                                  "move_mount",
                                  "open_tree",
                                  "mount_setattr",
                                  "pivot_root",
                                  "unshare",
                                  "setns",
                                  "clone3",
                                  "reboot",
                                  "kexec_load",
                                  "kexec_file_load",
                                  "init_module",
                                  "finit_module",
                                  "delete_module",
                                  "bpf",
                                  "perf_event_open",
                                  "lookup_dcookie",
                                  "syslog",
                                  "iopl",
                                  "ioperm",
                                  "acct",
                                  "swapon",
                                  "swapoff",
                                  "quotactl",
                                  "quotactl_fd",
                                  "sethostname",
                                  "setdomainname",
                                  "vhangup",
                                  "nfsservctl",
                                  "settimeofday",
                                  "stime",
                                  "clock_settime",
                                  "clock_settime64",
                                  "keyctl",
                                  "add_key",
                                  "request_key",
                                  "open_by_handle_at",
                                  "userfaultfd",
                                  "io_uring_setup",
                                  "io_uring_enter",
                                  "io_uring_register",
                                  "mbind",
                                  "set_mempolicy",
                                  "get_mempolicy",
                                  "migrate_pages",
                                  "move_pages",
                                  "vm86",
                                  "vm86old",
                                  "uselib",
                                  "_sysctl",
                                  "sysfs",
                                  "ustat",
                                  "fanotify_init"};
    for (const char *n : {"default", "strict"}) {
        Allowed a = allowedNames(parsed(profile(n)));
        for (const char *call : kNever)
            BOOST_TEST(!a.allows(call), n << " allows " << call);
        // clone and personality only under argument rules.
        BOOST_TEST(a.withArgs.count("clone") == 1U, n);
        BOOST_TEST(a.withArgs.count("personality") == 1U, n);
        BOOST_TEST(a.withArgs.count("socket") == 1U, n);
    }
    // clone3 fails with ENOSYS so libc falls back to clone.
    bool found = false;
    for (const spec::SeccompSyscall &r : parsed(profile("default")).syscalls)
        if (r.names == std::vector<std::string>{"clone3"}) {
            found = true;
            BOOST_TEST(r.action == "SCMP_ACT_ERRNO");
            BOOST_TEST(r.errnoRet.value_or(0) == uint32_t{ENOSYS});
        }
    BOOST_TEST(found);
}

BOOST_AUTO_TEST_CASE(strict_is_a_smaller_allow_list)
{
    Allowed d = allowedNames(parsed(profile("default")));
    Allowed s = allowedNames(parsed(profile("strict")));
    BOOST_TEST_MESSAGE("default allows " << d.always.size() << " + " << d.withArgs.size()
                                         << " under conditions; strict " << s.always.size() << " + "
                                         << s.withArgs.size());
    BOOST_TEST(s.always.size() + s.withArgs.size() < d.always.size() + d.withArgs.size());
    for (const std::string &n : s.always)
        BOOST_TEST(d.always.count(n) == 1U, "strict allows " << n << ", default does not");
    for (const std::string &n : s.withArgs)
        BOOST_TEST(d.allows(n), "strict allows " << n << ", default does not");
    for (const char *n :
         {"ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "chown", "fchown", "fchownat",
          "lchown", "chroot", "socketcall", "modify_ldt", "vmsplice", "name_to_handle_at"})
        BOOST_TEST(!s.allows(n), "strict allows " << n);
    for (const char *n : {"ptrace", "chown", "chroot", "socketcall"})
        BOOST_TEST(d.always.count(n) == 1U, "default denies " << n);
}

BOOST_AUTO_TEST_CASE(audit_never_denies)
{
    Json audit = profile("audit");
    Json def = profile("default");
    BOOST_TEST(audit["defaultAction"] == "SCMP_ACT_LOG");
    BOOST_TEST(!audit.contains("defaultErrnoRet"));
    BOOST_REQUIRE(audit["syscalls"].size() == def["syscalls"].size());
    for (size_t i = 0; i < audit["syscalls"].size(); ++i) {
        const Json &r = audit["syscalls"][i];
        BOOST_TEST((r["action"] == "SCMP_ACT_ALLOW" || r["action"] == "SCMP_ACT_LOG"), r.dump());
        BOOST_TEST(!r.contains("errnoRet"), r.dump());
        // Same names and conditions as default: only the actions differ.
        BOOST_TEST(r["names"] == def["syscalls"][i]["names"]);
        BOOST_TEST(r.value("args", Json()) == def["syscalls"][i].value("args", Json()));
    }
    // The compiled filter has no ERRNO, KILL, TRAP or TRACE return at all.
    for (const sock_filter &ins : compiled("audit").instructions) {
        if (ins.code != (BPF_RET | BPF_K))
            continue;
        uint32_t action = ins.k & SECCOMP_RET_ACTION_FULL;
        // KILL_THREAD for a foreign architecture is libseccomp's bad-arch action, not a rule.
        BOOST_TEST((action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG ||
                    action == SECCOMP_RET_KILL_THREAD),
                   "return 0x" << std::hex << ins.k);
    }
}

BOOST_AUTO_TEST_CASE(audit_of_a_user_profile)
{
    Json p = Json::parse(R"({"defaultAction": "SCMP_ACT_KILL_PROCESS",
        "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"},
                     {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
                     {"names": ["ptrace"], "action": "SCMP_ACT_TRAP"}]})");
    Json want = Json::parse(R"({"defaultAction": "SCMP_ACT_LOG",
        "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"},
                     {"names": ["mkdir"], "action": "SCMP_ACT_LOG"},
                     {"names": ["ptrace"], "action": "SCMP_ACT_LOG"}]})");
    BOOST_TEST(seccompAuditProfile(p) == want);
    BOOST_TEST(seccompAuditProfile(Json()) == Json());
}

BOOST_AUTO_TEST_CASE(default_behaves)
{
    SeccompProgram p = compiled("default");
    BOOST_TEST(inFilteredChild(p, [] { return ::syscall(SYS_getpid) == ::getpid(); }));
    BOOST_TEST(inFilteredChild(p, [] {
        return failsWith(::syscall(SYS_mount, "none", "/", "tmpfs", 0, nullptr), EPERM);
    }));
    BOOST_TEST(inFilteredChild(p, [] { return failsWith(::syscall(SYS_unshare, 0), EPERM); }));
    BOOST_TEST(inFilteredChild(p, [] { return failsWith(::syscall(SYS_keyctl, 0, 0), EPERM); }));
    BOOST_TEST(inFilteredChild(p, [] { return failsWith(::syscall(SYS_bpf, 0, 0, 0), EPERM); }));
    BOOST_TEST(inFilteredChild(
        p, [] { return failsWith(::syscall(SYS_clone3, nullptr, size_t{0}), ENOSYS); }));
    // clone() with a namespace flag is refused; fork() (clone with SIGCHLD) works.
    BOOST_TEST(inFilteredChild(p, [] {
        return failsWith(::syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0), EPERM);
    }));
    BOOST_TEST(inFilteredChild(p, [] {
        pid_t c = ::fork();
        if (c == 0)
            ::_exit(7);
        int st = 0;
        return c > 0 && ::waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 7;
    }));
    BOOST_TEST(inFilteredChild(p, [] {
        long q = ::syscall(SYS_personality, 0xffffffffUL);
        return q >= 0 && failsWith(::syscall(SYS_personality, ADDR_NO_RANDOMIZE), EPERM);
    }));
    BOOST_TEST(inFilteredChild(p, [] {
        int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        return s >= 0 && failsWith(::socket(40 /* AF_VSOCK */, SOCK_STREAM, 0), EPERM);
    }));
}

BOOST_AUTO_TEST_CASE(strict_behaves)
{
    SeccompProgram p = compiled("strict");
    TempDir dir;
    std::string fifo = dir / "fifo";
    std::string node = dir / "node";
    BOOST_TEST(inFilteredChild(p, [] {
        return ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0) >= 0 &&
               ::socket(AF_INET6, SOCK_DGRAM, 0) >= 0 &&
               ::socket(AF_UNIX, SOCK_SEQPACKET, 0) >= 0 &&
               ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0 /* NETLINK_ROUTE */) >= 0;
    }));
    BOOST_TEST(inFilteredChild(p, [] {
        return failsWith(::socket(AF_PACKET, SOCK_RAW, 0), EPERM) &&
               failsWith(::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP), EPERM) &&
               failsWith(::socket(AF_INET6, SOCK_RAW, IPPROTO_RAW), EPERM) &&
               failsWith(::socket(AF_NETLINK, SOCK_RAW, 9 /* NETLINK_AUDIT */), EPERM);
    }));
    BOOST_TEST(inFilteredChild(p, [&] {
        return ::mkfifo(fifo.c_str(), 0600) == 0 &&
               failsWith(::mknod(node.c_str(), S_IFCHR | 0600, makedev(1, 3)), EPERM) &&
               failsWith(::fchownat(AT_FDCWD, fifo.c_str(), -1, -1, 0), EPERM);
    }));
    BOOST_TEST(inFilteredChild(p, [] {
        return failsWith(::syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0), EPERM) &&
               failsWith(::syscall(SYS_personality, 0x0008UL /* PER_LINUX32 */), EPERM);
    }));
}

BOOST_AUTO_TEST_CASE(audit_behaves)
{
    SeccompProgram p = compiled("audit");
    // Calls default refuses run (and are logged): unshare(0) is a no-op, clone3 reaches the
    // kernel and fails on its bad arguments rather than with ENOSYS.
    BOOST_TEST(inFilteredChild(p, [] { return ::syscall(SYS_unshare, 0) == 0; }));
    BOOST_TEST(inFilteredChild(
        p, [] { return failsWith(::syscall(SYS_clone3, nullptr, size_t{0}), EINVAL); }));
}
