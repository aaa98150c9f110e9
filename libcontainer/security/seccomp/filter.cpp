#include "libcontainer/security/seccomp/filter.h"
#include "libcontainer/security/seccomp/notify.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <memory>
#include <set>

#include "common/log.h"
#include "common/name_table.h"
#include "common/unique_fd.h"

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

namespace husk {

namespace {

struct CtxDeleter {
    void operator()(void *c) const { seccomp_release(c); }
};
using SeccompCtx = std::unique_ptr<void, CtxDeleter>;

struct ActionName {
    std::string_view name;
    uint32_t action; // SCMP_ACT_* (errno 0 for the two that carry one)
    bool takesErrno; // the spec: errnoRet/defaultErrnoRet only for actions returning an errno
};

constexpr ActionName kActions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false}, // the spec's older name for KILL_THREAD
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false},
};

struct OperatorName {
    std::string_view name;
    scmp_compare op;
};

constexpr OperatorName kOperators[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

struct ArchName {
    std::string_view name;
    uint32_t token;
};

constexpr ArchName kArches[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

struct FlagName {
    std::string_view name;
    unsigned int flag;
};

constexpr unsigned int kFlagWaitKillableRecv = 1U << 5; // not in Debian 12's headers yet

constexpr FlagName kFlags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", kFlagWaitKillableRecv},
};

bool takesErrno(const std::string &action)
{
    const ActionName *a = findByName(kActions, action);
    return a && a->takesErrno;
}

// Whether a default action denies: then a syscall newer than the profile gets ENOSYS instead
// (enosysStub). ALLOW and LOG deny nothing, NOTIFY and TRACE leave it to their agent, and an
// ENOSYS default already says it.
bool defaultDenies(uint32_t action)
{
    if (action == SCMP_ACT_ALLOW || action == SCMP_ACT_LOG || action == SCMP_ACT_NOTIFY)
        return false;
    if ((action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRACE)
        return false;
    if ((action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO)
        return (action & SECCOMP_RET_DATA) != ENOSYS;
    return true;
}

// runc's -ENOSYS stub, put before libseccomp's program: on the native architecture, a syscall
// numbered above the highest one the profile names (and not an x32 call, whose numbers carry
// bit 30) fails with ENOSYS instead of the default action, so that a libc trying a call newer
// than the profile (clone3, faccessat2, ...) falls back to the old one instead of failing.
std::vector<sock_filter> enosysStub(uint32_t nativeArch, uint32_t highest)
{
    constexpr uint32_t kX32Bit = 0x40000000;
    return {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nativeArch, 0, 4), // other arch: to the program
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, kX32Bit, 2, 0), // x32: to the program
        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, highest, 0, 1), // known: to the program
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
    };
}

} // namespace

std::optional<uint32_t> seccompAction(const std::string &name, std::optional<uint32_t> errnoRet)
{
    const ActionName *a = findByName(kActions, name);
    if (!a)
        return std::nullopt;
    // The low 16 bits of the two errno-carrying actions are the value (SCMP_ACT_ERRNO(x)).
    return a->takesErrno ? a->action | (errnoRet.value_or(EPERM) & 0xffffU) : a->action;
}

SeccompNames seccompNames()
{
    return {tableNames(kActions), tableNames(kOperators), tableNames(kArches), tableNames(kFlags)};
}

bool seccompFlagSupported(std::string_view name)
{
    const FlagName *f = findByName(kFlags, name);
    if (!f)
        return false;
    // The kernel checks the flags before it reads the program: with no program, a flag it knows
    // fails with EFAULT and one it does not with EINVAL. Nothing is loaded either way. It refuses
    // WAIT_KILLABLE_RECV without NEW_LISTENER, so that one is asked with it.
    unsigned int flags = f->flag;
    if (flags == kFlagWaitKillableRecv)
        flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    return ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, nullptr) < 0 && errno == EFAULT;
}

