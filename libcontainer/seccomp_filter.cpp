#include "libcontainer/seccomp_filter.h"
#include "libcontainer/seccomp_notify.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <memory>
#include <set>

#include "common/log.h"
#include "common/unique_fd.h"

namespace husk {

namespace {

struct CtxDeleter {
    void operator()(void *c) const { seccomp_release(c); }
};
using SeccompCtx = std::unique_ptr<void, CtxDeleter>;

std::optional<scmp_compare> compareOp(const std::string &op)
{
    if (op == "SCMP_CMP_NE")
        return SCMP_CMP_NE;
    if (op == "SCMP_CMP_LT")
        return SCMP_CMP_LT;
    if (op == "SCMP_CMP_LE")
        return SCMP_CMP_LE;
    if (op == "SCMP_CMP_EQ")
        return SCMP_CMP_EQ;
    if (op == "SCMP_CMP_GE")
        return SCMP_CMP_GE;
    if (op == "SCMP_CMP_GT")
        return SCMP_CMP_GT;
    if (op == "SCMP_CMP_MASKED_EQ")
        return SCMP_CMP_MASKED_EQ;
    return std::nullopt;
}

std::optional<uint32_t> archToken(const std::string &arch)
{
    static const std::pair<const char *, uint32_t> kArches[] = {
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
    for (const auto &[name, token] : kArches)
        if (arch == name)
            return token;
    return std::nullopt;
}

std::optional<unsigned int> filterFlag(const std::string &f)
{
    if (f == "SECCOMP_FILTER_FLAG_TSYNC")
        return SECCOMP_FILTER_FLAG_TSYNC;
    if (f == "SECCOMP_FILTER_FLAG_LOG")
        return SECCOMP_FILTER_FLAG_LOG;
    if (f == "SECCOMP_FILTER_FLAG_SPEC_ALLOW")
        return SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    if (f == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")
        return 1U << 5; // not in Debian 12's headers yet
    return std::nullopt;
}

// The spec: errnoRet/defaultErrnoRet are only for actions that return an errno.
bool takesErrno(const std::string &action)
{
    return action == "SCMP_ACT_ERRNO" || action == "SCMP_ACT_TRACE";
}

} // namespace

std::optional<uint32_t> seccompAction(const std::string &name, std::optional<uint32_t> errnoRet)
{
    if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD")
        return SCMP_ACT_KILL_THREAD;
    if (name == "SCMP_ACT_KILL_PROCESS")
        return SCMP_ACT_KILL_PROCESS;
    if (name == "SCMP_ACT_TRAP")
        return SCMP_ACT_TRAP;
    if (name == "SCMP_ACT_ERRNO")
        return SCMP_ACT_ERRNO(errnoRet.value_or(EPERM));
    if (name == "SCMP_ACT_TRACE")
        return SCMP_ACT_TRACE(errnoRet.value_or(EPERM));
    if (name == "SCMP_ACT_ALLOW")
        return SCMP_ACT_ALLOW;
    if (name == "SCMP_ACT_LOG")
        return SCMP_ACT_LOG;
    if (name == "SCMP_ACT_NOTIFY")
        return SCMP_ACT_NOTIFY;
    return std::nullopt;
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
        auto token = archToken(s.architectures[i]);
        if (!token)
            return fail(f + "architectures[" + std::to_string(i) + "]: unknown architecture \"" +
                        s.architectures[i] + "\"");
        int r = seccomp_arch_add(ctx.get(), *token);
        if (r < 0 && r != -EEXIST)
            return fail(f + "architectures[" + std::to_string(i) + "]: add", -r);
    }
    SeccompProgram prog;
    prog.listener = seccompUsesNotify(s);
    for (size_t i = 0; i < s.flags.size(); ++i) {
        auto flag = filterFlag(s.flags[i]);
        if (!flag)
            return fail(f + "flags[" + std::to_string(i) + "]: unknown flag \"" + s.flags[i] +
                        "\"");
        prog.flags |= *flag;
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
            auto op = compareOp(arg.op);
            if (!op)
                return fail(field + ".args[" + std::to_string(a) + "].op: unknown operator \"" +
                            arg.op + "\"");
            if (arg.index > 5)
                return fail(field + ".args[" + std::to_string(a) + "].index: must be 0..5");
            repeated |= !indexes.insert(arg.index).second;
            args.push_back(scmp_arg_cmp{arg.index, *op, arg.value, arg.valueTwo});
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
    prog.instructions.resize(static_cast<size_t>(size) / sizeof(sock_filter));
    if (::pread(memfd, prog.instructions.data(), static_cast<size_t>(size), 0) != size)
        return failErrno("seccomp: read filter");
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

} // namespace husk
