#include "spec/seccomp_profiles.h"

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace husk::spec {

namespace {

using Json = nlohmann::json;

// Written for husk from the syscall tables, not copied from another project's profile. Names a
// given libseccomp or architecture does not know are skipped by compileSeccomp(), so 32-bit,
// ARM-only and very new names can sit in one list for every architecture.

// Allowed by both default and strict: what ordinary programs, their libc and their language
// runtimes use.
constexpr std::string_view kCommon[] = {
    // File descriptors and file I/O.
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2",
    "pwritev2", "open", "openat", "openat2", "creat", "close", "close_range", "lseek", "_llseek",
    "dup", "dup2", "dup3", "fcntl", "fcntl64", "flock", "fsync", "fdatasync", "syncfs",
    "sync_file_range", "sync_file_range2", "arm_sync_file_range", "fallocate", "fadvise64",
    "fadvise64_64", "arm_fadvise64_64", "readahead", "truncate", "truncate64", "ftruncate",
    "ftruncate64", "copy_file_range", "sendfile", "sendfile64", "splice", "tee", "ioctl",
    // Metadata and the directory tree.
    "stat", "stat64", "lstat", "lstat64", "fstat", "fstat64", "fstatat64", "newfstatat", "statx",
    "statfs", "statfs64", "fstatfs", "fstatfs64", "access", "faccessat", "faccessat2", "getdents",
    "getdents64", "getcwd", "chdir", "fchdir", "mkdir", "mkdirat", "rmdir", "rename", "renameat",
    "renameat2", "link", "linkat", "symlink", "symlinkat", "unlink", "unlinkat", "readlink",
    "readlinkat", "chmod", "fchmod", "fchmodat", "fchmodat2", "umask", "utime", "utimes",
    "utimensat", "utimensat_time64", "futimesat", "getxattr", "lgetxattr", "fgetxattr", "setxattr",
    "lsetxattr", "fsetxattr", "listxattr", "llistxattr", "flistxattr", "removexattr",
    "lremovexattr", "fremovexattr", "cachestat",
    // Waiting for events.
    "pipe", "pipe2", "select", "_newselect", "pselect6", "pselect6_time64", "poll", "ppoll",
    "ppoll_time64", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
    "epoll_pwait2", "eventfd", "eventfd2", "signalfd", "signalfd4", "timerfd_create",
    "timerfd_settime", "timerfd_settime64", "timerfd_gettime", "timerfd_gettime64", "inotify_init",
    "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
    // Memory.
    "brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "msync", "mlock", "mlock2",
    "mlockall", "munlock", "munlockall", "membarrier", "memfd_create", "pkey_alloc", "pkey_free",
    "pkey_mprotect", "map_shadow_stack",
    // Processes and threads (clone and personality have argument rules of their own).
    "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid", "waitpid",
    "getpid", "getppid", "gettid", "getpgid", "setpgid", "getpgrp", "getsid", "setsid",
    "set_tid_address", "set_robust_list", "get_robust_list", "rseq", "prctl", "arch_prctl",
    "set_thread_area", "get_thread_area", "getrlimit", "ugetrlimit", "setrlimit", "prlimit64",
    "getrusage", "getpriority", "setpriority", "ioprio_get", "ioprio_set", "sched_yield",
    "sched_getaffinity", "sched_setaffinity", "sched_getattr", "sched_setattr", "sched_getparam",
    "sched_setparam", "sched_getscheduler", "sched_setscheduler", "sched_get_priority_max",
    "sched_get_priority_min", "sched_rr_get_interval", "sched_rr_get_interval_time64", "capget",
    "capset", "uname", "sysinfo", "times", "getcpu", "getrandom", "pidfd_open", "pidfd_send_signal",
    "restart_syscall",
    // Self-sandboxing: a process may always narrow what it can do.
    "seccomp", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
    // Credentials: a service that drops root must be able to (a refused setuid would leave it
    // running as root).
    "getuid", "getuid32", "geteuid", "geteuid32", "getgid", "getgid32", "getegid", "getegid32",
    "getresuid", "getresuid32", "getresgid", "getresgid32", "getgroups", "getgroups32", "setuid",
    "setuid32", "setgid", "setgid32", "setreuid", "setreuid32", "setregid", "setregid32",
    "setresuid", "setresuid32", "setresgid", "setresgid32", "setgroups", "setgroups32", "setfsuid",
    "setfsuid32", "setfsgid", "setfsgid32",
    // Signals.
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigsuspend",
    "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
    "sigaltstack", "sigprocmask", "sigreturn", "kill", "tkill", "tgkill", "pause", "alarm",
    // Time (reading it, sleeping, timers; setting the clock is not here).
    "clock_gettime", "clock_gettime64", "clock_getres", "clock_getres_time64", "clock_nanosleep",
    "clock_nanosleep_time64", "nanosleep", "gettimeofday", "time", "getitimer", "setitimer",
    "timer_create", "timer_delete", "timer_gettime", "timer_gettime64", "timer_settime",
    "timer_settime64", "timer_getoverrun",
    // Futexes.
    "futex", "futex_time64", "futex_waitv", "futex_wait", "futex_wake", "futex_requeue",
    // Sockets (socket itself has an argument rule).
    "socketpair", "bind", "connect", "listen", "accept", "accept4", "getsockname", "getpeername",
    "getsockopt", "setsockopt", "send", "sendto", "sendmsg", "sendmmsg", "recv", "recvfrom",
    "recvmsg", "recvmmsg", "recvmmsg_time64", "shutdown",
    // System V and POSIX IPC (postgres and others use shared memory and semaphores).
    "ipc", "msgget", "msgctl", "msgsnd", "msgrcv", "semget", "semctl", "semop", "semtimedop",
    "semtimedop_time64", "shmget", "shmctl", "shmat", "shmdt", "mq_open", "mq_unlink",
    "mq_timedsend", "mq_timedsend_time64", "mq_timedreceive", "mq_timedreceive_time64", "mq_notify",
    "mq_getsetattr",
    // Native AIO (databases).
    "io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents", "io_pgetevents",
    "io_pgetevents_time64",
    // ARM private calls the C library needs.
    "breakpoint", "cacheflush", "set_tls"};

// Allowed by default only. Each is either needed by ordinary but less "service-like" software
// or has a history that makes strict leave it out.
constexpr std::string_view kDefaultOnly[] = {
    // Debuggers and tracers inside the container. Since Linux 4.8 the seccomp filter is run
    // again after a tracer changes a syscall, so ptrace can no longer be used to get around the
    // filter; moby allows this group on 4.8+ for the same reason. Tracing is still confined by
    // the PID namespace, ptrace_may_access() and Yama.
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "process_madvise",
    // Package managers and builds inside the container need these (chown and chroot still
    // require CAP_CHOWN / CAP_SYS_CHROOT).
    "chown", "chown32", "fchown", "fchown32", "fchownat", "lchown", "lchown32", "chroot", "mknod",
    "mknodat",
    // 32-bit x86: the socket multiplexer (old i386 binaries need it; like moby's, it lets
    // them past the socket() family rule), and the LDT for old threading code and Wine.
    "socketcall", "modify_ldt",
    // Less common I/O and memory calls.
    "vmsplice", "mincore", "remap_file_pages", "memfd_secret", "process_mrelease", "sync",
    "name_to_handle_at", "fanotify_mark", "epoll_ctl_old", "epoll_wait_old", "adjtimex",
    "clock_adjtime", "clock_adjtime64"};

// Never allowed by default or strict (documentation; the unit test checks it). Everything not
// in an allow-list fails with EPERM, so this list is not what enforces it.
//   mount, umount, umount2, fsopen, fsconfig, fsmount, fspick, move_mount, open_tree,
//   mount_setattr, pivot_root      host mount table (CAP_SYS_ADMIN; the rootfs is done by husk)
//   unshare, setns, clone3         new or foreign namespaces (clone keeps an argument rule)
//   reboot, kexec_load, kexec_file_load, init_module, finit_module, delete_module, bpf,
//   perf_event_open, lookup_dcookie, syslog, iopl, ioperm, acct, swapon, swapoff, quotactl,
//   quotactl_fd, sethostname, setdomainname, vhangup, nfsservctl    host-wide kernel state
//   settimeofday, stime, clock_settime, clock_settime64       the host clock
//   keyctl, add_key, request_key    the kernel keyring is not namespaced
//   open_by_handle_at               the 2014 "shocker" escape from a bind mount to the host fs
//   userfaultfd                     a staple of kernel exploits (stalls copy_from_user)
//   io_uring_setup, io_uring_enter, io_uring_register    bypasses this filter and has had
//                                   many privilege escalations
//   mbind, set_mempolicy, get_mempolicy, migrate_pages, move_pages    NUMA placement of
//                                   other workloads (CAP_SYS_NICE in moby)
//   vm86, vm86old, uselib, _sysctl, sysfs, ustat, fanotify_init        obsolete or host-wide

// clone() flags that create namespaces: CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS |
// CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET. CLONE_NEWTIME shares its bit
// with the exit signal in clone() and only works with clone3() and unshare(), both refused.
constexpr uint64_t kCloneNamespaceFlags = 0x7E020000;

constexpr uint64_t kAfUnix = 1, kAfInet = 2, kAfInet6 = 10, kAfNetlink = 16, kAfVsock = 40;
constexpr uint64_t kSockStream = 1, kSockDgram = 2, kSockTypeMask = 0xf;
constexpr uint64_t kNetlinkRoute = 0;
constexpr uint64_t kFileTypeMask = 0170000, kFifo = 0010000; // S_IFMT, S_IFIFO
constexpr uint32_t kEnosys = 38, kEperm = 1;

Json arg(uint32_t index, std::string_view op, uint64_t value, uint64_t valueTwo = 0)
{
    Json a = {{"index", index}, {"value", value}, {"op", op}};
    if (valueTwo != 0 || op == "SCMP_CMP_MASKED_EQ")
        a["valueTwo"] = valueTwo;
    return a;
}

Json rule(std::initializer_list<std::string_view> names, std::string_view action,
          Json args = Json::array())
{
    Json r = {{"names", Json::array()}, {"action", action}};
    for (std::string_view n : names)
        r["names"].push_back(n);
    if (!args.empty())
        r["args"] = std::move(args);
    return r;
}

template <size_t N> void appendNames(Json &names, const std::string_view (&list)[N])
{
    for (std::string_view n : list)
        names.push_back(n);
}

Json baseProfile(std::initializer_list<std::string_view> architectures)
{
    Json p = {{"defaultAction", "SCMP_ACT_ERRNO"},
              {"defaultErrnoRet", kEperm},
              {"architectures", Json::array()},
              {"syscalls", Json::array()}};
    for (std::string_view a : architectures)
        p["architectures"].push_back(a);
    return p;
}

// Rules shared by both allow-lists: clone without namespace flags, and clone3 failing with
// ENOSYS. clone3 passes its flags in memory a filter cannot read; with ENOSYS glibc (2.34+)
// and other runtimes fall back to clone(), which the rule above can check. EPERM would be
// taken as a real failure.
void addProcessRules(Json &syscalls)
{
    syscalls.push_back(
        rule({"clone"}, "SCMP_ACT_ALLOW", {arg(0, "SCMP_CMP_MASKED_EQ", kCloneNamespaceFlags, 0)}));
    Json clone3 = rule({"clone3"}, "SCMP_ACT_ERRNO");
    clone3["errnoRet"] = kEnosys;
    syscalls.push_back(std::move(clone3));
}

// personality(2) only for the values programs really set: PER_LINUX, PER_LINUX32, UNAME26
// and their combination, and 0xffffffff, the query. Anything else (ADDR_NO_RANDOMIZE,
// READ_IMPLIES_EXEC, ...) weakens the process's own hardening. One rule per value: rules are
// ORed, comparisons inside a rule ANDed.
void addPersonalityRules(Json &syscalls, std::initializer_list<uint64_t> values)
{
    for (uint64_t v : values)
        syscalls.push_back(rule({"personality"}, "SCMP_ACT_ALLOW", {arg(0, "SCMP_CMP_EQ", v)}));
}

Json defaultProfile()
{
    Json p = baseProfile({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64",
                          "SCMP_ARCH_ARM"});
    Json &syscalls = p["syscalls"];
    Json allowed = Json::array();
    appendNames(allowed, kCommon);
    appendNames(allowed, kDefaultOnly);
    syscalls.push_back({{"names", std::move(allowed)}, {"action", "SCMP_ACT_ALLOW"}});
    addProcessRules(syscalls);
    addPersonalityRules(syscalls, {0x0, 0x0008, 0x20000, 0x20008, 0xffffffff});
    // Every address family below AF_VSOCK. moby refuses only AF_VSOCK (a channel to the
    // hypervisor host); "domain < 40" refuses it and the few newer families after it (KCM,
    // QIPCRTR, SMC, XDP, MCTP), and unlike "domain != 40" it cannot be sidestepped with
    // garbage in the upper half of the register, which the kernel drops when it reads an int.
    syscalls.push_back(rule({"socket"}, "SCMP_ACT_ALLOW", {arg(0, "SCMP_CMP_LT", kAfVsock)}));
    return p;
}

// strict, against default: 64-bit ABIs only (a call through the 32-bit or x32 entry points
// kills the thread, closing the compat code paths that have had the most kernel bugs); no
// ptrace family; no chown family or chroot (a service has no business giving files away and
// runs with its files already owned right; chmod stays, services chmod their own sockets);
// mknod only for FIFOs; sockets only AF_UNIX, TCP and UDP over IPv4/IPv6, and NETLINK_ROUTE
// (getaddrinfo() and getifaddrs() use it), so no raw and no packet sockets whatever the
// capabilities; personality only PER_LINUX and the query; no vmsplice, mincore, sync,
// name_to_handle_at, fanotify, clock adjustment or memfd_secret.
Json strictProfile()
{
    Json p = baseProfile({"SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"});
    Json &syscalls = p["syscalls"];
    Json allowed = Json::array();
    appendNames(allowed, kCommon);
    syscalls.push_back({{"names", std::move(allowed)}, {"action", "SCMP_ACT_ALLOW"}});
    addProcessRules(syscalls);
    addPersonalityRules(syscalls, {0x0, 0xffffffff});
    // (mode & S_IFMT) == S_IFIFO: mkfifo() works, device and socket nodes do not.
    syscalls.push_back(
        rule({"mknod"}, "SCMP_ACT_ALLOW", {arg(1, "SCMP_CMP_MASKED_EQ", kFileTypeMask, kFifo)}));
    syscalls.push_back(
        rule({"mknodat"}, "SCMP_ACT_ALLOW", {arg(2, "SCMP_CMP_MASKED_EQ", kFileTypeMask, kFifo)}));
    // An allow-list, not "type != SOCK_RAW": the type carries SOCK_NONBLOCK / SOCK_CLOEXEC,
    // so only a masked equality sees the real type. The comparisons fail closed.
    syscalls.push_back(rule({"socket"}, "SCMP_ACT_ALLOW", {arg(0, "SCMP_CMP_EQ", kAfUnix)}));
    for (uint64_t family : {kAfInet, kAfInet6})
        for (uint64_t type : {kSockStream, kSockDgram})
            syscalls.push_back(rule({"socket"}, "SCMP_ACT_ALLOW",
                                    {arg(0, "SCMP_CMP_EQ", family),
                                     arg(1, "SCMP_CMP_MASKED_EQ", kSockTypeMask, type)}));
    syscalls.push_back(
        rule({"socket"}, "SCMP_ACT_ALLOW",
             {arg(0, "SCMP_CMP_EQ", kAfNetlink), arg(2, "SCMP_CMP_EQ", kNetlinkRoute)}));
    return p;
}

constexpr std::array<std::string_view, 4> kNames = {"default", "strict", "audit", "unconfined"};

} // namespace

std::span<const std::string_view> seccompProfileNames()
{
    return kNames;
}

bool isSeccompProfileName(std::string_view name)
{
    for (std::string_view n : kNames)
        if (n == name)
            return true;
    return false;
}

std::optional<nlohmann::json> seccompProfile(std::string_view name)
{
    if (name == "default")
        return defaultProfile();
    if (name == "strict")
        return strictProfile();
    if (name == "audit")
        return seccompAuditProfile(defaultProfile());
    return std::nullopt; // "unconfined" and unknown names: no linux.seccomp at all
}

nlohmann::json seccompAuditProfile(const nlohmann::json &profile)
{
    Json p = profile;
    if (!p.is_object())
        return p;
    auto logged = [](Json &obj, const char *actionKey, const char *errnoKey) {
        auto a = obj.find(actionKey);
        if (a == obj.end() || !a->is_string() || *a == "SCMP_ACT_ALLOW")
            return;
        *a = "SCMP_ACT_LOG";
        obj.erase(errnoKey);
    };
    logged(p, "defaultAction", "defaultErrnoRet");
    if (auto s = p.find("syscalls"); s != p.end() && s->is_array())
        for (Json &r : *s)
            if (r.is_object())
                logged(r, "action", "errnoRet");
    return p;
}

} // namespace husk::spec
