#include "libcontainer/process/init.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "common/file.h"
#include "common/log.h"
#include "libcontainer/process/exec_guard.h"
#include "libcontainer/process/hooks.h"
#include "libcontainer/rootfs/paths.h"
#include "libcontainer/security/seccomp/notify.h"

namespace husk::process {

namespace {

constexpr const char *kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

Result<void> bringLoopbackUp()
{
    UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!s)
        return failErrno("socket");
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) < 0)
        return failErrno("get lo flags");
    ifr.ifr_flags |= IFF_UP;
    if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) < 0)
        return failErrno("bring lo up");
    return {};
}

Result<void> writeSysctls(const std::map<std::string, std::string> &sysctl)
{
    for (const auto &[key, value] : sysctl) {
        // Dotted keys become paths; a key already written with "/" keeps its dots (VLAN names).
        std::string path = "/proc/sys/" + key;
        if (key.find('/') == std::string::npos)
            for (size_t i = 10; i < path.size(); ++i)
                if (path[i] == '.')
                    path[i] = '/';
        HUSK_TRY_CTX(writeExisting(path, value), "linux.sysctl \"" + key + "\"");
    }
    return {};
}

// The pty lives in the container's devpts (opened after pivot_root). The master goes to the
// parent, which forwards it to --console-socket; the slave becomes stdio and controlling tty.
Result<void> setupTerminal(const ProcessPlan &plan, bool mountConsole, SyncSocket &sock)
{
    UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master)
        return failErrno("open /dev/ptmx");
    int unlock = 0;
    if (::ioctl(master.get(), TIOCSPTLCK, &unlock) < 0)
        return failErrno("unlock pty");
    // TIOCGPTPEER opens the slave from the master itself: no path to race on.
    int slaveFd = ::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slaveFd < 0)
        return failErrno("open pty slave");
    UniqueFd slave(slaveFd);
    int ptyNum = 0;
    if (::ioctl(master.get(), TIOCGPTN, &ptyNum) < 0)
        return failErrno("get pty number");
    std::string slavePath = "/dev/pts/" + std::to_string(ptyNum);
    if (plan.consoleSize) {
        winsize ws{};
        ws.ws_row = static_cast<unsigned short>(plan.consoleSize->height);
        ws.ws_col = static_cast<unsigned short>(plan.consoleSize->width);
        if (::ioctl(slave.get(), TIOCSWINSZ, &ws) < 0)
            return failErrno("set console size");
    }
    if (::fchown(slave.get(), plan.uid, static_cast<gid_t>(-1)) < 0 && errno != EINVAL)
        return failErrno("chown pty slave");
    if (mountConsole)
        HUSK_TRY(rootfs::mountConsole(slavePath));
    HUSK_TRY(sock.send(SyncMsg::ConsoleFd, 0, "/dev/ptmx", master.get()));
    master.reset();
    if (::setsid() < 0)
        return failErrno("setsid");
    if (::ioctl(slave.get(), TIOCSCTTY, 0) < 0)
        return failErrno("set controlling terminal");
    for (int i = 0; i < 3; ++i)
        if (::dup2(slave.get(), i) < 0)
            return failErrno("dup2 pty slave");
    return {};
}

Result<void> applyRlimits(const std::vector<RlimitSetting> &rlimits)
{
    for (const RlimitSetting &r : rlimits)
        if (::setrlimit(static_cast<__rlimit_resource>(r.resource), &r.value) < 0)
            return failErrno("process.rlimits: set " + r.name);
    return {};
}

