#include "libcontainer/container/plan.h"

#include <algorithm>

#include "libcontainer/process/plan.h"
#include "spec/parse.h"
#include "spec/validate.h"

namespace husk {

namespace {

// "UID[:GID]".
Result<void> parseUser(const std::string &text, spec::User &user)
{
    auto number = [&](const std::string &s) -> Result<uint32_t> {
        if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 10)
            return fail("--user \"" + text + "\": expected UID[:GID] as numbers");
        unsigned long v = std::stoul(s);
        if (v > 0xFFFFFFFEUL)
            return fail("--user \"" + text + "\": id out of range");
        return static_cast<uint32_t>(v);
    };
    size_t colon = text.find(':');
    user.uid = HUSK_TRY(number(text.substr(0, colon)));
    if (colon != std::string::npos)
        user.gid = HUSK_TRY(number(text.substr(colon + 1)));
    return {};
}

// The process to run: --process, or the container's process changed by the flags.
Result<spec::Process> execProcessSpec(const spec::Config &config, const ExecOptions &o,
                                      const std::string &processFile)
{
    if (!o.processFile.empty()) {
        auto doc = HUSK_TRY_CTX(spec::parseJsonText(processFile), "--process " + o.processFile);
        return HUSK_TRY_CTX(spec::parseProcess(doc, o.processFile), "--process");
    }
    if (!config.process)
        return fail("the container's config has no process to base the exec on");
    spec::Process p = *config.process;
    if (o.args.empty())
        return fail("exec needs a command (or --process)");
    p.args = o.args;
    p.terminal = o.tty;
    p.consoleSize.reset();
    for (const std::string &kv : o.env) {
        size_t eq = kv.find('=');
        if (eq == std::string::npos || eq == 0)
            return fail("--env \"" + kv + "\": expected KEY=VALUE");
        std::string key = kv.substr(0, eq + 1);
        std::erase_if(p.env, [&](const std::string &e) { return e.starts_with(key); });
        p.env.push_back(kv);
    }
    if (!o.cwd.empty())
        p.cwd = o.cwd;
    if (!o.user.empty()) {
        p.user.additionalGids.clear();
        HUSK_TRY(parseUser(o.user, p.user));
    }
    for (uint32_t g : o.additionalGids)
        p.user.additionalGids.push_back(g);
    if (!o.caps.empty()) {
        if (!p.capabilities)
            p.capabilities.emplace();
        for (std::string c : o.caps) {
            if (!c.starts_with("CAP_"))
                c.insert(0, "CAP_");
            // Not inheritable or ambient: a capability there survives into programs the
            // process executes (CVE-2022-29162); runc adds --cap to these three only.
            for (auto *set : {&p.capabilities->bounding, &p.capabilities->effective,
                              &p.capabilities->permitted})
                if (std::find(set->begin(), set->end(), c) == set->end())
                    set->push_back(c);
        }
    }
    if (o.noNewPrivs)
        p.noNewPrivileges = true;
    if (!o.apparmor.empty())
        p.apparmorProfile = o.apparmor;
    if (!o.processLabel.empty())
        p.selinuxLabel = o.processLabel;
    return p;
}

} // namespace

Result<CreatePlan> planCreate(const spec::Config &config, const NamespacePlan &namespaces,
                              const CreateOptions &o, const CreateFacts &facts)
{
    CreatePlan plan;
    plan.rootfs = config.root.path;
    if (plan.rootfs.empty() || plan.rootfs[0] != '/')
        plan.rootfs = facts.bundle + "/" + plan.rootfs;
    plan.terminal = config.process && config.process->terminal;
    if (plan.terminal && o.consoleSocket.empty())
        return fail("process.terminal is true but no --console-socket was given");
    if (!plan.terminal && !o.consoleSocket.empty())
        return fail("--console-socket given but process.terminal is false");

    InitInputs inputs{facts.bundle,  plan.rootfs, o.noPivot,
                      o.preserveFds, o.listenFds, facts.cgroupDirs};
    process::InitPlan &init = plan.init;
    init = HUSK_TRY(buildInitPlan(config, namespaces, inputs));
    if (!o.noNewKeyring)
        init.sessionKeyring = "_ses." + o.id;
    init.unprivilegedParent = facts.unprivileged;
    if (config.hooks) {
        const spec::Hooks &hooks = *config.hooks;
        init.parentHooks = !hooks.prestart.empty() || !hooks.createRuntime.empty();
        init.createContainerHooks = hooks.createContainer;
        init.startContainerHooks = hooks.startContainer;
        // The hooks run by the init get process.env when they name no env (runc's init has
        // set it as its own by then; crun passes it too).
        if (config.process)
            for (auto *list : {&init.createContainerHooks, &init.startContainerHooks})
                for (spec::Hook &h : *list)
                    if (!h.env)
                        h.env = config.process->env;
    }
    init.hookState.ociVersion = config.ociVersion;
    init.hookState.id = o.id;
    init.hookState.bundle = facts.bundle;
    init.hookState.annotations = config.annotations;
    return plan;
}

Result<ExecPlanned> planExec(const spec::Config &recorded, const ExecOptions &o,
                             const std::string &processFile)
{
    ExecPlanned out;
    out.process = HUSK_TRY(execProcessSpec(recorded, o, processFile));
    // With --process the terminal comes from the file (containerd's shim passes no --tty).
    const bool terminal = out.process.terminal;
    if (terminal && o.detach && o.consoleSocket.empty())
        return fail("a terminal with --detach needs --console-socket");
    if (!terminal && !o.consoleSocket.empty())
        return fail("--console-socket given but the process has no terminal");
    HUSK_TRY(spec::validateProcess(out.process, "process"));
    static_cast<process::ProcessPlan &>(out.plan) =
        HUSK_TRY(buildProcessPlan(recorded, &out.process));
    out.plan.preserveFds = o.preserveFds;
    return out;
}

} // namespace husk
