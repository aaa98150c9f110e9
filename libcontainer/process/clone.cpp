#include "libcontainer/process/clone.h"

#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/file.h"

namespace husk::process {

Result<pid_t> cloneProcess(uint64_t flags, int *pidfd, int cgroupFd)
{
    clone_args args{};
    args.flags = flags;
    if (cgroupFd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = static_cast<uint64_t>(cgroupFd);
    }
    if (pidfd) {
        args.flags |= CLONE_PIDFD;
        args.pidfd = reinterpret_cast<uint64_t>(pidfd);
    }
    // clone3 refuses an exit signal with CLONE_PARENT: the child inherits the caller's.
    args.exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD;
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0)
        return failErrno("clone3");
    return static_cast<pid_t>(pid);
}

std::string timeOffsetsText(const std::map<std::string, spec::TimeOffset> &offsets)
{
    std::string text;
    for (const auto &[clock, off] : offsets)
        text += clock + " " + std::to_string(off.secs) + " " + std::to_string(off.nanosecs) + "\n";
    return text;
}

namespace {

[[noreturn]] void runIntermediate(const InitPlan &plan, NamespacePlan &namespaces,
                                  const std::map<std::string, spec::TimeOffset> &offsets,
                                  SyncSocket &sock)
{
    ::prctl(PR_SET_NAME, "husk:stage1", 0, 0, 0);
    auto fail = [&](const Error &e) {
        sock.sendError(e);
        ::_exit(1);
    };
    auto join = [&](NamespaceJoin &j) {
        if (::setns(j.fd.get(), cloneFlag(j.type)) < 0)
            fail(Error(std::string("join ") + spec::namespaceTypeName(j.type) + " namespace",
                       errno));
        j.fd.reset();
    };
    // The other namespaces first, while husk still has its own privileges: once in a user
    // namespace, setns into a network or time namespace the host's user namespace owns fails
    // with EPERM. One that fails so now (husk unprivileged, the namespace the joined user
    // namespace's) is joined after it, as crun does.
    NamespaceJoin *user = nullptr;
    std::vector<NamespaceJoin *> afterUser;
    for (NamespaceJoin &j : namespaces.joins) {
        if (j.type == spec::NamespaceType::User) {
            user = &j;
        } else if (::setns(j.fd.get(), cloneFlag(j.type)) == 0) {
            j.fd.reset();
        } else if (errno == EPERM) {
            afterUser.push_back(&j);
        } else {
            join(j); // fails again, and reports it
        }
    }
    if (user)
        join(*user);
    for (NamespaceJoin *j : afterUser)
        join(*j);
    if (namespaces.timeOffsets) {
        // Offsets can be written only before the first process enters the namespace.
        if (::unshare(CLONE_NEWTIME) < 0)
            fail(Error("unshare time namespace", errno));
        if (auto r = writeExisting("/proc/self/timens_offsets", timeOffsetsText(offsets)); !r)
            fail(std::move(r.error()).context("linux.timeOffsets"));
    }
    // CLONE_PARENT: the init is husk's child (husk reaps it, and its pidfd is the clone's).
    int pidfd = -1;
    auto pid = cloneProcess(namespaces.cloneFlags | CLONE_PARENT, &pidfd);
    if (!pid)
        fail(pid.error());
    if (*pid == 0)
        runInit(plan, sock);
    if (auto r = sock.send(SyncMsg::ChildPid, *pid, {}, pidfd); !r) {
        ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
        ::_exit(1);
    }
    ::_exit(0);
}

} // namespace

Result<SpawnedInit> spawnInit(const InitPlan &plan, NamespacePlan &namespaces,
                              const std::map<std::string, spec::TimeOffset> &offsets,
                              SyncSocket &parentEnd, SyncSocket childEnd, int cgroupFd)
{
    SpawnedInit init;
    if (!namespaces.needsIntermediate()) {
        int pidfd = -1;
        auto cloned = cloneProcess(namespaces.cloneFlags, &pidfd, cgroupFd);
        if (!cloned && cgroupFd >= 0) {
            // A cgroup2 directory clone3 cannot place into (e.g. one with processes and
            // controllers enabled in a domain-threaded tree): the caller joins it the usual way.
            cloned = cloneProcess(namespaces.cloneFlags, &pidfd);
        } else if (cloned && cgroupFd >= 0) {
            init.placedInCgroup = true;
        }
        pid_t pid = HUSK_TRY(std::move(cloned));
        if (pid == 0) {
            parentEnd.close();
            runInit(plan, childEnd);
        }
        init.pid = pid;
        init.pidfd.reset(pidfd);
        return init;
    }
    pid_t mid = HUSK_TRY(cloneProcess(0, nullptr));
    if (mid == 0) {
        parentEnd.close();
        runIntermediate(plan, namespaces, offsets, childEnd);
    }
    childEnd.close();
    auto msg = parentEnd.expect(SyncMsg::ChildPid);
    int status = 0;
    while (::waitpid(mid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!msg)
        return std::unexpected(msg.error());
    if (!msg->fd)
        return fail("sync: the intermediate process sent no pidfd for the init");
    init.pid = msg->value;
    init.pidfd = std::move(msg->fd);
    return init;
}

} // namespace husk::process
