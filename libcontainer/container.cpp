#include "libcontainer/container.h"

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <ctime>

#include "common/file.h"
#include "common/log.h"
#include "libcontainer/cgroups/manager.h"
#include "libcontainer/cgroups/systemd.h"
#include "libcontainer/cgroups/systemd_dbus.h"
#include "libcontainer/console.h"
#include "libcontainer/container_internal.h"
#include "libcontainer/hooks.h"
#include "libcontainer/id.h"
#include "libcontainer/init_builder.h"
#include "libcontainer/proc.h"
#include "libcontainer/process_attrs.h"
#include "libcontainer/seccomp_notify.h"
#include "libcontainer/process/spawn.h"
#include "libcontainer/state_store.h"
#include "libcontainer/net_devices.h"
#include "libcontainer/pod/pod.h"
#include "libcontainer/support.h"
#include "libcontainer/userns.h"
#include "spec/parse.h"
#include "spec/validate.h"

namespace husk {

Status liveStatus(const ContainerDir &dir, const StateRecord &r)
{
    if (r.status == Status::Creating)
        return Status::Creating;
    if (!processMatches(r.pid, r.initStartTime))
        return Status::Stopped;
    if (r.status == Status::Paused) // recorded by pause, cleared by resume
        return Status::Paused;
    if (dir.hasExecFifo())
        return Status::Created;
    return Status::Running;
}

Result<std::string> absolutePath(const std::string &path)
{
    if (!path.empty() && path[0] == '/')
        return path;
    char cwd[PATH_MAX];
    if (!::getcwd(cwd, sizeof cwd))
        return failErrno("getcwd");
    if (path.empty() || path == ".")
        return std::string(cwd);
    return std::string(cwd) + "/" + path;
}

Result<void> writePidFile(const std::string &path, pid_t pid)
{
    std::string abs = HUSK_TRY(absolutePath(path));
    std::string dir = abs.substr(0, abs.rfind('/'));
    std::string name = abs.substr(abs.rfind('/') + 1);
    UniqueFd dfd =
        HUSK_TRY_CTX(openFd(dir.empty() ? "/" : dir, O_RDONLY | O_DIRECTORY), "--pid-file");
    return writeFileAtomic(dfd.get(), name, std::to_string(pid), 0644);
}

std::string nowRfc3339()
{
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return spec::formatCreated(ts);
}

namespace {

constexpr const char *kOciVersion = "1.2.0";

std::string ownerName(uid_t uid)
{
    // getpwuid may load NSS modules; the state root is root's in practice, so keep it cheap.
    if (uid == 0)
        return "root";
    if (passwd *pw = ::getpwuid(uid))
        return pw->pw_name;
    return "#" + std::to_string(uid);
}

spec::State toState(const StateRecord &r, Status live)
{
    spec::State s;
    s.ociVersion = r.config.is_object() && r.config.contains("ociVersion") &&
                           r.config["ociVersion"].is_string()
                       ? r.config["ociVersion"].get<std::string>()
                       : kOciVersion;
    s.id = r.id;
    s.status = std::string(statusName(live));
    s.pid = live == Status::Stopped ? 0 : r.pid;
    s.bundle = r.bundle;
    s.annotations = r.annotations;
    s.rootfs = r.rootfs;
    s.created = r.created;
    s.owner = ownerName(r.owner);
    return s;
}

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

// The hooks of the config a container was created with (not the bundle's current one: the
// config may have changed since, and must not affect the container). Parsed only when present.
std::optional<spec::Hooks> recordedHooks(const StateRecord &rec)
{
    if (!rec.config.is_object() || !rec.config.contains("hooks"))
        return std::nullopt;
    auto config = spec::parseConfig(rec.config);
    if (!config) {
        log::warn("state of " + rec.id + ": hooks: " + config.error().what());
        return std::nullopt;
    }
    return config->hooks;
}

// linux.netDevices of the recorded config: host name -> device.
std::map<std::string, spec::NetDevice> recordedNetDevices(const StateRecord &rec)
{
    std::map<std::string, spec::NetDevice> out;
    if (!rec.config.is_object() || !rec.config.contains("linux"))
        return out;
    const nlohmann::json &lx = rec.config["linux"];
    if (!lx.is_object() || !lx.contains("netDevices") || !lx["netDevices"].is_object())
        return out;
    for (const auto &[host, value] : lx["netDevices"].items()) {
        spec::NetDevice d;
        if (value.is_object() && value.contains("name") && value["name"].is_string())
            d.name = value["name"].get<std::string>();
        out.emplace(host, d);
    }
    return out;
}

std::string hookStateJson(const StateRecord &rec, const char *status, pid_t pid)
{
    spec::State s = toState(rec, Status::Stopped);
    s.status = status;
    s.pid = pid;
    return spec::stateObject(s).dump();
}

// What the init wrote after its verdict byte, until it closes the fifo or exits.
std::string readAllNonblocking(int fifo, int pidfd)
{
    std::string out;
    for (int i = 0; i < 100; ++i) {
        char buf[4096];
        ssize_t n = ::read(fifo, buf, sizeof buf);
        if (n > 0) {
            out.append(buf, static_cast<size_t>(n));
            continue;
        }
        if (n == 0)
            break;
        pollfd fds[2] = {{fifo, POLLIN, 0}, {pidfd, POLLIN, 0}};
        ::poll(fds, 2, 100);
    }
    return out;
}

// A container's own pod (see pod::podFromAnnotations), removed unless create succeeds.
struct OwnPodGuard {
    const GlobalOptions &g;
    std::string id;
    bool armed = false;
    ~OwnPodGuard()
    {
        if (armed)
            pod::removeOwnedPod(g, id);
    }
};

// Everything create made, undone in reverse when a later step fails.
class CreateUndo
{
public:
    CreateUndo(StateStore &store, std::string id) : store_(store), id_(std::move(id)) {}
    ~CreateUndo()
    {
        if (done_)
            return;
        if (netDevices_)
            if (auto r = detachNetDevices(*netDevices_, netnsHold_); !r)
                log::warn("cleanup: " + r.error().what());
        if (pidfd_) {
            (void)pidfdSignal(pidfd_.get(), SIGKILL);
            pidfdWaitExit(pidfd_.get(), 5000);
            if (reap_ > 0)
                ::waitpid(reap_, nullptr, WNOHANG);
        }
        if (cgroups_)
            if (auto r = cgroups_->destroy(); !r)
                log::warn("cleanup: " + r.error().what());
        // runtime.md: a create that fails once the container exists (a failing
        // createRuntime/createContainer hook, or anything later) destroys it and then runs
        // the poststop hooks, as a delete would.
        if (spawned_ && poststop_ && !poststop_->empty() && rec_)
            runHooksWarnOnly(*poststop_, hookStateJson(*rec_, "stopped", 0), "poststop");
        if (dirMade_)
            if (auto r = store_.remove(id_); !r)
                log::warn("cleanup: " + r.error().what());
    }
    void dirMade() { dirMade_ = true; }
    void cgroups(cgroups::CgroupManager *m) { cgroups_ = m; }
    /// Takes the init's pidfd: the undo owns it, so it is open for as long as the undo may
    /// kill through it, whatever the order the caller's locals are destroyed in.
    void init(UniqueFd pidfd, pid_t reap)
    {
        pidfd_ = std::move(pidfd);
        reap_ = reap;
        spawned_ = true;
    }
    void poststop(const std::vector<spec::Hook> *hooks, const StateRecord *rec)
    {
        poststop_ = hooks;
        rec_ = rec;
    }
    void netDevices(const std::map<std::string, spec::NetDevice> *devices, std::string hold)
    {
        netDevices_ = devices;
        netnsHold_ = std::move(hold);
    }
    void commit() { done_ = true; }

private:
    const std::map<std::string, spec::NetDevice> *netDevices_ = nullptr;
    const std::vector<spec::Hook> *poststop_ = nullptr;
    const StateRecord *rec_ = nullptr;
    bool spawned_ = false;
    std::string netnsHold_;
    StateStore &store_;
    std::string id_;
    bool dirMade_ = false;
    cgroups::CgroupManager *cgroups_ = nullptr;
    UniqueFd pidfd_;
    pid_t reap_ = 0;
    bool done_ = false;
};

} // namespace

Result<pid_t> createContainer(const GlobalOptions &g, const CreateOptions &o)
{
    HUSK_TRY(validateId(o.id));
    std::string bundle = HUSK_TRY(absolutePath(o.bundle));
    spec::Config config = HUSK_TRY(spec::loadConfig(bundle));
    // Before anything is made (a container's own pod included): the path must be systemd's
    // form whatever the host; then systemd must be there, and its system bus ours.
    if (g.systemdCgroup) {
        HUSK_TRY(cgroups::systemd::parseCgroupsPath(config.linux ? config.linux->cgroupsPath : "",
                                                    o.id));
        HUSK_TRY(cgroups::systemd::busAvailable());
        if (!cgroups::systemd::running())
            return fail("--systemd-cgroup: systemd is not running on this host (omit the flag to "
                        "use cgroupfs)");
        if (::geteuid() != 0)
            return fail("--systemd-cgroup needs root: systemd's user bus (systemdUser) is not "
                        "supported");
    }
    // A pod member joins the pause process's namespaces (husk's pods; plain namespace paths
    // from an orchestrator are left exactly as given).
    std::string podName = o.pod;
    if (auto a = config.annotations.find("run.husk.pod");
        podName.empty() && a != config.annotations.end())
        podName = a->second;
    // Networking asked for with run.husk.network (and friends) on a plain create: a pod of the
    // container's own, made first and removed with it (on any failure below, by the guard).
    OwnPodGuard ownPod{g, o.id};
    if (auto own = HUSK_TRY(pod::podFromAnnotations(config.annotations, o.id, config.hostname))) {
        if (!podName.empty())
            return fail("annotation run.husk.network/ip/ports/dns: a member of pod \"" + podName +
                        "\" has the pod's networking");
        struct stat existing;
        if (::stat((g.root + "/" + o.id).c_str(), &existing) == 0)
            return fail("container \"" + o.id + "\" already exists", EEXIST);
        (void)HUSK_TRY_CTX(pod::createPod(g, *own), "annotation run.husk.network");
        ownPod.armed = true;
        podName = o.id;
    }
    if (!podName.empty())
        HUSK_TRY_CTX(pod::joinPodConfig(g, podName, config), "--pod " + podName);
    HUSK_TRY(spec::validate(config));
    HUSK_TRY(checkHostFeatures(config));
    HUSK_TRY(checkSupported(config));
    std::string rootfs = config.root.path;
    if (rootfs.empty() || rootfs[0] != '/')
        rootfs = bundle + "/" + rootfs;
    struct stat st;
    if (::stat(rootfs.c_str(), &st) < 0)
        return failErrno("root.path: rootfs \"" + rootfs + "\"");
    if (!S_ISDIR(st.st_mode))
        return fail("root.path: rootfs \"" + rootfs + "\" is not a directory");
    const bool terminal = config.process && config.process->terminal;
    if (terminal && o.consoleSocket.empty())
        return fail("process.terminal is true but no --console-socket was given");
    if (!terminal && !o.consoleSocket.empty())
        return fail("--console-socket given but process.terminal is false");
    UniqueFd console;
    if (!o.consoleSocket.empty())
        console = HUSK_TRY(connectConsoleSocket(o.consoleSocket));

    NamespacePlan namespaces = HUSK_TRY(planNamespaces(config));
    auto layout = HUSK_TRY(cgroups::detectLayout());
    const std::string cgroupsPath = config.linux ? config.linux->cgroupsPath : "";
    cgroups::CgroupManager cg =
        HUSK_TRY(g.systemdCgroup ? cgroups::CgroupManager::forSystemd(layout, cgroupsPath, o.id)
                                 : cgroups::CgroupManager::forNew(layout, cgroupsPath, o.id));
    InitInputs inputs{bundle, rootfs, o.noPivot, o.preserveFds, o.listenFds, cg.record().paths};
    process::InitPlan plan = HUSK_TRY(buildInitPlan(config, namespaces, inputs));
    if (!o.noNewKeyring)
        plan.sessionKeyring = "_ses." + o.id;
    plan.unprivilegedParent = ::geteuid() != 0;
    const spec::Hooks noHooks;
    const spec::Hooks &hooks = config.hooks ? *config.hooks : noHooks;
    plan.parentHooks = !hooks.prestart.empty() || !hooks.createRuntime.empty();
    plan.createContainerHooks = hooks.createContainer;
    plan.startContainerHooks = hooks.startContainer;
    plan.hookState.ociVersion = config.ociVersion;
    plan.hookState.id = o.id;
    plan.hookState.bundle = bundle;
    plan.hookState.annotations = config.annotations;

    StateStore store = HUSK_TRY(StateStore::open(g.root));
    ContainerDir dir = HUSK_TRY(store.create(o.id));
    StateRecord rec; // before undo: its destructor reads it
    CreateUndo undo(store, o.id);
    undo.dirMade();
    HUSK_TRY(dir.lock());

    bool rootlessNoCgroup = false;
    rec.id = o.id;
    rec.status = Status::Creating;
    rec.bundle = bundle;
    rec.rootfs = rootfs;
    rec.created = nowRfc3339();
    rec.owner = ::geteuid();
    rec.annotations = config.annotations;
    rec.config = config.raw;
    undo.poststop(&hooks.poststop, &rec);
    undo.cgroups(&cg);
    if (auto made = cg.create(); !made) {
        // Unprivileged (`husk spec --rootless`): without a delegated cgroup the container
        // runs in the caller's, as runc's rootless mode does.
        int code = made.error().code();
        if (::geteuid() == 0 || (code != EACCES && code != EPERM && code != EROFS))
            return std::unexpected(made.error());
        log::warn("cgroups: " + made.error().what() +
                  "; not delegated to this user, so the container runs without a cgroup of "
                  "its own and linux.resources are not applied");
        (void)cg.destroy();
        cg = cgroups::CgroupManager(CgroupRecord{});
        plan.rootfs.cgroupDirs.clear();
        rootlessNoCgroup = true;
    }
    rec.cgroup = cg.record();
    // Saved before anything runs, so a husk killed from here on leaves a record that
    // `delete --force` can clean from.
    HUSK_TRY(dir.save(rec));
    // (A systemd unit gets them when it starts, in beforeGo.)
    if (config.linux && config.linux->resources && !rootlessNoCgroup && !cg.systemdOwned())
        HUSK_TRY(cg.apply(*config.linux->resources));

    HUSK_TRY(dir.makeExecFifo());
    auto [rootUid, rootGid] = hostRoot(config);
    if (::fchownat(dir.fd(), kExecFifoName, rootUid, rootGid, 0) < 0 ||
        ::fchmodat(dir.fd(), kExecFifoName, 0622, 0) < 0)
        return failErrno("prepare exec fifo");
    int fifo = ::openat(dir.fd(), kExecFifoName, O_PATH | O_CLOEXEC);
    if (fifo < 0)
        return failErrno("open exec fifo");
    UniqueFd fifoFd(fifo);
    plan.fifoFd = fifoFd.get();
    // A separate open of the directory: the locked fd must not live on in the init, or the
    // flock (held per open file description) would outlive create and block every command.
    int initDir = ::openat(dir.fd(), ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (initDir < 0)
        return failErrno("open state directory");
    UniqueFd initDirFd(initDir);
    plan.stateDirFd = initDirFd.get();

    // Held until the init has attached them (it reports Ready after the rootfs is done).
    std::vector<UniqueFd> idmapped = HUSK_TRY(rootfs::prepareIdmappedMounts(plan.rootfs));
    auto [parentEnd, childEnd] = HUSK_TRY(process::SyncSocket::pair());
    const spec::Linux *lx = config.linux ? &*config.linux : nullptr;
    auto beforeGo = [&](pid_t pid, bool unifiedPlaced) -> Result<void> {
        if (namespaces.newUser && lx) {
            HUSK_TRY_CTX(writeIdMaps(pid, lx->uidMappings, lx->gidMappings), "linux.uidMappings");
        }
        if (cg.systemdOwned()) {
            // --systemd-cgroup: a scope starts around its processes, so only now, with the
            // init waiting for its go; saved so a killed husk leaves what delete must undo.
            HUSK_TRY(cg.startUnit(pid, lx && lx->resources ? &*lx->resources : nullptr));
            rec.cgroup = cg.record();
            HUSK_TRY(dir.save(rec));
        } else {
            HUSK_TRY(cg.addProcess(pid, unifiedPlaced));
        }
        if (lx && !lx->netDevices.empty()) {
            undo.netDevices(&lx->netDevices, dir.path() + "/" + kNetnsHoldName);
            HUSK_TRY(attachNetDevices(lx->netDevices, pid, dir.path() + "/" + kNetnsHoldName));
        }
        return {};
    };
    static const std::map<std::string, spec::TimeOffset> kNoOffsets;
    UniqueFd cgroupDir = HUSK_TRY(cg.openUnified());
    process::SpawnedInit init =
        HUSK_TRY(process::spawnInit(plan, namespaces, lx ? lx->timeOffsets : kNoOffsets, parentEnd,
                                    std::move(childEnd), beforeGo, cgroupDir.get()));
    undo.init(std::move(init.pidfd), namespaces.needsIntermediate() ? 0 : init.pid);

    for (;;) {
        process::SyncPacket msg = HUSK_TRY(parentEnd.recv());
        if (msg.type == process::SyncMsg::Error)
            return fail(msg.text, msg.value);
        if (msg.type == process::SyncMsg::ConsoleFd) {
            HUSK_TRY_CTX(sendConsoleFd(console.get(), msg.fd.get()), "--console-socket");
            continue;
        }
        if (msg.type == process::SyncMsg::SeccompFd) {
            const spec::Seccomp &sc = *config.linux->seccomp;
            spec::State st = plan.hookState;
            st.status = "creating";
            HUSK_TRY_CTX(
                sendToSeccompAgent(sc.listenerPath,
                                   containerProcessState(st, init.pid, sc.listenerMetadata),
                                   msg.fd.get()),
                "linux.seccomp.listenerPath");
            msg.fd.reset();
            HUSK_TRY(parentEnd.send(process::SyncMsg::SeccompFdAck));
            continue;
        }
        if (msg.type == process::SyncMsg::CreateHooks) {
            spec::State st = plan.hookState;
            // runtime.md: "created" is the state once the environment exists (lifecycle step
            // 2), which is when these hooks run; "creating" is only before that.
            st.status = "created";
            st.pid = init.pid;
            std::string stateJson = spec::stateObject(st).dump();
            // prestart is deprecated and runs as createRuntime does, before it.
            HUSK_TRY(runHooks(hooks.prestart, stateJson, "prestart"));
            HUSK_TRY(runHooks(hooks.createRuntime, stateJson, "createRuntime"));
            HUSK_TRY(parentEnd.send(process::SyncMsg::CreateHooksDone));
            continue;
        }
        if (msg.type == process::SyncMsg::Ready)
            break;
        return fail(std::string("sync: unexpected ") + process::syncMsgName(msg.type));
    }
    auto startTime = processStartTime(init.pid);
    if (!startTime)
        return fail("container init exited during setup");
    rec.status = Status::Created;
    rec.pid = init.pid;
    rec.initStartTime = *startTime;
    HUSK_TRY(dir.save(rec));
    if (!o.pidFile.empty())
        HUSK_TRY_CTX(writePidFile(o.pidFile, init.pid), "--pid-file " + o.pidFile);
    HUSK_TRY(parentEnd.send(process::SyncMsg::ReadyAck));
    dir.unlock();
    undo.commit();
    ownPod.armed = false;
    if (!podName.empty())
        if (auto m = pod::addMember(g, podName, o.id); !m)
            log::warn("pod " + podName + ": " + m.error().what());
    return init.pid;
}

Result<void> startContainer(const GlobalOptions &g, const std::string &id)
{
    HUSK_TRY(validateId(id));
    StateStore store = HUSK_TRY(StateStore::open(g.root));
    ContainerDir dir = HUSK_TRY(store.openContainer(id));
    HUSK_TRY(dir.lock());
    StateRecord rec = HUSK_TRY(dir.load());
    Status s = liveStatus(dir, rec);
    if (!canStart(s))
        return fail("cannot start a container that is " + std::string(statusName(s)));
    if (!rec.config.contains("process") || rec.config["process"].is_null())
        return fail("process: not set in the container's config; the runtime-spec requires it "
                    "for start");
    UniqueFd pidfd = HUSK_TRY(openVerifiedPidfd(rec.pid, rec.initStartTime));
    // Opening the read side releases the init's blocking open of the write side. O_NONBLOCK
    // plus poll on the pidfd means a dead init is an error, never a hang.
    int fifo = ::openat(dir.fd(), kExecFifoName, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fifo < 0)
        return failErrno("open exec fifo");
    UniqueFd fifoFd(fifo);
    pollfd fds[2] = {{fifoFd.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
    for (;;) {
        int r = ::poll(fds, 2, -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return failErrno("wait for container init");
        if (fds[0].revents & POLLIN) {
            char c;
            if (::read(fifoFd.get(), &c, 1) == 1) {
                if (c == '0')
                    break;
                // A startContainer hook failed: the init sends the reason and exits.
                std::string reason = readAllNonblocking(fifoFd.get(), pidfd.get());
                dir.removeExecFifo();
                return fail(reason.empty() ? "container init failed to start" : reason);
            }
        }
        if (fds[1].revents & POLLIN)
            return fail("container init exited before it could start the process");
        if (fds[0].revents & POLLHUP)
            return fail("container init closed the exec fifo without starting");
    }
    auto hooks = recordedHooks(rec);
    if (hooks && !hooks->poststart.empty()) {
        // runtime.md: poststart hooks run after the user process is executed. The init keeps
        // the fifo's write end open until its execve (close-on-exec): EOF marks the exec.
        for (int waited = 0; waited < 10000; waited += 10) {
            char c;
            if (::read(fifoFd.get(), &c, 1) == 0)
                break;
            pollfd p[2] = {{fifoFd.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
            if (::poll(p, 2, 10) > 0 && (p[1].revents & POLLIN))
                break;
        }
    }
    dir.removeExecFifo();
    if (hooks && !hooks->poststart.empty())
        runHooksWarnOnly(hooks->poststart, hookStateJson(rec, "running", rec.pid), "poststart");
    return {};
}

Result<spec::State> containerState(const GlobalOptions &g, const std::string &id)
{
    HUSK_TRY(validateId(id));
    StateStore store = HUSK_TRY(StateStore::open(g.root));
    ContainerDir dir = HUSK_TRY(store.openContainer(id));
    StateRecord rec = HUSK_TRY(dir.load());
    spec::State st = toState(rec, liveStatus(dir, rec));
    // OOM kills in the container's cgroup are reported as an annotation (husk's, not the
    // config's), so an orchestrator polling state sees them.
    if (auto ooms = cgroups::CgroupManager(rec.cgroup).oomKillCount(); ooms && *ooms > 0)
        st.annotations["run.husk.oom-kills"] = std::to_string(*ooms);
    return st;
}

Result<LockedContainer> lockContainer(const GlobalOptions &g, const std::string &id)
{
    HUSK_TRY(validateId(id));
    StateStore store = HUSK_TRY(StateStore::open(g.root));
    ContainerDir dir = HUSK_TRY(store.openContainer(id));
    HUSK_TRY(dir.lock());
    StateRecord rec = HUSK_TRY(dir.load());
    Status s = liveStatus(dir, rec);
    return LockedContainer{std::move(store), std::move(dir), std::move(rec), s};
}

Result<void> killContainer(const GlobalOptions &g, const std::string &id, int sig, bool all)
{
    LockedContainer c = HUSK_TRY(lockContainer(g, id));
    const StateRecord &rec = c.rec;
    const Status s = c.status;
    // --all signals whatever is still in the cgroup, also once the init has exited, as runc
    // does: containerd's runc shim sends `kill --all ID 9` to a stopped task, after the init of
    // a container without a pid namespace of its own exits (to kill what it left behind) and
    // on `delete --force`. An empty or removed cgroup makes it a no-op.
    if (all && (canKill(s) || s == Status::Stopped)) {
        cgroups::CgroupManager cg(rec.cgroup);
        return cg.signalAll(sig);
    }
    // "container not running" is runc's text, which containerd's shim matches to report the
    // process as already finished rather than an unknown error.
    if (!canKill(s))
        return fail("cannot kill container \"" + id + "\": container not running (it is " +
                    std::string(statusName(s)) + ")");
    UniqueFd pidfd = HUSK_TRY(openVerifiedPidfd(rec.pid, rec.initStartTime));
    return pidfdSignal(pidfd.get(), sig);
}

Result<void> deleteContainer(const GlobalOptions &g, const std::string &id, bool force)
{
    HUSK_TRY(validateId(id));
    StateStore store = HUSK_TRY(StateStore::open(g.root));
    auto opened = store.openContainer(id);
    if (!opened) {
        if (force && opened.error().code() == ENOENT) {
            // A husk killed between making the container's own pod and its state.
            pod::removeOwnedPod(g, id);
            return {};
        }
        return std::unexpected(opened.error());
    }
    ContainerDir dir = std::move(*opened);
    HUSK_TRY(dir.lock());
    auto loaded = dir.load();
    if (!loaded) {
        // A husk killed before the first state write leaves only a directory.
        if (!force)
            return wrap(loaded.error(), "container \"" + id +
                                            "\" has no readable state (use "
                                            "--force to remove it)");
        HUSK_TRY(store.remove(id));
        pod::removeOwnedPod(g, id);
        return {};
    }
    StateRecord rec = std::move(*loaded);
    Status s = liveStatus(dir, rec);
    if (!canDelete(s) && !force)
        return fail("cannot delete container \"" + id + "\" that is " + std::string(statusName(s)) +
                    " (stop it first, or use --force)");
    if (s == Status::Paused) {
        // A frozen (v1) task never acts on SIGKILL: thaw first.
        if (auto r = cgroups::CgroupManager(rec.cgroup).thaw(); !r)
            log::warn("delete: " + r.error().what());
    }
    if (s != Status::Stopped) {
        if (auto pidfd = openVerifiedPidfd(rec.pid, rec.initStartTime)) {
            (void)pidfdSignal(pidfd->get(), SIGKILL);
            if (!pidfdWaitExit(pidfd->get(), 10000))
                return fail("container init did not exit after SIGKILL");
        }
    }
    if (auto devices = recordedNetDevices(rec); !devices.empty())
        HUSK_TRY(detachNetDevices(devices, dir.path() + "/" + kNetnsHoldName));
    cgroups::CgroupManager cg(rec.cgroup);
    HUSK_TRY(cg.destroy());
    if (auto hooks = recordedHooks(rec); hooks && !hooks->poststop.empty())
        runHooksWarnOnly(hooks->poststop, hookStateJson(rec, "stopped", 0), "poststop");
    HUSK_TRY(store.remove(id));
    if (auto p = rec.annotations.find("run.husk.pod"); p != rec.annotations.end()) {
        pod::removeMember(g, p->second, id);
        if (p->second == id)
            pod::removeOwnedPod(g, id);
    }
    return {};
}

Result<std::vector<spec::State>> listContainers(const GlobalOptions &g)
{
    std::vector<spec::State> out;
    struct stat st;
    if (::stat(g.root.c_str(), &st) < 0 && errno == ENOENT)
        return out;
    StateStore store = HUSK_TRY(StateStore::open(g.root));
    for (const std::string &id : HUSK_TRY(store.list())) {
        auto dir = store.openContainer(id);
        if (!dir)
            continue;
        auto rec = dir->load();
        if (!rec) {
            // A container whose create was interrupted before state was written.
            spec::State s;
            s.id = id;
            s.status = "creating";
            out.push_back(s);
            continue;
        }
        out.push_back(toState(*rec, liveStatus(*dir, *rec)));
    }
    return out;
}

} // namespace husk
