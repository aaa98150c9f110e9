#include "libcontainer/process/plan.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include "common/log.h"
#include "libcontainer/security/capabilities.h"
#include "libcontainer/security/landlock.h"
#include "libcontainer/process/attrs/attrs.h"
#include "libcontainer/security/seccomp/filter.h"
#include "libcontainer/rootfs/mount_plan.h"
#include "spec/validate.h"

namespace husk {

namespace {

bool hasNamespace(const spec::Config &c, spec::NamespaceType t)
{
    return c.findNamespace(t);
}

} // namespace

// Whether the namespace of type t is the host's own: absent, or joined by a path that names
// the namespace husk itself is in (a sysctl written there would change the host).
static bool isHostNamespace(const spec::Config &c, spec::NamespaceType t, const char *procName)
{
    const spec::Namespace *ns = c.findNamespace(t);
    if (!ns)
        return true;
    if (ns->path.empty())
        return false;
    struct stat a, b;
    std::string self = std::string("/proc/self/ns/") + procName;
    return ::stat(ns->path.c_str(), &a) == 0 && ::stat(self.c_str(), &b) == 0 &&
           a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

Result<void> checkSysctls(const spec::Config &config)
{
    if (!config.linux)
        return {};
    for (const auto &[key, value] : config.linux->sysctl) {
        std::string field = "linux.sysctl \"" + key + "\"";
        if (key.empty() || key[0] == '/' || key[0] == '.' || key.find("..") != std::string::npos ||
            key.find("//") != std::string::npos)
            return fail(field + ": invalid name");
        // sysctl(8) also takes "/" as the separator so "." can stay inside a name
        // (net/ipv4/conf/eno2.100/rp_filter); the namespace check looks at the dotted shape.
        std::string k = key;
        if (key.find('/') != std::string::npos)
            for (char &c : k)
                c = c == '/' ? '.' : c;
        bool ipc = k == "kernel.msgmax" || k == "kernel.msgmnb" || k == "kernel.msgmni" ||
                   k == "kernel.sem" || k == "kernel.shmall" || k == "kernel.shmmax" ||
                   k == "kernel.shmmni" || k == "kernel.shm_rmid_forced" ||
                   k.starts_with("fs.mqueue.");
        const char *where = nullptr;
        if (ipc && isHostNamespace(config, spec::NamespaceType::Ipc, "ipc"))
            where = "ipc";
        else if (k.starts_with("net.") &&
                 isHostNamespace(config, spec::NamespaceType::Network, "net"))
            where = "network";
        else if ((k == "kernel.hostname" || k == "kernel.domainname") &&
                 isHostNamespace(config, spec::NamespaceType::Uts, "uts"))
            where = "uts";
        else if (k.starts_with("user.") &&
                 isHostNamespace(config, spec::NamespaceType::User, "user"))
            where = "user";
        if (where)
            return fail(field + ": not allowed in the host's " + where + " namespace");
        if (!ipc && !k.starts_with("net.") && k != "kernel.hostname" && k != "kernel.domainname" &&
            !k.starts_with("user."))
            return fail(field +
                        ": not in a namespace of the container's own; it would change the host");
    }
    return {};
}

Result<process::ProcessPlan> buildProcessPlan(const spec::Config &config,
                                              const spec::Process *process)
{
    // The spec makes process optional until start: such a container is set up and waits, and
    // start refuses it.
    static const spec::Process kNoProcess;
    if (!process && config.process)
        process = &*config.process;
    const spec::Process &p = process ? *process : kNoProcess;
    if (process && p.args.empty())
        return fail("process.args: must not be empty");
    process::ProcessPlan plan;
    plan.args = p.args;
    plan.env = p.env;
    plan.cwd = p.cwd.empty() ? "/" : p.cwd;
    plan.uid = p.user.uid;
    plan.gid = p.user.gid;
    plan.additionalGids.assign(p.user.additionalGids.begin(), p.user.additionalGids.end());
    if (p.user.umask)
        plan.umask = static_cast<mode_t>(*p.user.umask);
    for (size_t i = 0; i < p.rlimits.size(); ++i) {
        const spec::Rlimit &r = p.rlimits[i];
        auto res = spec::rlimitResource(r.type);
        if (!res)
            return fail("process.rlimits[" + std::to_string(i) + "].type: unknown rlimit \"" +
                        r.type + "\"");
        plan.rlimits.push_back({*res, rlimit{r.soft, r.hard}, r.type});
    }
    plan.lastCap = kernelLastCapability();
    if (p.capabilities)
        plan.caps = HUSK_TRY(capabilitySets(*p.capabilities, plan.lastCap));
    plan.noNewPrivileges = p.noNewPrivileges;
    plan.oomScoreAdj = p.oomScoreAdj;
    plan.terminal = p.terminal;
    plan.consoleSize = p.consoleSize;
    if (config.linux && config.linux->seccomp)
        plan.seccomp = HUSK_TRY(compileSeccomp(*config.linux->seccomp));
    plan.attrs = HUSK_TRY(planProcessAttrs(p, config.linux ? &*config.linux : nullptr));
    if (config.landlock) {
        LandlockPlan fitted = HUSK_TRY(fitToAbi(*config.landlock, landlockAbi()));
        for (const std::string &right : fitted.droppedRights)
            log::debug("landlock: the kernel lacks \"" + right + "\"; dropped (best effort)");
        plan.landlock = std::move(fitted);
        // landlock_restrict_self needs no_new_privs once capabilities are dropped.
        plan.noNewPrivileges = true;
    }
    return plan;
}

Result<process::InitPlan> buildInitPlan(const spec::Config &config, const NamespacePlan &ns,
                                        const InitInputs &in)
{
    process::InitPlan plan;
    static_cast<process::ProcessPlan &>(plan) = HUSK_TRY(buildProcessPlan(config));

    const bool hasUts = hasNamespace(config, spec::NamespaceType::Uts);
    if (!config.hostname.empty() && !hasUts)
        return fail("hostname: needs a uts namespace");
    if (!config.domainname.empty() && !hasUts)
        return fail("domainname: needs a uts namespace");
    plan.hostname = config.hostname;
    plan.domainname = config.domainname;
    plan.setHostname = !config.hostname.empty();
    plan.setDomainname = !config.domainname.empty();
    plan.newUser = ns.newUser;
    plan.inUserNs = hasNamespace(config, spec::NamespaceType::User);
    plan.newNet = ns.newNet;
    plan.unshareCgroup = ns.unshareCgroup;
    plan.mountNs = hasNamespace(config, spec::NamespaceType::Mount);
    if (!plan.mountNs && (!config.mounts.empty() || config.root.readonly))
        log::warn("no mount namespace: mounts and root.readonly are not applied (the host's "
                  "mount table is shared); the container is only chrooted into its rootfs");
    HUSK_TRY(checkSysctls(config));
    if (config.linux)
        plan.sysctl = config.linux->sysctl;
    if (plan.attrs.scheduler && schedulerForbidsFork(*plan.attrs.scheduler) && config.hooks &&
        !config.hooks->startContainer.empty())
        return fail("process.scheduler: a SCHED_DEADLINE process cannot fork, so "
                    "hooks.startContainer cannot run after it is set");

    rootfs::RootfsPlan &r = plan.rootfs;
    r.rootfs = in.rootfs;
    const std::string propagation = config.linux ? config.linux->rootfsPropagation : "";
    r.rootPropagation = HUSK_TRY(rootfs::parseRootPropagation(propagation));
    r.propagationGiven = !propagation.empty();
    r.readonly = config.root.readonly;
    r.noPivot = in.noPivot;
    r.mounts = HUSK_TRY(rootfs::planMounts(config, in.bundle));
    r.setupDev = rootfs::needsDevSetup(r.mounts);
    if (config.linux && !config.linux->mountLabel.empty()) {
        // The SELinux context of the filesystems husk mounts fresh; binds keep their own.
        for (rootfs::PlannedMount &m : r.mounts) {
            if (m.type != "tmpfs" && m.type != "devpts" && m.type != "mqueue")
                continue;
            if (!m.options.data.empty())
                m.options.data += ',';
            m.options.data += "context=\"" + config.linux->mountLabel + "\"";
        }
    }
    if (config.linux) {
        r.devices = config.linux->devices;
        r.maskedPaths = config.linux->maskedPaths;
        r.readonlyPaths = config.linux->readonlyPaths;
    }
    r.cgroupDirs = in.cgroupDirs;
    r.cgroupNs = ns.unshareCgroup;
    r.userNs = hasNamespace(config, spec::NamespaceType::User);
    if (config.linux)
        for (const spec::Namespace &n : config.linux->namespaces)
            if (n.type == spec::NamespaceType::User)
                r.userNsPath = n.path;
    plan.preserveFds = in.preserveFds + in.listenFds;
    if (in.listenFds > 0) {
        // Socket activation: the fds follow stdio, and the container's init is their owner.
        plan.env.push_back("LISTEN_FDS=" + std::to_string(in.listenFds));
        plan.env.push_back("LISTEN_PID=1");
    }
    return plan;
}

} // namespace husk
