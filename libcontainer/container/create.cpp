// `create`: the container as its config says, up to the init waiting on the exec fifo.
//
// Order: everything that can be checked is checked and planned (planCreate) before anything is
// made; then each side effect is recorded before it is made (the state directory, then
// state.json naming the cgroups before they exist), and registered with the transaction,
// which undoes them last first unless the create commits. Pods are the pod layer's business
// (pod::createMember); this file knows nothing of them.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crash_point.h"
#include "common/file.h"
#include "common/log.h"
#include "libcontainer/cgroups/attach_warmup.h"
#include "libcontainer/cgroups/manager.h"
#include "libcontainer/cgroups/systemd.h"
#include "libcontainer/cgroups/systemd_dbus.h"
#include "libcontainer/container/container.h"
#include "libcontainer/container/id.h"
#include "libcontainer/container/internal.h"
#include "libcontainer/security/lsm.h"
#include "libcontainer/container/plan.h"
#include "libcontainer/container/state_store.h"
#include "libcontainer/container/transaction.h"
#include "libcontainer/introspect/supported.h"
#include "libcontainer/namespaces/userns.h"
#include "libcontainer/network/net_devices.h"
#include "libcontainer/process/attrs/attrs.h"
#include "libcontainer/process/clone.h"
#include "libcontainer/process/console.h"
#include "libcontainer/process/hooks.h"
#include "libcontainer/process/pidfd.h"
#include "libcontainer/process/supervise.h"
#include "libcontainer/security/seccomp/notify.h"
#include "spec/parse.h"
#include "spec/validate.h"

