// `exec`: a new process in a running container.
//
// The parent enters the container's pid and time namespaces for its children only
// (setns with the init's pidfd), clones the process, puts it in the container's cgroup and
// lets it go; the process joins the other namespaces itself (one setns with the pidfd, the
// kernel ordering user first) and then goes through the same process setup as the init
// (process/init.cpp prepareProcess): rlimits, cwd resolved inside the root, exec guard,
// attributes, seccomp, user, capabilities, no_new_privs, Landlock.

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <optional>

#include "common/file.h"
#include "common/log.h"
#include "libcontainer/security/capabilities.h"
#include "libcontainer/cgroups/manager.h"
#include "libcontainer/process/console.h"
#include "libcontainer/container/container.h"
#include "libcontainer/container/internal.h"
#include "libcontainer/container/id.h"
#include "libcontainer/container/plan.h"
#include "libcontainer/process/supervise.h"
#include "libcontainer/namespaces/namespaces.h"
#include "libcontainer/process/pidfd.h"
#include "libcontainer/process/signals.h"
#include "spec/parse.h"
#include "libcontainer/process/clone.h"
#include "libcontainer/security/seccomp/notify.h"
#include "spec/parse.h"
#include "spec/validate.h"

namespace husk {

namespace {

// The namespaces exec may have to enter, with their /proc/PID/ns names.
struct NsKind {
    const char *name;
    int flag;
};
constexpr NsKind kNamespaces[] = {
    {"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},    {"net", CLONE_NEWNET},
    {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS},   {"cgroup", CLONE_NEWCGROUP},
    {"pid", CLONE_NEWPID},   {"time", CLONE_NEWTIME},
};

// The CLONE_NEW* flags of the init's namespaces that differ from ours (joining one's own
// user namespace is an error, and the others would be no-ops).
Result<int> differingNamespaces(pid_t pid)
{
    int flags = 0;
    for (const NsKind &k : kNamespaces) {
        struct stat mine, theirs;
        std::string self = std::string("/proc/self/ns/") + k.name;
        std::string other = "/proc/" + std::to_string(pid) + "/ns/" + k.name;
        if (::stat(other.c_str(), &theirs) < 0) {
            if (errno == ENOENT)
                continue; // a namespace type this kernel lacks
            return failErrno("namespace " + other);
        }
        if (::stat(self.c_str(), &mine) < 0 || mine.st_ino != theirs.st_ino ||
            mine.st_dev != theirs.st_dev)
            flags |= k.flag;
    }
    return flags;
}

// Puts pid in the container's cgroup (or the --cgroup sub-cgroup of it) in every hierarchy.
Result<void> joinCgroup(const CgroupRecord &rec, const std::string &sub, pid_t pid)
{
    if (sub.empty())
        return cgroups::CgroupManager(rec).addProcess(pid);
    if (sub.find("..") != std::string::npos)
        return fail("--cgroup \"" + sub + "\": must stay inside the container's cgroup");
    std::string p = std::to_string(pid);
    for (const auto &[key, dir] : rec.paths)
        HUSK_TRY_CTX(writeExisting(dir + "/" + sub + "/cgroup.procs", p), "--cgroup " + sub);
    return {};
}

} // namespace

Result<int> execProcess(const GlobalOptions &g, const ExecOptions &o)
{
    // Locked only for a consistent read: exec must not block other commands while it runs.
    LockedContainer locked = HUSK_TRY(lockContainer(g, o.id));
    locked.dir.unlock();
    const StateRecord &rec = locked.rec;
    const Status status = locked.status;
    if (status == Status::Stopped || status == Status::Creating)
        return fail("cannot exec in a " + std::string(statusName(status)) + " container");
    if (status == Status::Paused && !o.ignorePaused)
        return fail("cannot exec in a paused container (use --ignore-paused)");

    spec::Config config = HUSK_TRY_CTX(spec::parseConfig(rec.config), "recorded config");
    std::string processFile;
    if (!o.processFile.empty())
        processFile = HUSK_TRY_CTX(readFile(o.processFile, spec::kMaxJsonBytes), "--process");
    ExecPlanned planned = HUSK_TRY(planExec(config, o, processFile));
    process::ExecPlan &plan = planned.plan;

    UniqueFd init = HUSK_TRY(openVerifiedPidfd(rec.pid, rec.initStartTime));
    int flags = HUSK_TRY(differingNamespaces(rec.pid));
    UniqueFd console;
    if (!o.consoleSocket.empty())
        console = HUSK_TRY(connectConsoleSocket(o.consoleSocket));

    // pid and time namespaces apply to children: enter them here, for the clone below.
    int forChildren = flags & (CLONE_NEWPID | CLONE_NEWTIME);
    if (forChildren != 0 && ::setns(init.get(), forChildren) < 0)
        return failErrno("enter the container's pid namespace");
    plan.joinPidfd = init.get();
    plan.joinFlags = flags & ~(CLONE_NEWPID | CLONE_NEWTIME);

    // Blocked before the clone so nothing is lost; the process unblocks them before exec.
    sigset_t fwd = forwardedSignals();
    sigset_t blocked = fwd;
    sigaddset(&blocked, SIGWINCH);
    BlockedSignals blockedNow(blocked);

    auto [parentEnd, childEnd] = HUSK_TRY(process::SyncSocket::pair());
    int pidfdRaw = -1;
    pid_t pid = HUSK_TRY(process::cloneProcess(0, &pidfdRaw));
    if (pid == 0) {
        parentEnd.close();
        process::runExecProcess(plan, childEnd);
    }
    UniqueFd pidfd(pidfdRaw);
    childEnd.close();
    // Until it has exec'd, the process is husk's to kill if anything fails.
    struct KillOnError {
        int pidfd;
        bool armed = true;
        ~KillOnError()
        {
            if (armed)
                (void)killThroughPidfd(pidfd, Reap::Child);
        }
    } killOnError{pidfd.get()};

    HUSK_TRY(joinCgroup(rec.cgroup, o.cgroup, pid));
    log::step([&] {
        std::string m = "exec: pid " + std::to_string(pid) + " in the cgroups of " + o.id +
                        ", joining the namespaces of init " + std::to_string(rec.pid) + ":";
        for (spec::NamespaceType t : spec::kNamespaceTypes)
            if (flags & cloneFlag(t))
                m += std::string(" ") + spec::namespaceTypeName(t);
        return m;
    });
    UniqueFd master;
    process::SupervisorHandlers handlers;
    handlers.consoleFd = [&](UniqueFd fd) -> Result<void> {
        if (!console) {
            master = std::move(fd);
            clearOnlcr(master.get());
            return {};
        }
        HUSK_TRY_CTX(sendConsoleFd(console.get(), fd.get()), "--console-socket");
        return {};
    };
    handlers.seccompFd = [&](UniqueFd notifyFd) -> Result<void> {
        const spec::Seccomp &sc = *config.linux->seccomp;
        spec::State st;
        st.ociVersion = config.ociVersion;
        st.id = o.id;
        st.status = "running";
        st.pid = rec.pid;
        st.bundle = rec.bundle;
        st.annotations = rec.annotations;
        HUSK_TRY_CTX(
            sendToSeccompAgent(sc.listenerPath,
                               spec::containerProcessStateText(st, pid, sc.listenerMetadata),
                               notifyFd.get()),
            "linux.seccomp.listenerPath");
        return {};
    };
    process::Supervisor supervisor(parentEnd, std::move(handlers));
    HUSK_TRY(supervisor.go());
    HUSK_TRY(supervisor.untilExec());
    killOnError.armed = false;
    if (!o.pidFile.empty())
        HUSK_TRY(writePidFile(o.pidFile, pid));
    if (o.detach)
        return 0;
    UniqueFd sigfd(::signalfd(-1, &fwd, SFD_CLOEXEC));
    if (master)
        proxyConsole(master.get(), pidfd.get(), sigfd.get());
    return waitForProcess(pidfd.get(), sigfd.get(), o.timeoutSeconds);
}

} // namespace husk
