#include "libcontainer/security/landlock.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/log.h"
#include "common/unique_fd.h"

// The three syscalls have no glibc wrapper; their numbers are the same on every architecture.
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_landlock_add_rule
#define SYS_landlock_add_rule 445
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif

namespace husk {

namespace {

// <linux/landlock.h> is deliberately not included: Debian 12 ships the 6.1 version (ABI 2, one
// field in the ruleset attribute), so everything husk uses is defined here with the kernel's
// values and layouts (include/uapi/linux/landlock.h of Linux 6.12+).
constexpr unsigned kCreateRulesetVersion = 1U << 0;
constexpr int kRulePathBeneath = 1;
constexpr int kRuleNetPort = 2; // ABI 4

struct RulesetAttr {
    uint64_t handledAccessFs;
    uint64_t handledAccessNet; // ABI 4
    uint64_t scoped;           // ABI 6
};

struct PathBeneathAttr {
    uint64_t allowedAccess;
    int32_t parentFd;
} __attribute__((packed));

struct NetPortAttr {
    uint64_t allowedAccess;
    uint64_t port;
};

using spec::LandlockKind;
using spec::LandlockRight;

/// The mask of the rights of a kind that ABI `abi` supports.
uint64_t supportedMask(LandlockKind kind, int abi)
{
    uint64_t mask = 0;
    for (const LandlockRight &r : spec::landlockRights(kind))
        if (r.abi <= abi)
            mask |= r.bit;
    return mask;
}

/// Checks `have` against what `abi` supports: strict fails on the first missing right, best
/// effort records it in `dropped` (once).
Result<void> fitMask(LandlockKind kind, uint64_t have, int abi, bool bestEffort,
                     std::vector<std::string> &dropped)
{
    uint64_t missing = have & ~supportedMask(kind, abi);
    for (const LandlockRight &r : spec::landlockRights(kind)) {
        if (!(missing & r.bit))
            continue;
        missing &= ~r.bit; // aliases share a bit; report the canonical name once
        if (!bestEffort)
            return fail("landlock: " + std::string(spec::landlockKindNoun(kind)) + " \"" + r.name +
                        "\" needs Landlock ABI " + std::to_string(r.abi) +
                        ", the kernel provides ABI " + std::to_string(abi) +
                        (abi == 0 ? " (Landlock unsupported or disabled)" : "") +
                        ", and best effort is disabled");
        if (std::find(dropped.begin(), dropped.end(), r.name) == dropped.end())
            dropped.emplace_back(r.name);
    }
    return {};
}

} // namespace

Result<LandlockPlan> fitToAbi(const LandlockPlan &p, int abi)
{
    LandlockPlan out = p;
    out.droppedRights.clear();
    HUSK_TRY(fitMask(LandlockKind::Fs, p.handledFs, abi, p.bestEffort, out.droppedRights));
    HUSK_TRY(fitMask(LandlockKind::Net, p.handledNet, abi, p.bestEffort, out.droppedRights));
    HUSK_TRY(fitMask(LandlockKind::Scope, p.scoped, abi, p.bestEffort, out.droppedRights));
    for (const LandlockPathRule &r : p.pathRules)
        HUSK_TRY(fitMask(LandlockKind::Fs, r.access, abi, p.bestEffort, out.droppedRights));
    for (const LandlockPortRule &r : p.portRules)
        HUSK_TRY(fitMask(LandlockKind::Net, r.access, abi, p.bestEffort, out.droppedRights));

    out.handledFs &= supportedMask(LandlockKind::Fs, abi);
    out.handledNet &= supportedMask(LandlockKind::Net, abi);
    out.scoped &= supportedMask(LandlockKind::Scope, abi);
    // A right granted but not handled is allowed anyway, so masking rules by the handled set
    // changes nothing, and it avoids the kernel's EINVAL; rules left empty would get ENOMSG.
    std::erase_if(out.pathRules, [&](LandlockPathRule &r) {
        r.access &= out.handledFs;
        return r.access == 0 || r.paths.empty();
    });
    std::erase_if(out.portRules, [&](LandlockPortRule &r) {
        r.access &= out.handledNet;
        return r.access == 0 || r.ports.empty();
    });
    return out;
}

int landlockAbi()
{
    long v = syscall(SYS_landlock_create_ruleset, nullptr, 0, kCreateRulesetVersion);
    return v < 0 ? 0 : static_cast<int>(v);
}

Result<void> applyLandlock(const LandlockPlan &p)
{
    if (!p.restrictsAnything())
        return {};
    RulesetAttr attr{p.handledFs, p.handledNet, p.scoped};
    // Pass only the fields in use, so a kernel older than the struct is not asked about them.
    size_t size = p.scoped       ? sizeof attr
                  : p.handledNet ? offsetof(RulesetAttr, scoped)
                                 : offsetof(RulesetAttr, handledAccessNet);
    UniqueFd ruleset(static_cast<int>(syscall(SYS_landlock_create_ruleset, &attr, size, 0U)));
    if (!ruleset)
        return failErrno("landlock_create_ruleset");

    for (const LandlockPathRule &rule : p.pathRules) {
        if (rule.access == 0)
            continue;
        for (const std::string &path : rule.paths) {
            // After pivot_root "/" is the container's root, so symlinks (/lib64 -> usr/lib64)
            // resolve inside it; the rule then covers the target's hierarchy.
            UniqueFd fd(::open(path.c_str(), O_PATH | O_CLOEXEC));
            if (!fd) {
                int err = errno;
                if ((err == ENOENT || err == ENOTDIR) && p.bestEffort) {
                    log::warn("landlock: skipping rule for missing path " + path);
                    continue;
                }
                return fail("landlock: open " + path, err);
            }
            struct stat st {};
            if (fstat(fd.get(), &st) < 0)
                return failErrno("landlock: stat " + path);
            // Directory-only rights on a file are EINVAL; keep the ones a file can have.
            uint64_t access = rule.access;
            if (!S_ISDIR(st.st_mode))
                access &= spec::kLandlockFsFileRights;
            if (access == 0) {
                log::debug("landlock: no file rights left for " + path + ", rule skipped");
                continue;
            }
            PathBeneathAttr pb{access, fd.get()};
            if (syscall(SYS_landlock_add_rule, ruleset.get(), kRulePathBeneath, &pb, 0U) < 0)
                return failErrno("landlock_add_rule " + path);
        }
    }
    for (const LandlockPortRule &rule : p.portRules) {
        if (rule.access == 0)
            continue;
        for (uint16_t port : rule.ports) {
            NetPortAttr np{rule.access, port};
            if (syscall(SYS_landlock_add_rule, ruleset.get(), kRuleNetPort, &np, 0U) < 0)
                return failErrno("landlock_add_rule port " + std::to_string(port));
        }
    }
    // landlock_restrict_self needs no_new_privs or CAP_SYS_ADMIN in the user namespace. husk
    // relies on no_new_privs: the init calls this after the user switch and the capability
    // drop, and the proposal requires process.noNewPrivileges with Landlock anyway.
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return failErrno("landlock: prctl(PR_SET_NO_NEW_PRIVS)");
    if (syscall(SYS_landlock_restrict_self, ruleset.get(), 0U) < 0)
        return failErrno("landlock_restrict_self");
    return {};
}

} // namespace husk