namespace husk {

namespace {

// Host id that container id 0 maps to (the exec fifo is given to the container's root).
std::pair<uid_t, gid_t> hostRoot(const spec::Config &c)
{
    uid_t u = 0;
    gid_t g = 0;
    if (c.linux) {
        for (const spec::IdMapping &m : c.linux->uidMappings)
            if (m.containerId == 0)
                u = m.hostId;
        for (const spec::IdMapping &m : c.linux->gidMappings)
            if (m.containerId == 0)
                g = m.hostId;
    }
    return {u, g};
}

// The container's cgroups, made and recorded. Unprivileged (`husk spec --rootless`) without a
// delegated cgroup the container runs in the caller's, as runc's rootless mode does.
Result<void> makeCgroups(cgroups::CgroupManager &cg, process::InitPlan &plan, bool rootless)
{
    auto made = cg.create();
    if (made)
        return {};
    int code = made.error().code();
    if (!rootless || (code != EACCES && code != EPERM && code != EROFS))
        return std::unexpected(made.error());
    log::warn("cgroups: " + made.error().what() +
              "; not delegated to this user, so the container runs without a cgroup of its own "
              "and linux.resources are not applied");
    (void)cg.destroy();
    cg = cgroups::CgroupManager(CgroupRecord{});
    plan.rootfs.cgroupDirs.clear();
    return {};
}

} // namespace

Result<Bundle> loadBundle(const std::string &path)
{
    Bundle b;
    b.path = HUSK_TRY(absolutePath(path));
    b.config = HUSK_TRY(spec::loadConfig(b.path));
    return b;
}

Result<void> checkCgroupDriver(const GlobalOptions &g, const spec::Config &config,
                               const std::string &id)
{
    if (!g.systemdCgroup)
        return {};
    // The path must be systemd's form whatever the host; then systemd must be there, and its
    // system bus ours.
    HUSK_TRY(cgroups::systemd::parseCgroupsPath(config.linux ? config.linux->cgroupsPath : "", id));
    HUSK_TRY(cgroups::systemd::busAvailable());
    if (!cgroups::systemd::running())
        return fail("--systemd-cgroup: systemd is not running on this host (omit the flag to use "
                    "cgroupfs)");
    if (::geteuid() != 0)
        return fail("--systemd-cgroup needs root: systemd's user bus (systemdUser) is not "
                    "supported");
    return {};
}

// Which cgroups need a realtime budget (v1 RT group scheduling): a realtime policy fails in a
// cgroup without one, and a realtimeRuntime cannot be written below a parent without one.
enum class RealtimeNeed { None, Leaf, Parents };

RealtimeNeed realtimeNeed(const spec::Config &config)
{
    const spec::Linux *lx = config.linux ? &*config.linux : nullptr;
    if (lx && lx->resources && lx->resources->cpu &&
        lx->resources->cpu->realtimeRuntime.value_or(0) > 0)
        return RealtimeNeed::Parents; // the config's own value is the leaf's budget
    if (!config.process || !config.process->scheduler)
        return RealtimeNeed::None;
    const std::string &policy = config.process->scheduler->policy;
    return policy == "SCHED_FIFO" || policy == "SCHED_RR" ? RealtimeNeed::Leaf : RealtimeNeed::None;
}

bool rootlessCgroups(const GlobalOptions &g)
{
    return g.rootless == "true" || (g.rootless == "auto" && ::geteuid() != 0);
}

Result<pid_t> createContainer(const GlobalOptions &g, const CreateOptions &o, Bundle bundle)
{
    (void)dropSelinuxLabelsWithoutSelinux(bundle.config);
    const spec::Config &config = bundle.config;
    HUSK_TRY(validateId(o.id));
    HUSK_TRY(checkCgroupDriver(g, config, o.id));
    HUSK_TRY(spec::validate(config));
    HUSK_TRY(checkHostFeatures(config));
    HUSK_TRY(checkSupported(config));

    // ---- plan: nothing is made until everything is decided ----
    NamespacePlan namespaces = HUSK_TRY(planNamespaces(config));
    auto layout = HUSK_TRY(cgroups::detectLayout());
    const std::string cgroupsPath = config.linux ? config.linux->cgroupsPath : "";
    cgroups::CgroupManager cg =
        HUSK_TRY(g.systemdCgroup ? cgroups::CgroupManager::forSystemd(layout, cgroupsPath, o.id)
                                 : cgroups::CgroupManager::forNew(layout, cgroupsPath, o.id));
    // v1: the init's join waits for an RCU grace period; started now, it passes meanwhile.
    UniqueFd attachWarmup = cg.systemdOwned() ? UniqueFd() : cgroups::startAttachWarmup();
    CreatePlan plan = HUSK_TRY(planCreate(
        config, namespaces, o, CreateFacts{bundle.path, ::geteuid() != 0, cg.record().paths}));
    struct stat st;
    if (::stat(plan.rootfs.c_str(), &st) < 0)
        return failErrno("root.path: rootfs \"" + plan.rootfs + "\"");
    if (!S_ISDIR(st.st_mode))
        return fail("root.path: rootfs \"" + plan.rootfs + "\" is not a directory");
    UniqueFd console;
    if (!o.consoleSocket.empty())
        console = HUSK_TRY(connectConsoleSocket(o.consoleSocket));
    const spec::Linux *lx = config.linux ? &*config.linux : nullptr;
    static const spec::Hooks kNoHooks;
    const spec::Hooks &hooks = config.hooks ? *config.hooks : kNoHooks;

    // ---- act: each step recorded before it is made, and undone unless committed ----
    StateStore store = HUSK_TRY(StateStore::open(g.root));
    ContainerDir dir = HUSK_TRY(store.create(o.id));
    StateRecord rec;
    CreateTransaction tx; // after rec and dir: its undo steps use them
    // The directory is born locked (StateStore::create): no other command touches it until
    // this create ends. The undo still removes it only while the id names it.
    tx.onUndo([&] {
        if (!store.holds(o.id, dir))
            return;
        if (auto r = store.remove(o.id); !r)
            log::warn("cleanup: " + r.error().what());
    });
    crashPoint("create.dir");
    rec.id = o.id;
    rec.status = Status::Creating;
    rec.bundle = bundle.path;
    rec.rootfs = plan.rootfs;
    rec.created = nowRfc3339();
    rec.owner = ::geteuid();
    rec.annotations = config.annotations;
    rec.config = config.raw;
    // runtime.md: a create that fails once the container exists (a failing
    // createRuntime/createContainer hook, or anything later) destroys it and then runs the
    // poststop hooks, as a delete would (runs after the undo steps registered below).
    tx.onUndo([&] {
        if (tx.spawned() && !hooks.poststop.empty())
            runHooksWarnOnly(hooks.poststop, hookStateJson(rec, "stopped", 0), "poststop");
    });
    // The first record, before anything but the directory exists: the cgroup directories it
    // will make (and a systemd unit's name). A husk killed from here on leaves a record that
    // delete cleans from; one killed before it leaves an empty directory (stopped).
    HUSK_TRY(cg.plan());
    rec.cgroup = cg.record();
    HUSK_TRY(dir.save(rec));
    crashPoint("create.recorded");
    tx.onUndo([&] {
        if (auto r = cg.destroy(); !r)
            log::warn("cleanup: " + r.error().what());
    });
    HUSK_TRY(makeCgroups(cg, plan.init, rootlessCgroups(g)));
    crashPoint("create.cgroups");
    log::step([&] {
        std::string m = "cgroups:";
        for (const auto &[key, path] : cg.record().paths)
            m += " " + key + "=" + path;
        m += " (" + std::to_string(cg.record().created.size()) + " made by husk)";
        return m;
    });
    if (cg.record().created != rec.cgroup.created) { // a race with another mkdir, or rootless
        rec.cgroup = cg.record();
        HUSK_TRY(dir.save(rec));
    }
    // (A systemd unit gets them when it starts, below.)
    if (RealtimeNeed rt = realtimeNeed(config);
        rt != RealtimeNeed::None && !rec.cgroup.paths.empty())
        HUSK_TRY_CTX(cg.grantRealtimeBudget(rt == RealtimeNeed::Leaf),
                     rt == RealtimeNeed::Leaf ? "process.scheduler"
                                              : "linux.resources.cpu.realtimeRuntime");
    if (lx && lx->resources && !rec.cgroup.paths.empty() && !cg.systemdOwned())
        HUSK_TRY(cg.apply(*lx->resources));

    HUSK_TRY(dir.makeExecFifo());
    auto [rootUid, rootGid] = hostRoot(config);
    if (::fchownat(dir.fd(), kExecFifoName, rootUid, rootGid, 0) < 0 ||
        ::fchmodat(dir.fd(), kExecFifoName, 0622, 0) < 0)
        return failErrno("prepare exec fifo");
    UniqueFd fifo = HUSK_TRY_CTX(openFdAt(dir.fd(), kExecFifoName, O_PATH), "exec fifo");
    plan.init.fifoFd = fifo.get();
    // A separate open of the directory: the locked fd must not live on in the init, or the
    // flock (held per open file description) would outlive create and block every command.
    UniqueFd initDir =
        HUSK_TRY_CTX(openFdAt(dir.fd(), ".", O_PATH | O_DIRECTORY), "state directory");
    plan.init.stateDirFd = initDir.get();

    // Held until the init has attached them (it reports Ready after the rootfs is done).
    std::vector<UniqueFd> idmapped = HUSK_TRY(rootfs::prepareBindSources(plan.init.rootfs));
    auto [parentEnd, childEnd] = HUSK_TRY(process::SyncSocket::pair());
    static const std::map<std::string, spec::TimeOffset> kNoOffsets;
    UniqueFd cgroupDir = HUSK_TRY(cg.openUnified());
    process::SpawnedInit init =
        HUSK_TRY(process::spawnInit(plan.init, namespaces, lx ? lx->timeOffsets : kNoOffsets,
                                    parentEnd, std::move(childEnd), cgroupDir.get()));
    const pid_t pid = init.pid;
    tx.ownProcess(pid, std::move(init.pidfd));
    crashPoint("create.spawned");
    log::step([&] {
        std::string m = "init: pid " + std::to_string(pid) + ", new namespaces:";
        for (spec::NamespaceType t : spec::kNamespaceTypes)
            if (namespaces.cloneFlags & husk::cloneFlag(t))
                m += std::string(" ") + spec::namespaceTypeName(t);
        if (namespaces.unshareCgroup)
            m += " cgroup";
        for (const NamespaceJoin &j : namespaces.joins)
            m += std::string(", joined ") + spec::namespaceTypeName(j.type);
        return m;
    });

    // The init waits for Go: id maps, cgroups, netDevices first.
    if (namespaces.newUser && lx)
        HUSK_TRY_CTX(writeIdMaps(pid, lx->uidMappings, lx->gidMappings), "linux.uidMappings");
    if (cg.systemdOwned()) {
        // --systemd-cgroup: a scope starts around its processes, so only now; saved so a
        // killed husk leaves what delete must undo.
        HUSK_TRY(cg.startUnit(pid, lx && lx->resources ? &*lx->resources : nullptr));
        rec.cgroup = cg.record();
        HUSK_TRY(dir.save(rec));
    } else {
        cgroups::finishAttachWarmup(attachWarmup);
        HUSK_TRY(cg.addProcess(pid, init.placedInCgroup));
    }
    crashPoint("create.joined");
    log::step([&] {
        return "init: in its cgroups; id maps written: " +
               std::string(namespaces.newUser ? "yes" : "no");
    });
    if (lx && !lx->netDevices.empty()) {
        const std::string hold = dir.path() + "/" + kNetnsHoldName;
        tx.onUndo([&devices = lx->netDevices, hold] {
            if (auto r = detachNetDevices(devices, hold); !r)
                log::warn("cleanup: " + r.error().what());
        });
        HUSK_TRY(attachNetDevices(lx->netDevices, pid, hold));
        crashPoint("create.netdevices");
    }

    process::SupervisorHandlers handlers;
    handlers.consoleFd = [&](UniqueFd master) -> Result<void> {
        HUSK_TRY_CTX(sendConsoleFd(console.get(), master.get()), "--console-socket");
        return {};
    };
    handlers.seccompFd = [&](UniqueFd notifyFd) -> Result<void> {
        const spec::Seccomp &sc = *lx->seccomp;
        spec::State state = plan.init.hookState;
        state.status = "creating";
        HUSK_TRY_CTX(
            sendToSeccompAgent(sc.listenerPath,
                               spec::containerProcessStateText(state, pid, sc.listenerMetadata),
                               notifyFd.get()),
            "linux.seccomp.listenerPath");
        return {};
    };
    handlers.createHooks = [&]() -> Result<void> {
        spec::State state = plan.init.hookState;
        // runtime.md: "created" is the state once the environment exists (lifecycle step 2),
        // which is when these hooks run; "creating" is only before that.
        state.status = "created";
        state.pid = pid;
        std::string stateJson = spec::stateObject(state).dump();
        // prestart is deprecated and runs as createRuntime does, before it.
        HUSK_TRY(runHooks(hooks.prestart, stateJson, "prestart"));
        HUSK_TRY(runHooks(hooks.createRuntime, stateJson, "createRuntime"));
        return {};
    };
    process::Supervisor supervisor(parentEnd, std::move(handlers));
    HUSK_TRY(supervisor.go(pid));
    HUSK_TRY(supervisor.untilReady());
    crashPoint("create.ready");

    auto startTime = processStartTime(pid);
    if (!startTime)
        return fail("container init exited during setup");
    rec.status = Status::Created;
    rec.pid = pid;
    rec.initStartTime = *startTime;
    HUSK_TRY(dir.save(rec));
    crashPoint("create.saved");
    if (!o.pidFile.empty())
        HUSK_TRY_CTX(writePidFile(o.pidFile, pid), "--pid-file " + o.pidFile);
    HUSK_TRY(supervisor.acknowledgeReady());
    dir.unlock();
    tx.commit();
    return pid;
}

} // namespace husk
