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
#include "libcontainer/capabilities.h"
#include "libcontainer/cgroups/manager.h"
#include "libcontainer/console.h"
#include "libcontainer/container.h"
#include "libcontainer/container_internal.h"
#include "libcontainer/id.h"
#include "libcontainer/init_builder.h"
#include "libcontainer/namespaces.h"
#include "libcontainer/proc.h"
#include "libcontainer/process/spawn.h"
#include "libcontainer/seccomp_notify.h"
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
Result<spec::Process> execProcessSpec(const spec::Config &config, const ExecOptions &o)
{
    if (!o.processFile.empty()) {
        std::string text = HUSK_TRY_CTX(readFile(o.processFile), "--process");
        auto doc = HUSK_TRY_CTX(spec::parseJsonText(text), "--process " + o.processFile);
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
                c = "CAP_" + c;
            for (auto *set :
                 {&p.capabilities->bounding, &p.capabilities->effective, &p.capabilities->permitted,
                  &p.capabilities->inheritable, &p.capabilities->ambient})
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
    config.process = HUSK_TRY(execProcessSpec(config, o));
    // With --process the terminal comes from the file (containerd's shim passes no --tty).
    const bool terminal = config.process->terminal;
    if (terminal && o.detach && o.consoleSocket.empty())
        return fail("a terminal with --detach needs --console-socket");
    if (!terminal && !o.consoleSocket.empty())
        return fail("--console-socket given but the process has no terminal");
    config.hooks.reset();
    HUSK_TRY(spec::validateProcess(*config.process, "process"));
    NamespacePlan noNamespaces;
    InitInputs inputs{rec.bundle, rec.rootfs, false, o.preserveFds, 0, {}};
    process::InitPlan plan = HUSK_TRY(buildInitPlan(config, noNamespaces, inputs));
    plan.mountNs = false; // no /dev/console for an exec terminal
    plan.rootfs.mounts.clear();

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
    sigset_t old;
    ::sigprocmask(SIG_BLOCK, &blocked, &old);
    struct Restore {
        sigset_t mask;
        ~Restore() { ::sigprocmask(SIG_SETMASK, &mask, nullptr); }
    } restore{old};

    auto [parentEnd, childEnd] = HUSK_TRY(process::SyncSocket::pair());
    int pidfdRaw = -1;
    pid_t pid = HUSK_TRY(process::cloneProcess(0, &pidfdRaw));
    if (pid == 0) {
        parentEnd.close();
        process::runExecProcess(plan, childEnd);
    }
    UniqueFd pidfd(pidfdRaw);
    childEnd.close();
    struct KillOnError {
        int fd;
        bool armed = true;
        ~KillOnError()
        {
            if (armed) {
                (void)pidfdSignal(fd, SIGKILL);
                siginfo_t info{};
                ::waitid(P_PIDFD, static_cast<id_t>(fd), &info, WEXITED);
            }
        }
    } killOnError{pidfd.get()};

    HUSK_TRY(joinCgroup(rec.cgroup, o.cgroup, pid));
    HUSK_TRY(parentEnd.send(process::SyncMsg::Go));
    UniqueFd master;
    for (;;) {
        // EOF: the process has exec'd (its end is close-on-exec). A receive that failed is
        // not that, and must not be taken for it.
        std::optional<process::SyncPacket> msg = HUSK_TRY(parentEnd.recvOrEof());
        if (!msg)
            break;
        if (msg->type == process::SyncMsg::Error)
            return fail(msg->text, msg->value);
        if (msg->type == process::SyncMsg::ConsoleFd) {
            if (console)
                HUSK_TRY_CTX(sendConsoleFd(console.get(), msg->fd.get()), "--console-socket");
            else
                master = std::move(msg->fd);
            continue;
        }
        if (msg->type == process::SyncMsg::SeccompFd) {
            const spec::Seccomp &sc = *config.linux->seccomp;
            spec::State st;
            st.ociVersion = config.ociVersion;
            st.id = o.id;
            st.status = "running";
            st.pid = rec.pid;
            st.bundle = rec.bundle;
            st.annotations = rec.annotations;
            HUSK_TRY_CTX(sendToSeccompAgent(sc.listenerPath,
                                            containerProcessState(st, pid, sc.listenerMetadata),
                                            msg->fd.get()),
                         "linux.seccomp.listenerPath");
            HUSK_TRY(parentEnd.send(process::SyncMsg::SeccompFdAck));
            continue;
        }
        return fail(std::string("exec: unexpected message ") + process::syncMsgName(msg->type));
    }
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