Result<void> switchUser(const ProcessPlan &plan)
{
    if (plan.caps)
        HUSK_TRY_CTX(dropBoundingSet(plan.caps->bounding, plan.lastCap), "process.capabilities");
    // Keep the permitted set across setuid; capset below sets exactly the configured sets.
    if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return failErrno("keep capabilities");
    if (::setgroups(plan.additionalGids.size(), plan.additionalGids.data()) < 0) {
        // setgroups is denied in a user namespace with setgroups=deny; fine without groups.
        if (!(errno == EPERM && plan.additionalGids.empty()))
            return failErrno("process.user.additionalGids: setgroups");
    }
    if (::setresgid(plan.gid, plan.gid, plan.gid) < 0)
        return failErrno("process.user.gid: setgid " + std::to_string(plan.gid));
    if (::setresuid(plan.uid, plan.uid, plan.uid) < 0)
        return failErrno("process.user.uid: setuid " + std::to_string(plan.uid));
    if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        return failErrno("reset keep capabilities");
    if (plan.caps)
        HUSK_TRY_CTX(applyCapabilities(*plan.caps, plan.lastCap), "process.capabilities");
    return {};
}

// The HOME of the process user from the container's /etc/passwd, "/" when none.
std::string homeOf(uid_t uid)
{
    auto text = readFile("/etc/passwd");
    if (!text)
        return "/";
    size_t pos = 0;
    while (pos < text->size()) {
        size_t end = text->find('\n', pos);
        if (end == std::string::npos)
            end = text->size();
        std::string line = text->substr(pos, end - pos);
        pos = end + 1;
        // name:passwd:uid:gid:gecos:home:shell
        std::vector<std::string> f;
        size_t s = 0;
        for (;;) {
            size_t c = line.find(':', s);
            f.push_back(line.substr(s, c == std::string::npos ? std::string::npos : c - s));
            if (c == std::string::npos)
                break;
            s = c + 1;
        }
        if (f.size() >= 6 && f[2] == std::to_string(uid))
            return f[5].empty() ? "/" : f[5];
    }
    return "/";
}

// process.env as runc passes it: a name given twice appears once, where it first appears, with
// the last value; HOME, when absent or empty, is the user's from the container's /etc/passwd.
std::vector<std::string> finalEnv(const ProcessPlan &plan)
{
    std::vector<std::string> env;
    env.reserve(plan.env.size() + 1);
    for (const std::string &e : plan.env) {
        std::string_view name(e.data(), std::min(e.find('='), e.size()) + 1);
        auto same = std::find_if(env.begin(), env.end(),
                                 [&](const std::string &have) { return have.starts_with(name); });
        if (same == env.end())
            env.push_back(e);
        else
            *same = e;
    }
    auto home = std::find_if(env.begin(), env.end(),
                             [](const std::string &e) { return e.starts_with("HOME="); });
    if (home == env.end())
        env.push_back("HOME=" + homeOf(plan.uid));
    else if (*home == "HOME=")
        *home = "HOME=" + homeOf(plan.uid);
    return env;
}

// Without a terminal, stdio given by the caller belongs to the caller's user, and a process
// that is not root could not reopen /proc/self/fd/1 (as /dev/stdout). runc hands the owner uid
// of each to the process user (the group stays), skips /dev/null, and ignores EINVAL and EPERM
// (an owner unmapped in a user namespace): so does husk.
Result<void> chownStdio(uid_t uid)
{
    std::optional<dev_t> null; // looked up only for a character device to hand over
    for (int fd = 0; fd < 3; ++fd) {
        struct stat st;
        if (::fstat(fd, &st) < 0) {
            if (errno == EBADF)
                continue;
            return failErrno("stat stdio fd " + std::to_string(fd));
        }
        if (st.st_uid == uid)
            continue; // the usual case: root's stdio for a root process
        if (S_ISCHR(st.st_mode)) {
            if (!null) {
                struct stat n {};
                null = ::stat("/dev/null", &n) == 0 ? n.st_rdev : dev_t{0};
            }
            if (st.st_rdev == *null)
                continue;
        }
        if (::fchown(fd, uid, st.st_gid) < 0 && errno != EINVAL && errno != EPERM)
            return failErrno("chown stdio fd " + std::to_string(fd) + " to uid " +
                             std::to_string(uid));
    }
    return {};
}

