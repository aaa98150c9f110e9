#include "spec/validate.h"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <set>
#include <utility>

#include "common/log.h"
#include "common/text.h"
#include "spec/json_reader.h"
#include "spec/validate_detail.h"

namespace husk::spec {

using detail::indexPath;
using detail::memberPath;
using detail::pathError;

namespace {

struct RlimitName {
    std::string_view name;
    int resource;
};

// getrlimit(2); the spec says any type that cannot be mapped to the kernel is an error.
constexpr std::array<RlimitName, 16> rlimitNames = {{
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
}};

bool isDigits(std::string_view s)
{
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// SemVer 2.0.0 dot-separated identifiers: non-empty, [0-9A-Za-z-]; numeric pre-release
// identifiers carry no leading zero.
bool validIdentifiers(std::string_view s, bool preRelease)
{
    if (s.empty())
        return false;
    size_t start = 0;
    for (;;) {
        size_t dot = s.find('.', start);
        std::string_view id = s.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (id.empty())
            return false;
        for (char c : id) {
            bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      c == '-';
            if (!ok)
                return false;
        }
        if (preRelease && isDigits(id) && id.size() > 1 && id[0] == '0')
            return false;
        if (dot == std::string_view::npos)
            return true;
        start = dot + 1;
    }
}

bool validCore(std::string_view part)
{
    return isDigits(part) && (part.size() == 1 || part[0] != '0');
}

bool isAbsolute(const std::string &p)
{
    return !p.empty() && p.front() == '/';
}

std::unexpected<Error> notAbsolute(const std::string &path, const std::string &value)
{
    if (value.empty())
        return pathError(path, "must not be empty");
    return pathError(path, "\"" + value + "\" is not an absolute path");
}

Result<void> validateRlimits(const std::vector<Rlimit> &rlimits, const std::string &path)
{
    std::set<std::string> seen;
    for (size_t i = 0; i < rlimits.size(); ++i) {
        const Rlimit &r = rlimits[i];
        std::string p = indexPath(path, i);
        if (!rlimitResource(r.type))
            return pathError(memberPath(p, "type"), "unknown rlimit \"" + r.type + "\"");
        if (!seen.insert(r.type).second)
            return pathError(memberPath(p, "type"), "duplicate rlimit \"" + r.type + "\"");
        if (r.soft > r.hard)
            return pathError(p, "soft limit " + std::to_string(r.soft) +
                                    " is greater than hard limit " + std::to_string(r.hard));
    }
    return {};
}

Result<void> validateScheduler(const Scheduler &s, const std::string &path)
{
    static const std::set<std::string, std::less<>> policies = {
        "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",      "SCHED_BATCH",
        "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE"};
    static const std::set<std::string, std::less<>> flags = {
        "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM",     "SCHED_FLAG_DL_OVERRUN",
        "SCHED_FLAG_KEEP_POLICY",   "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN",
        "SCHED_FLAG_UTIL_CLAMP_MAX"};
    if (!policies.contains(s.policy))
        return pathError(memberPath(path, "policy"), "unknown policy \"" + s.policy + "\"");
    for (size_t i = 0; i < s.flags.size(); ++i)
        if (!flags.contains(s.flags[i]))
            return pathError(indexPath(memberPath(path, "flags"), i),
                             "unknown flag \"" + s.flags[i] + "\"");
    // The rules runc applies, from sched_setattr(2).
    bool normal = s.policy == "SCHED_OTHER" || s.policy == "SCHED_BATCH";
    if (normal && s.nice && (*s.nice < -20 || *s.nice > 19))
        return pathError(memberPath(path, "nice"),
                         "value " + std::to_string(*s.nice) + " out of range [-20, 19]");
    bool realtime = s.policy == "SCHED_FIFO" || s.policy == "SCHED_RR";
    if (s.priority.value_or(0) != 0 && !realtime)
        return pathError(memberPath(path, "priority"),
                         "only allowed with SCHED_FIFO or SCHED_RR, not " + s.policy);
    bool deadlineSet = s.runtime.value_or(0) || s.deadline.value_or(0) || s.period.value_or(0);
    if (deadlineSet && s.policy != "SCHED_DEADLINE")
        return pathError(path, "runtime, deadline and period are only allowed with "
                               "SCHED_DEADLINE, not " +
                                   s.policy);
    return {};
}

Result<void> validateIoPriority(const IoPriority &io, const std::string &path)
{
    if (io.ioClass != "IOPRIO_CLASS_RT" && io.ioClass != "IOPRIO_CLASS_BE" &&
        io.ioClass != "IOPRIO_CLASS_IDLE")
        return pathError(memberPath(path, "class"), "unknown class \"" + io.ioClass + "\"");
    if (io.priority < 0 || io.priority > 7)
        return pathError(memberPath(path, "priority"),
                         "value " + std::to_string(io.priority) + " out of range [0, 7]");
    return {};
}

Result<void> validateCpuList(const std::string &list, const std::string &path)
{
    // schema: "^[0-9, -]*$"; libcontainer parses the list itself.
    for (char c : list)
        if (!((c >= '0' && c <= '9') || c == ',' || c == ' ' || c == '-'))
            return pathError(path, "invalid CPU list \"" + list + "\"");
    return {};
}

Result<void> validateMounts(const Config &c)
{
    const Namespace *userns = c.findNamespace(NamespaceType::User);
    for (size_t i = 0; i < c.mounts.size(); ++i) {
        const Mount &m = c.mounts[i];
        std::string p = indexPath("mounts", i);
        // parse already turned a relative destination into one under "/"; this catches
        // configs built in code.
        if (!isAbsolute(m.destination))
            return notAbsolute(memberPath(p, "destination"), m.destination);
        // config.md: uidMappings "MUST be specified along with gidMappings", and vice versa.
        if (m.uidMappings.empty() != m.gidMappings.empty())
            return pathError(p, "uidMappings and gidMappings must be given together");
        bool idmap = std::ranges::any_of(
            m.options, [](const std::string &o) { return o == "idmap" || o == "ridmap"; });
        // config.md, idmap: no mount mappings and no user namespace MUST be an error.
        if (idmap && m.uidMappings.empty() && !userns)
            return pathError(memberPath(p, "options"),
                             "idmap without uidMappings/gidMappings needs a user namespace");
    }
    return {};
}

Result<void> validateHooks(const Hooks &h)
{
    for (const HookKind &kind : kHookKinds) {
        const std::vector<Hook> &hooks = h.*kind.member;
        for (size_t i = 0; i < hooks.size(); ++i) {
            const Hook &hook = hooks[i];
            std::string p = indexPath(memberPath("hooks", kind.name), i);
            if (!isAbsolute(hook.path))
                return notAbsolute(memberPath(p, "path"), hook.path);
            if (hook.timeout && *hook.timeout <= 0)
                return pathError(memberPath(p, "timeout"),
                                 "must be greater than zero, got " + std::to_string(*hook.timeout));
        }
    }
    return {};
}

Result<void> validateUts(const Config &c)
{
    // runc refuses these: without a UTS namespace of its own the container would rename the
    // host (config.md only warns that the UTS namespace "may be the runtime" one).
    if (c.findNamespace(NamespaceType::Uts))
        return {};
    if (!c.hostname.empty())
        return pathError("hostname", "cannot set hostname without a UTS namespace");
    if (!c.domainname.empty())
        return pathError("domainname", "cannot set domainname without a UTS namespace");
    return {};
}

} // namespace

std::optional<int> rlimitResource(std::string_view type)
{
    for (const RlimitName &r : rlimitNames)
        if (r.name == type)
            return r.resource;
    return std::nullopt;
}

Result<void> validateOciVersion(std::string_view version)
{
    const std::string path = "ociVersion";
    std::string quoted = inQuotes(version);
    std::string_view core = version;
    if (size_t plus = core.find('+'); plus != std::string_view::npos) {
        if (!validIdentifiers(core.substr(plus + 1), false))
            return pathError(path, quoted + " is not a semantic version (bad build metadata)");
        core = core.substr(0, plus);
    }
    if (size_t dash = core.find('-'); dash != std::string_view::npos) {
        if (!validIdentifiers(core.substr(dash + 1), true))
            return pathError(path, quoted + " is not a semantic version (bad pre-release)");
        core = core.substr(0, dash);
    }
    size_t dot1 = core.find('.');
    size_t dot2 = dot1 == std::string_view::npos ? dot1 : core.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || !validCore(core.substr(0, dot1)) ||
        !validCore(core.substr(dot1 + 1, dot2 - dot1 - 1)) || !validCore(core.substr(dot2 + 1)))
        return pathError(path, quoted + " is not a semantic version (MAJOR.MINOR.PATCH)");
    if (core.substr(0, dot1) != "1")
        return pathError(path,
                         "unsupported version " + quoted + ": husk implements runtime-spec 1.x");
    return {};
}

Result<void> validateProcess(const Process &p, const std::string &path)
{
    if (!isAbsolute(p.cwd))
        return notAbsolute(memberPath(path, "cwd"), p.cwd);
    if (p.args.empty())
        return pathError(memberPath(path, "args"), "must not be empty");
    if (p.commandLine)
        log::warn(memberPath(path, "commandLine") + " is for Windows and is ignored");
    HUSK_TRY(validateRlimits(p.rlimits, memberPath(path, "rlimits")));
    if (p.oomScoreAdj && (*p.oomScoreAdj < -1000 || *p.oomScoreAdj > 1000))
        return pathError(memberPath(path, "oomScoreAdj"),
                         "value " + std::to_string(*p.oomScoreAdj) + " out of range [-1000, 1000]");
    if (p.scheduler)
        HUSK_TRY(validateScheduler(*p.scheduler, memberPath(path, "scheduler")));
    if (p.ioPriority)
        HUSK_TRY(validateIoPriority(*p.ioPriority, memberPath(path, "ioPriority")));
    if (p.execCpuAffinity) {
        std::string a = memberPath(path, "execCPUAffinity");
        HUSK_TRY(validateCpuList(p.execCpuAffinity->initial, memberPath(a, "initial")));
        HUSK_TRY(validateCpuList(p.execCpuAffinity->final, memberPath(a, "final")));
    }
    return {};
}

Result<void> validate(const Config &c)
{
    HUSK_TRY(validateOciVersion(c.ociVersion));
    if (c.root.path.empty())
        return pathError("root.path", "must not be empty");
    // process may be absent at create (runtime.md requires it only for start); start checks.
    if (c.process)
        HUSK_TRY(validateProcess(*c.process, "process"));
    HUSK_TRY(validateMounts(c));
    if (c.hooks)
        HUSK_TRY(validateHooks(*c.hooks));
    if (c.annotations.contains(""))
        return pathError("annotations", "keys must not be empty");
    HUSK_TRY(validateUts(c));
    return detail::validateLinux(c);
}

} // namespace husk::spec
