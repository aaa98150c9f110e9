#include "libcontainer/container/container.h"

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

#include "common/crash_point.h"
#include "common/file.h"
#include "common/log.h"
#include "libcontainer/cgroups/manager.h"
#include "libcontainer/container/id.h"
#include "libcontainer/container/internal.h"
#include "libcontainer/container/salvage.h"
#include "libcontainer/network/net_devices.h"
#include "libcontainer/process/hooks.h"
#include "libcontainer/process/pidfd.h"
#include "libcontainer/container/state_store.h"
#include "spec/validate.h"

namespace husk {

Status liveStatus(const ContainerDir &dir, const StateRecord &r)
{
    // The create holds the lock from its first record to the end: a `creating` record nobody
    // holds was left by a create that was killed. Its init dies with it (it reads EOF on the
    // sync socket), so it is stopped, as runc reports it, and plain delete removes it.
    if (r.status == Status::Creating)
        return dir.lockedElsewhere() ? Status::Creating : Status::Stopped;
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
    s.ociVersion = recordedOciVersion(r);
    if (s.ociVersion.empty())
        s.ociVersion = kOciVersion;
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

// The state of a container with no state.json yet. A create holds the lock from before its
// first record, so while someone holds it the container is creating (the record may appear
// any moment); once nobody does, a directory with nothing in it was left by a create killed
// before its first record: stopped. nullopt when it holds more (a record that went missing).
std::optional<spec::State> stateBeforeRecord(const std::string &id, const ContainerDir &dir,
                                             const Error &loadError)
{
    if (loadError.code() != ENOENT)
        return std::nullopt;
    spec::State s;
    s.ociVersion = kOciVersion;
    s.id = id;
    if (dir.lockedElsewhere())
        s.status = "creating";
    else if (madeNothing(dir, id))
        s.status = "stopped";
    else
        return std::nullopt;
    return s;
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

} // namespace

std::string hookStateJson(const StateRecord &rec, const char *status, pid_t pid)
{
    spec::State s = toState(rec, Status::Stopped);
    s.status = status;
    s.pid = pid;
    return spec::stateObject(s).dump();
}

Result<void> startContainer(const GlobalOptions &g, const std::string &id)
{
    LockedContainer c = HUSK_TRY(lockContainer(g, id));
    ContainerDir &dir = c.dir;
    const StateRecord &rec = c.rec;
    const Status s = c.status;
    if (!canStart(s))
        return fail("cannot start a container that is " + std::string(statusName(s)));
    if (!recordedHasProcess(rec))
        return fail("process: not set in the container's config; the runtime-spec requires it "
                    "for start");
    UniqueFd pidfd = HUSK_TRY(openVerifiedPidfd(rec.pid, rec.initStartTime));
    // Opening the read side releases the init's blocking open of the write side. O_NONBLOCK
    // plus poll on the pidfd means a dead init is an error, never a hang.
    UniqueFd fifoFd =
        HUSK_TRY_CTX(openFdAt(dir.fd(), kExecFifoName, O_RDONLY | O_NONBLOCK), "exec fifo");
    // The name goes at once (the init reopens the fifo through its own fd, never by name): a
    // start killed from here on leaves a container that is running (the init got its byte
    // through the pipe) or stopped (it got EPIPE), never one shown as created that no start
    // can ever release.
    dir.removeExecFifo();
    crashPoint("start.opened");
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
    crashPoint("start.released");
    if (hooks && !hooks->poststart.empty())
        runHooksWarnOnly(hooks->poststart, hookStateJson(rec, "running", rec.pid), "poststart");
    return {};
}

Result<spec::State> containerState(const GlobalOptions &g, const std::string &id)
{
    HUSK_TRY(validateId(id));
    StateStore store = HUSK_TRY(StateStore::open(g.root));
    ContainerDir dir = HUSK_TRY(store.openContainer(id));
    auto loaded = dir.load(ContainerDir::Config::Summary);
    // Unlocked: a delete may have emptied the directory after we opened it (and a create may
    // have made a new one). Read the one that is there now.
    for (int retry = 0; !loaded && !store.holds(id, dir) && retry < 10; ++retry) {
        dir = HUSK_TRY(store.openContainer(id));
        loaded = dir.load(ContainerDir::Config::Summary);
    }
    if (!loaded) {
        if (auto early = stateBeforeRecord(id, dir, loaded.error()))
            return *early;
        return std::unexpected(loaded.error());
    }
    const StateRecord &rec = *loaded;
    spec::State st = toState(rec, liveStatus(dir, rec));
    // OOM kills in the container's cgroup are reported as an annotation (husk's, not the
    // config's), so an orchestrator polling state sees them.
    if (auto ooms = cgroups::CgroupManager(rec.cgroup).oomKillCount(); ooms && *ooms > 0)
        st.annotations["run.husk.oom-kills"] = std::to_string(*ooms);
    return st;
}

Result<LockedContainer> lockContainer(const GlobalOptions &g, const std::string &id,
                                      ContainerDir::Config part)
{
    HUSK_TRY(validateId(id));
    StateStore store = HUSK_TRY(StateStore::open(g.root));
    ContainerDir dir = HUSK_TRY(store.openLocked(id));
    StateRecord rec = HUSK_TRY(dir.load(part));
    Status s = liveStatus(dir, rec);
    return LockedContainer{std::move(store), std::move(dir), std::move(rec), s};
}

Result<void> killContainer(const GlobalOptions &g, const std::string &id, int sig, bool all)
{
    LockedContainer c = HUSK_TRY(lockContainer(g, id, ContainerDir::Config::Summary));
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

Result<DeletedContainer> deleteContainer(const GlobalOptions &g, const std::string &id, bool force)
{
    HUSK_TRY(validateId(id));
    StateStore store = HUSK_TRY(StateStore::open(g.root));
    auto opened = store.openLocked(id);
    if (!opened) {
        if (force && opened.error().code() == ENOENT)
            return DeletedContainer{};
        return std::unexpected(opened.error());
    }
    ContainerDir dir = std::move(*opened);
    auto loaded = dir.load(ContainerDir::Config::Summary);
    if (!loaded) {
        // A husk killed before its first record leaves only a directory: stopped, as `state`
        // reports it, so plain delete removes it. Anything else needs --force, and then what
        // the system still shows of the container.
        if (force || (loaded.error().code() == ENOENT && madeNothing(dir, id)))
            return deleteWithoutRecord(store, dir, id, loaded.error());
        return wrap(loaded.error(), "container \"" + id +
                                        "\" has no readable state (use --force to remove "
                                        "what is left of it)");
    }
    StateRecord rec = std::move(*loaded);
    // The config names the net devices to give back and the poststop hooks (read only when
    // the record says it has either). When it cannot be read, the record still says what to remove:
    // that goes ahead, and the warning says what could not be done.
    if (auto config = rec.configOnDelete ? dir.loadConfig(rec) : Result<void>{}; !config)
        log::warn("delete " + id + ": " + config.error().what() +
                  ": no poststop hooks run, no net devices moved back");
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
        if (auto pidfd = openVerifiedPidfd(rec.pid, rec.initStartTime))
            if (!killThroughPidfd(pidfd->get(), Reap::NotOurs))
                return fail("container init did not exit after SIGKILL");
    }
    crashPoint("delete.killed");
    if (auto devices = recordedNetDevices(rec); !devices.empty())
        HUSK_TRY(detachNetDevices(devices, dir.path() + "/" + kNetnsHoldName));
    cgroups::CgroupManager cg(rec.cgroup);
    HUSK_TRY(cg.destroy());
    crashPoint("delete.cgroups");
    if (auto hooks = recordedHooks(rec); hooks && !hooks->poststop.empty())
        runHooksWarnOnly(hooks->poststop, hookStateJson(rec, "stopped", 0), "poststop");
    HUSK_TRY(store.remove(id));
    return DeletedContainer{true, std::move(rec.annotations)};
}

Result<std::vector<spec::State>> listContainers(const GlobalOptions &g)
{
    std::vector<spec::State> out;
    // As runc: a default root that does not exist yet is an empty list; a --root given that
    // does not exist is an error (a typo must not look like "no containers").
    struct stat st;
    if (::stat(g.root.c_str(), &st) < 0 && errno == ENOENT) {
        if (g.rootGiven)
            return failErrno("open " + g.root);
        return out;
    }
    StateStore store = HUSK_TRY(StateStore::open(g.root));
    for (const std::string &id : HUSK_TRY(store.list())) {
        auto dir = store.openContainer(id);
        if (!dir)
            continue;
        auto rec = dir->load(ContainerDir::Config::Summary);
        if (!rec) {
            // Before its first record a create has made nothing but the directory: creating
            // while it runs, stopped once it was killed. Any other entry is broken; it is
            // listed (never hiding the others) with the reason.
            if (auto early = stateBeforeRecord(id, *dir, rec.error())) {
                out.push_back(std::move(*early));
                continue;
            }
            spec::State s;
            s.ociVersion = kOciVersion;
            s.id = id;
            s.status = "unknown";
            s.annotations["run.husk.error"] = rec.error().what();
            log::warn("list: container \"" + id + "\": " + rec.error().what());
            out.push_back(std::move(s));
            continue;
        }
        out.push_back(toState(*rec, liveStatus(*dir, *rec)));
    }
    return out;
}

} // namespace husk
