// config.process and exec's process.json.

#include "spec/json_reader.h"
#include "spec/parse.h"

namespace husk::spec {

using detail::expectObject;
using detail::Json;
using detail::optionalMember;
using detail::requiredMember;

namespace detail {

Result<void> decode(const Json &v, const std::string &path, Rlimit &out)
{
    HUSK_TRY(expectObject(v, path));
    HUSK_TRY(requiredMember(v, path, "type", out.type));
    HUSK_TRY(requiredMember(v, path, "hard", out.hard));
    HUSK_TRY(requiredMember(v, path, "soft", out.soft));
    return {};
}

} // namespace detail

namespace {

Result<ConsoleSize> parseConsoleSize(const Json &v, const std::string &path)
{
    HUSK_TRY(expectObject(v, path));
    ConsoleSize size;
    HUSK_TRY(requiredMember(v, path, "height", size.height));
    HUSK_TRY(requiredMember(v, path, "width", size.width));
    return size;
}

// config.md makes uid and gid REQUIRED inside user, but the schema does not require user
// itself, and runc (Go zero values) runs a process without one as 0:0. No user means root; a
// user object must name the uid; a missing gid is 0, as in runc (generators that drop zero
// values leave it out).
Result<User> parseUser(const Json &v, const std::string &path)
{
    HUSK_TRY(expectObject(v, path));
    User user;
    HUSK_TRY(requiredMember(v, path, "uid", user.uid));
    HUSK_TRY(optionalMember(v, path, "gid", user.gid));
    HUSK_TRY(optionalMember(v, path, "umask", user.umask));
    HUSK_TRY(optionalMember(v, path, "additionalGids", user.additionalGids));
    return user;
}

Result<Capabilities> parseCapabilities(const Json &v, const std::string &path)
{
    HUSK_TRY(expectObject(v, path));
    Capabilities caps;
    HUSK_TRY(optionalMember(v, path, "bounding", caps.bounding));
    HUSK_TRY(optionalMember(v, path, "effective", caps.effective));
    HUSK_TRY(optionalMember(v, path, "inheritable", caps.inheritable));
    HUSK_TRY(optionalMember(v, path, "permitted", caps.permitted));
    HUSK_TRY(optionalMember(v, path, "ambient", caps.ambient));
    return caps;
}

Result<Scheduler> parseScheduler(const Json &v, const std::string &path)
{
    HUSK_TRY(expectObject(v, path));
    Scheduler s;
    HUSK_TRY(requiredMember(v, path, "policy", s.policy));
    HUSK_TRY(optionalMember(v, path, "nice", s.nice));
    HUSK_TRY(optionalMember(v, path, "priority", s.priority));
    HUSK_TRY(optionalMember(v, path, "flags", s.flags));
    HUSK_TRY(optionalMember(v, path, "runtime", s.runtime));
    HUSK_TRY(optionalMember(v, path, "deadline", s.deadline));
    HUSK_TRY(optionalMember(v, path, "period", s.period));
    return s;
}

// The schema requires only "class"; a missing priority is 0 as in runc.
Result<IoPriority> parseIoPriority(const Json &v, const std::string &path)
{
    HUSK_TRY(expectObject(v, path));
    IoPriority io;
    HUSK_TRY(requiredMember(v, path, "class", io.ioClass));
    HUSK_TRY(optionalMember(v, path, "priority", io.priority));
    return io;
}

Result<ExecCpuAffinity> parseExecCpuAffinity(const Json &v, const std::string &path)
{
    HUSK_TRY(expectObject(v, path));
    ExecCpuAffinity a;
    HUSK_TRY(optionalMember(v, path, "initial", a.initial));
    HUSK_TRY(optionalMember(v, path, "final", a.final));
    return a;
}

Result<Process> parseProcessObject(const Json &v, const std::string &path)
{
    HUSK_TRY(expectObject(v, path));
    Process p;
    HUSK_TRY(optionalMember(v, path, "terminal", p.terminal));
    if (const Json *cs = detail::findMember(v, "consoleSize"))
        p.consoleSize = HUSK_TRY(parseConsoleSize(*cs, detail::memberPath(path, "consoleSize")));
    if (const Json *u = detail::findMember(v, "user"))
        p.user = HUSK_TRY(parseUser(*u, detail::memberPath(path, "user")));
    // args is REQUIRED (non-empty) on Linux by config.md but not by the schema; an empty or
    // missing args is reported by validate, with the same message for both.
    HUSK_TRY(optionalMember(v, path, "args", p.args));
    HUSK_TRY(optionalMember(v, path, "commandLine", p.commandLine));
    HUSK_TRY(optionalMember(v, path, "env", p.env));
    HUSK_TRY(requiredMember(v, path, "cwd", p.cwd));
    if (const Json *c = detail::findMember(v, "capabilities"))
        p.capabilities = HUSK_TRY(parseCapabilities(*c, detail::memberPath(path, "capabilities")));
    HUSK_TRY(optionalMember(v, path, "rlimits", p.rlimits));
    HUSK_TRY(optionalMember(v, path, "noNewPrivileges", p.noNewPrivileges));
    HUSK_TRY(optionalMember(v, path, "apparmorProfile", p.apparmorProfile));
    HUSK_TRY(optionalMember(v, path, "oomScoreAdj", p.oomScoreAdj));
    HUSK_TRY(optionalMember(v, path, "selinuxLabel", p.selinuxLabel));
    if (const Json *s = detail::findMember(v, "scheduler"))
        p.scheduler = HUSK_TRY(parseScheduler(*s, detail::memberPath(path, "scheduler")));
    if (const Json *io = detail::findMember(v, "ioPriority"))
        p.ioPriority = HUSK_TRY(parseIoPriority(*io, detail::memberPath(path, "ioPriority")));
    if (const Json *a = detail::findMember(v, "execCPUAffinity"))
        p.execCpuAffinity =
            HUSK_TRY(parseExecCpuAffinity(*a, detail::memberPath(path, "execCPUAffinity")));
    return p;
}

} // namespace

Result<Process> parseProcess(const nlohmann::json &doc, const std::string &path)
{
    try {
        return parseProcessObject(doc, path);
    } catch (const std::exception &e) {
        return detail::pathError(path, std::string("parse process: ") + e.what());
    }
}

} // namespace husk::spec