bool seccompActionAvailable(std::string_view name)
{
    const ActionName *a = findByName(kActions, name);
    if (!a)
        return false;
    // libseccomp's SCMP_ACT_* values are the kernel's SECCOMP_RET_* values.
    uint32_t action = a->action;
    return ::syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

std::string libseccompVersion()
{
    const scmp_version *v = seccomp_version();
    if (!v)
        return "";
    return std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
           std::to_string(v->micro);
}

Result<SeccompProgram> compileSeccomp(const spec::Seccomp &s)
{
    const std::string f = "linux.seccomp.";
    auto def = seccompAction(s.defaultAction, s.defaultErrnoRet);
    if (!def)
        return fail(f + "defaultAction: unknown action \"" + s.defaultAction + "\"");
    if (s.defaultErrnoRet && !takesErrno(s.defaultAction))
        return fail(f + "defaultErrnoRet: " + s.defaultAction + " takes no errno");
    HUSK_TRY(validateSeccompNotify(s));
    SeccompCtx ctx(seccomp_init(*def));
    if (!ctx)
        return fail(f + "defaultAction: libseccomp refused the default action");
    // The BPF is loaded by husk itself; libseccomp's own NNP handling never applies.
    seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
    for (size_t i = 0; i < s.architectures.size(); ++i) {
        const ArchName *arch = findByName(kArches, s.architectures[i]);
        if (!arch)
            return fail(f + "architectures[" + std::to_string(i) + "]: unknown architecture \"" +
                        s.architectures[i] + "\"");
        int r = seccomp_arch_add(ctx.get(), arch->token);
        // One BPF program reads syscall arguments in one byte order: libseccomp refuses an
        // architecture whose order differs from the host's with EDOM.
        if (r == -EDOM)
            return fail(f + "architectures[" + std::to_string(i) + "]: " + s.architectures[i] +
                            " cannot share a filter with this host's architecture (other byte "
                            "order)",
                        EDOM);
        if (r < 0 && r != -EEXIST)
            return fail(f + "architectures[" + std::to_string(i) + "]: add", -r);
    }
    SeccompProgram prog;
    prog.listener = seccompUsesNotify(s);
    const uint32_t nativeArch = seccomp_arch_native();
    bool nativeInFilter = seccomp_arch_exist(ctx.get(), nativeArch) == 0;
    std::optional<uint32_t> highest; // the highest native syscall number the rules name
    for (const spec::SeccompSyscall &sc : s.syscalls)
        for (const std::string &name : sc.names)
            if (int nr = seccomp_syscall_resolve_name_arch(nativeArch, name.c_str());
                nr >= 0 && (!highest || static_cast<uint32_t>(nr) > *highest))
                highest = static_cast<uint32_t>(nr);
    for (size_t i = 0; i < s.flags.size(); ++i) {
        const FlagName *flag = findByName(kFlags, s.flags[i]);
        if (!flag)
            return fail(f + "flags[" + std::to_string(i) + "]: unknown flag \"" + s.flags[i] +
                        "\"");
        prog.flags |= flag->flag;
    }
    for (size_t i = 0; i < s.syscalls.size(); ++i) {
        const spec::SeccompSyscall &sc = s.syscalls[i];
        std::string field = f + "syscalls[" + std::to_string(i) + "]";
        auto action = seccompAction(sc.action, sc.errnoRet);
        if (!action)
            return fail(field + ".action: unknown action \"" + sc.action + "\"");
        if (sc.errnoRet && !takesErrno(sc.action))
            return fail(field + ".errnoRet: " + sc.action + " takes no errno");
        std::vector<scmp_arg_cmp> args;
        std::set<uint32_t> indexes;
        bool repeated = false;
        for (size_t a = 0; a < sc.args.size(); ++a) {
            const spec::SeccompArg &arg = sc.args[a];
            const OperatorName *op = findByName(kOperators, arg.op);
            if (!op)
                return fail(field + ".args[" + std::to_string(a) + "].op: unknown operator \"" +
                            arg.op + "\"");
            if (arg.index > 5)
                return fail(field + ".args[" + std::to_string(a) + "].index: must be 0..5");
            repeated |= !indexes.insert(arg.index).second;
            args.push_back(scmp_arg_cmp{arg.index, op->op, arg.value, arg.valueTwo});
        }
        // A rule equal to the default action is redundant (libseccomp rejects it).
        if (*action == *def)
            continue;
        for (const std::string &name : sc.names) {
            int nr = seccomp_syscall_resolve_name(name.c_str());
            if (nr == __NR_SCMP_ERROR) {
                log::debug("seccomp: unknown syscall \"" + name + "\" skipped");
                continue;
            }

            int r;
            if (!repeated) {
                r = seccomp_rule_add_array(ctx.get(), *action, nr,
                                           static_cast<unsigned>(args.size()), args.data());
            } else {
                // libseccomp ANDs the comparisons of one rule and refuses two on one
                // argument; runc turns such a list into one rule per comparison (OR).
                r = 0;
                for (const scmp_arg_cmp &c : args)
                    if ((r = seccomp_rule_add_array(ctx.get(), *action, nr, 1, &c)) < 0)
                        break;
            }
            if (r < 0)
                return fail(field + ": add rule for \"" + name + "\"", -r);
        }
    }
    int memfd = static_cast<int>(::syscall(SYS_memfd_create, "husk-seccomp", MFD_CLOEXEC));
    if (memfd < 0)
        return failErrno("seccomp: memfd_create");
    UniqueFd mem(memfd);
    if (int r = seccomp_export_bpf(ctx.get(), memfd); r < 0)
        return fail("seccomp: export filter", -r);
    off_t size = ::lseek(memfd, 0, SEEK_END);
    if (size <= 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0)
        return fail("seccomp: exported filter has a bad size");
    if (nativeInFilter && highest && defaultDenies(*def))
        prog.instructions = enosysStub(nativeArch, *highest);
    size_t stub = prog.instructions.size();
    prog.instructions.resize(stub + static_cast<size_t>(size) / sizeof(sock_filter));
    if (::pread(memfd, prog.instructions.data() + stub, static_cast<size_t>(size), 0) != size)
        return failErrno("seccomp: read filter");
    if (prog.instructions.size() > BPF_MAXINSNS)
        return fail("seccomp: the filter has " + std::to_string(prog.instructions.size()) +
                    " instructions, more than the kernel's " + std::to_string(BPF_MAXINSNS));
    return prog;
}

Result<void> loadSeccomp(const SeccompProgram &p)
{
    sock_fprog fprog{static_cast<unsigned short>(p.instructions.size()),
                     const_cast<sock_filter *>(p.instructions.data())};
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p.flags, &fprog) < 0)
        return failErrno("linux.seccomp: load filter");
    return {};
}

Result<UniqueFd> loadSeccompWithListener(const SeccompProgram &p)
{
    unsigned long flags = p.flags | SECCOMP_FILTER_FLAG_NEW_LISTENER;
    // With TSYNC a failure returns the id of the thread that could not be synced, with
    // NEW_LISTENER success returns the fd: the kernel refuses the pair (EINVAL) unless
    // TSYNC_ESRCH (5.7) makes a sync failure an ordinary ESRCH.
    if (flags & SECCOMP_FILTER_FLAG_TSYNC)
        flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
    sock_fprog fprog{static_cast<unsigned short>(p.instructions.size()),
                     const_cast<sock_filter *>(p.instructions.data())};
    long fd = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
    if (fd < 0)
        return failErrno("linux.seccomp: load filter with a notify listener");
    return UniqueFd(static_cast<int>(fd));
}

} // namespace husk