Result<UniqueFd> openExecFifo(const InitPlan &plan)
{
    // Reopen through the O_PATH fd: no directory search permission is needed, so it works
    // after switching to an unprivileged user. Without /proc, fall back to the state dir fd.
    std::string magic = "/proc/self/fd/" + std::to_string(plan.fifoFd);
    int fd = ::open(magic.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        fd = ::openat(plan.stateDirFd, "exec.fifo", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return failErrno("open exec fifo");
    return UniqueFd(fd);
}

// Loads the seccomp filter. With SCMP_ACT_NOTIFY rules the listener fd goes to the parent right
// away (only sendmsg runs in between, and validateSeccompNotify keeps sendmsg from being
// notified), which hands it to the agent at listenerPath.
Result<void> loadFilter(const ProcessPlan &plan, SyncSocket &sock)
{
    if (!plan.seccomp->listener)
        return loadSeccomp(*plan.seccomp);
    UniqueFd notifyFd = HUSK_TRY(loadSeccompWithListener(*plan.seccomp));
    HUSK_TRY(sock.send(SyncMsg::SeccompFd, 0, {}, notifyFd.get()));
    notifyFd.reset();
    HUSK_TRY(sock.expect(SyncMsg::SeccompFdAck));
    return {};
}

// The state hooks get on stdin, as the init knows it.
std::string hookStateJson(const InitPlan &plan, const char *status, pid_t pid)
{
    spec::State s = plan.hookState;
    s.status = status;
    s.pid = pid;
    return spec::stateObject(s).dump();
}

// A cwd missing from the image is made (0755, root's), as runc and crun do: with the same
// in-root resolution as the mounts' destinations (rootfs::mkdirAllInRoot), so nothing is made
// outside the root. A cwd that cannot be a directory (a file on the way, a loop, a magic link:
// ENOTDIR, ELOOP, EXDEV) is left to enterCwd, which names what is wrong with it. The usual "/"
// costs nothing.
Result<void> makeCwd(const std::string &cwd)
{
    if (cwd == "/")
        return {};
    UniqueFd root = HUSK_TRY(openFd("/", O_PATH | O_DIRECTORY));
    auto made = rootfs::mkdirAllInRoot(root.get(), cwd, 0755);
    if (!made && made.error().code() != ENOTDIR && made.error().code() != ELOOP &&
        made.error().code() != EXDEV)
        return std::unexpected(made.error());
    return {};
}

// The cwd is resolved inside the container's root with magic links refused: the init still
// holds a few host fds (sync socket, state directory, exec fifo), and a cwd of
// /proc/self/fd/N would otherwise land in the host's state directory (CVE-2024-21626). The
// result is then checked to be reachable from the root.
Result<void> enterCwd(const std::string &cwd)
{
    open_how how{};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_NO_MAGICLINKS;
    int fd = static_cast<int>(::syscall(SYS_openat2, AT_FDCWD, cwd.c_str(), &how, sizeof how));
    if (fd < 0 && errno == ELOOP)
        return fail("process.cwd: \"" + cwd + "\" goes through a /proc magic link; refused");
    if (fd < 0)
        return failErrno("process.cwd: " + cwd);
    UniqueFd dir(fd);
    if (::fchdir(dir.get()) < 0)
        return failErrno("process.cwd: chdir " + cwd);
    char buf[PATH_MAX];
    if (::getcwd(buf, sizeof buf) == nullptr || buf[0] != '/')
        return fail("process.cwd: \"" + cwd + "\" is outside the container's root");
    return {};
}

// The process part, shared by the init and `exec`: everything from rlimits to the last
// credential change, in the order the kernel needs.
Result<void> prepareProcess(const ProcessPlan &plan, SyncSocket &sock, std::string &exePath,
                            std::vector<std::string> &env, const struct stat &runtimeId)
{
    if (plan.oomScoreAdj)
        HUSK_TRY_CTX(writeExisting("/proc/self/oom_score_adj", std::to_string(*plan.oomScoreAdj)),
                     "process.oomScoreAdj");
    HUSK_TRY(applyRlimits(plan.rlimits));
    env = finalEnv(plan);
    if (!plan.terminal)
        HUSK_TRY(chownStdio(plan.uid));
    // The cwd is resolved after pivot_root, so it can only be inside the rootfs
    // (CVE-2024-21626: a cwd inherited from the host must never survive into the container).
    HUSK_TRY(enterCwd(plan.cwd));
    if (!plan.args.empty()) {
        exePath = HUSK_TRY(lookPath(plan.args[0], env));
        HUSK_TRY(refuseRuntimeBinary(exePath, runtimeId));
    }
    // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it before the user
    // switch drops capabilities unless the final set keeps CAP_SYS_ADMIN. The filter must then
    // allow the few calls left before exec (setresuid, capset, prctl, sendmsg, open, execve).
    const bool keepsSysAdmin =
        plan.caps && (plan.caps->effective & (uint64_t{1} << CAP_SYS_ADMIN)) && plan.uid == 0;
    const bool loadEarly = plan.seccomp && !plan.noNewPrivileges && !keepsSysAdmin;
    // The last line before the filter: a profile need not allow the log's write.
    log::step([&] {
        std::string m = "process: uid " + std::to_string(plan.uid) + ", gid " +
                        std::to_string(plan.gid) + ", cwd " + plan.cwd;
        if (plan.seccomp) {
            m += ", seccomp filter of ";
            m += std::to_string(plan.seccomp->instructions.size());
            m += " instructions";
        }
        if (!exePath.empty()) {
            m += ", exec ";
            m += exePath;
        }
        return m;
    });
    // Still privileged and unfiltered here; LSM exec labels take effect at execve.
    HUSK_TRY(applyProcessAttrs(plan.attrs));
    if (loadEarly)
        HUSK_TRY(loadFilter(plan, sock));
    HUSK_TRY(switchUser(plan));
    if (plan.noNewPrivileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return failErrno("process.noNewPrivileges");
    ::umask(plan.umask.value_or(022));
    if (plan.seccomp && !loadEarly)
        HUSK_TRY(loadFilter(plan, sock));
    return {};
}

Result<void> setup(const InitPlan &plan, SyncSocket &sock, std::string &exePath,
                   std::vector<std::string> &env, pid_t &hostPid)
{
    SyncPacket go = HUSK_TRY(sock.expect(SyncMsg::Go));
    hostPid = go.value;
    if (plan.unprivilegedParent)
        ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    // Taken while /proc is still the host's: the container may have no /proc at all.
    const struct stat runtimeId = HUSK_TRY(runtimeBinaryId());
    // After the cgroup join: joining a cpuset resets the affinity.
    HUSK_TRY(applyInitialAffinity(plan.attrs));
    // A foreground `run` blocks the signals it forwards; the container must not inherit that.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (!plan.sessionKeyring.empty() &&
        ::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, plan.sessionKeyring.c_str()) < 0 &&
        errno != ENOSYS) {
        // Key quotas or a user namespace can refuse it; the container still runs (as runc).
        log::warn(std::string("join session keyring: ") + std::strerror(errno));
    }
    log::step(
        [&] { return "init: released by the parent (host pid " + std::to_string(hostPid) + ")"; });
    if (plan.inUserNs) {
        // Our ids are still the host's, unmapped in the namespace (new: its maps are written
        // now; joined: setns kept them): become its root before doing anything else.
        if (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0)
            return failErrno("become root in the user namespace (is uid/gid 0 mapped?)");
    }
    // Unshared only now that the parent has placed us in our cgroup, so the namespace's root
    // is the container's cgroup.
    if (plan.unshareCgroup && ::unshare(CLONE_NEWCGROUP) < 0)
        return failErrno("unshare cgroup namespace");
    if (plan.setHostname && ::sethostname(plan.hostname.data(), plan.hostname.size()) < 0)
        return failErrno("hostname: sethostname");
    if (plan.setDomainname && ::setdomainname(plan.domainname.data(), plan.domainname.size()) < 0)
        return failErrno("domainname: setdomainname");
    if (plan.newNet)
        HUSK_TRY_CTX(bringLoopbackUp(), "network namespace");
    ::umask(0);
    if (plan.mountNs) {
        log::step([&] {
            return "init: rootfs " + plan.rootfs.rootfs + ": " +
                   std::to_string(plan.rootfs.mounts.size()) + " mounts";
        });
        HUSK_TRY_CTX(rootfs::prepareRootfs(plan.rootfs), "rootfs");
    }
    // The spec places these hooks once the environment is set up, before pivot_root.
    if (plan.parentHooks) {
        HUSK_TRY(sock.send(SyncMsg::CreateHooks));
        HUSK_TRY(sock.expect(SyncMsg::CreateHooksDone));
    }
    if (!plan.createContainerHooks.empty()) {
        log::step([&] {
            return "init: " + std::to_string(plan.createContainerHooks.size()) +
                   " createContainer hooks";
        });
        // In the container's root directory, as runc runs them (not yet its root: that is
        // pivot_root's, next).
        if (::chdir(plan.rootfs.rootfs.c_str()) < 0)
            return failErrno("createContainer hooks: chdir " + plan.rootfs.rootfs);
        HUSK_TRY(runHooks(plan.createContainerHooks, hookStateJson(plan, "created", hostPid),
                          "createContainer"));
    }
    if (plan.mountNs) {
        log::step([&] {
            return std::string("init: ") + (plan.rootfs.noPivot ? "chroot" : "pivot_root") +
                   " into " + plan.rootfs.rootfs;
        });
        HUSK_TRY_CTX(rootfs::enterRootfs(plan.rootfs), "rootfs");
    } else {
        // Sharing the host's mount namespace: nothing may be mounted, only chroot (as runc).
        if (::chroot(plan.rootfs.rootfs.c_str()) < 0)
            return failErrno("chroot " + plan.rootfs.rootfs);
        if (::chdir("/") < 0)
            return failErrno("chdir /");
    }
    // A cwd missing from the image is made (0755, root's), as runc and crun do: inside the
    // new root already, and before a read-only root is sealed.
    HUSK_TRY_CTX(makeCwd(plan.cwd), "process.cwd");
    if (plan.terminal) {
        HUSK_TRY_CTX(setupTerminal(plan, plan.mountNs, sock), "terminal");
    } else if (::setsid() < 0) {
        // The init leads its own session either way, as runc's does.
        return failErrno("setsid");
    }
    HUSK_TRY(writeSysctls(plan.sysctl));
    if (plan.mountNs) {
        log::step([&] {
            return "init: " + std::to_string(plan.rootfs.maskedPaths.size()) + " masked and " +
                   std::to_string(plan.rootfs.readonlyPaths.size()) + " read-only paths";
        });
        HUSK_TRY_CTX(rootfs::restrictPaths(plan.rootfs), "rootfs");
        HUSK_TRY_CTX(rootfs::finalizeRootfs(plan.rootfs), "rootfs");
    }
    return prepareProcess(plan, sock, exePath, env, runtimeId);
}

} // namespace

Result<std::string> lookPath(const std::string &file, const std::vector<std::string> &env)
{
    auto executable = [](const std::string &p) -> Result<void> {
        struct stat st;
        if (::stat(p.c_str(), &st) < 0)
            return failErrno("exec: \"" + p + "\"");
        if (S_ISDIR(st.st_mode))
            return fail("exec: \"" + p + "\": is a directory", EACCES);
        if (::access(p.c_str(), X_OK) < 0)
            return failErrno("exec: \"" + p + "\"");
        return {};
    };
    if (file.find('/') != std::string::npos) {
        HUSK_TRY(executable(file));
        return file;
    }
    std::string path = kDefaultPath;
    for (const std::string &e : env)
        if (e.starts_with("PATH="))
            path = e.substr(5);
    size_t pos = 0;
    while (pos <= path.size()) {
        size_t end = path.find(':', pos);
        if (end == std::string::npos)
            end = path.size();
        std::string dir = path.substr(pos, end - pos);
        pos = end + 1;
        std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + file;
        if (executable(candidate))
            return candidate;
    }
    // runc's wording, which podman maps to exit 127; the errno text would only repeat it.
    return fail("exec: \"" + file + "\": executable file not found in $PATH");
}

namespace {

// The last steps of the init and of `exec`: only stdio and the preserved fds stay open
// across exec, the final CPU affinity, execve. Returns only on failure; execFailed tells an
// execve failure (exit 127) from one before it.
Error execProcessImage(const ProcessPlan &plan, const std::string &exePath,
                       const std::vector<std::string> &env, bool &execFailed)
{
    std::vector<char *> argv;
    for (const std::string &a : plan.args)
        argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char *> envp;
    for (const std::string &e : env)
        envp.push_back(const_cast<char *>(e.c_str()));
    envp.push_back(nullptr);
    // Nothing of husk's may reach the container: every fd above stdio and the preserved ones
    // is close-on-exec from here.
    ::syscall(SYS_close_range, 3 + plan.preserveFds, ~0U, CLOSE_RANGE_CLOEXEC);
    for (int fd = 3; fd < 3 + plan.preserveFds; ++fd) {
        int flags = ::fcntl(fd, F_GETFD);
        if (flags >= 0)
            ::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
    if (auto r = applyFinalAffinity(plan.attrs); !r)
        return r.error();
    ::execve(exePath.c_str(), argv.data(), envp.data());
    execFailed = true;
    return Error("exec " + exePath + ": " + std::strerror(errno), errno);
}

} // namespace

// Closes every fd the init does not need. husk's init is a fork, not a fresh exec: without this
// it would keep whatever husk inherited (a caller's pipes, a lock) for as long as it waits in
// "created", and a caller waiting for EOF on such a pipe would hang.
void closeInheritedFds(int preserveFds, std::vector<int> keep)
{
    keep.push_back(log::fd());
    std::sort(keep.begin(), keep.end());
    unsigned int next = 3 + static_cast<unsigned int>(preserveFds);
    for (int fd : keep) {
        if (fd < 0 || static_cast<unsigned int>(fd) < next)
            continue;
        if (static_cast<unsigned int>(fd) > next)
            ::syscall(SYS_close_range, next, static_cast<unsigned int>(fd) - 1, 0);
        next = static_cast<unsigned int>(fd) + 1;
    }
    ::syscall(SYS_close_range, next, ~0U, 0);
}

void runInit(const InitPlan &plan, SyncSocket &sock)
{
    ::prctl(PR_SET_NAME, "husk:init", 0, 0, 0);
    // Until exec the init is a copy of husk: keep other processes (a later `exec`, ptrace) from
    // reaching the host's husk binary through /proc/<pid>/exe (CVE-2019-5736 class). execve
    // makes the new program dumpable again as usual. An unprivileged parent must still open
    // our /proc/PID/uid_map (a non-dumpable process's /proc files are root's): then it waits
    // for Go, which comes once the maps are written, before any code of the container runs.
    if (!plan.unprivilegedParent)
        ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    std::vector<int> keep = {sock.fd(), plan.fifoFd, plan.stateDirFd};
    for (const rootfs::PlannedMount &m : plan.rootfs.mounts)
        keep.push_back(m.sourceTree);
    closeInheritedFds(plan.preserveFds, std::move(keep));
    std::string exePath;
    std::vector<std::string> env;
    pid_t hostPid = 0;
    if (auto r = setup(plan, sock, exePath, env, hostPid); !r) {
        sock.sendError(r.error());
        ::_exit(1);
    }
    if (auto r = sock.send(SyncMsg::Ready); !r)
        ::_exit(1);
    // The parent writes state before acknowledging; if it died instead, so do we.
    if (auto r = sock.expect(SyncMsg::ReadyAck); !r)
        ::_exit(1);
    sock.close();
    auto fifo = openExecFifo(plan); // blocks until `husk start` opens the read side
    if (!fifo)
        ::_exit(1);
    // `start` reads one byte: '0' means go; anything else is followed by the reason, which
    // start reports as its own failure (a failing startContainer hook fails start).
    if (!plan.startContainerHooks.empty()) {
        auto r = runHooks(plan.startContainerHooks, hookStateJson(plan, "created", hostPid),
                          "startContainer");
        if (!r) {
            std::string msg = "1" + r.error().what();
            ssize_t w = ::write(fifo->get(), msg.data(), msg.size());
            (void)w;
            ::_exit(1);
        }
    }
    // Landlock comes last: the ruleset would refuse the reopened exec fifo (a host path).
    if (plan.landlock) {
        if (auto r = applyLandlock(*plan.landlock); !r) {
            std::string msg = "1" + r.error().what();
            ssize_t w = ::write(fifo->get(), msg.data(), msg.size());
            (void)w;
            ::_exit(1);
        }
    }
    if (::write(fifo->get(), "0", 1) != 1)
        ::_exit(1);
    // The write end stays open (close-on-exec) until execve: `start` takes its EOF as "the
    // process runs", which poststart hooks must come after.
    (void)fifo->release();

    bool execFailed = false;
    Error e = execProcessImage(plan, exePath, env, execFailed);
    // After start nobody waits on the sync socket: say it on stderr, as runc does.
    std::string msg = "husk: " + e.what() + "\n";
    ssize_t w = ::write(STDERR_FILENO, msg.data(), msg.size());
    (void)w;
    ::_exit(execFailed ? 127 : 1);
}

void runExecProcess(const ExecPlan &plan, SyncSocket &sock)
{
    ::prctl(PR_SET_NAME, "husk:exec", 0, 0, 0);
    // As the init: a copy of husk until exec, so nobody in the container may open it.
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    closeInheritedFds(plan.preserveFds, {sock.fd(), plan.joinPidfd});
    std::string exePath;
    std::vector<std::string> env;
    auto prepared = [&]() -> Result<void> {
        HUSK_TRY(sock.expect(SyncMsg::Go)); // the parent has put us in the cgroup
        const struct stat runtimeId = HUSK_TRY(runtimeBinaryId());
        // The pid and time namespaces were entered by the parent (they apply to children);
        // setns with a pidfd joins the rest at once, user namespace first.
        if (plan.joinFlags != 0 && ::setns(plan.joinPidfd, plan.joinFlags) < 0)
            return failErrno("join the container's namespaces");
        ::close(plan.joinPidfd);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        if (plan.terminal) {
            HUSK_TRY_CTX(setupTerminal(plan, false, sock), "terminal");
        } else if (::setsid() < 0) {
            return failErrno("setsid");
        }
        HUSK_TRY(prepareProcess(plan, sock, exePath, env, runtimeId));
        if (plan.landlock)
            HUSK_TRY(applyLandlock(*plan.landlock));
        return {};
    }();
    if (!prepared) {
        sock.sendError(prepared.error());
        ::_exit(1);
    }
    // The sync socket stays open (close-on-exec): the parent takes EOF as "exec done".
    bool execFailed = false;
    Error e = execProcessImage(plan, exePath, env, execFailed);
    sock.sendError(e);
    ::_exit(execFailed ? 127 : 1);
}

} // namespace husk::process
