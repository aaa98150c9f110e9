#include "libcontainer/namespaces/userns.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/file.h"

namespace husk {

std::string idMapText(const std::vector<spec::IdMapping> &maps)
{
    std::string t;
    for (const spec::IdMapping &m : maps)
        t += std::to_string(m.containerId) + " " + std::to_string(m.hostId) + " " +
             std::to_string(m.size) + "\n";
    return t;
}

Result<void> writeIdMaps(pid_t pid, const std::vector<spec::IdMapping> &uids,
                         const std::vector<spec::IdMapping> &gids)
{
    std::string base = "/proc/" + std::to_string(pid);
    HUSK_TRY_CTX(writeExisting(base + "/uid_map", idMapText(uids)), "uid_map");
    // Without CAP_SETGID over the parent namespace the kernel only takes a gid_map once
    // setgroups(2) is denied in the child namespace (user_namespaces(7)).
    if (::geteuid() != 0)
        HUSK_TRY_CTX(writeExisting(base + "/setgroups", "deny"), "setgroups");
    HUSK_TRY_CTX(writeExisting(base + "/gid_map", idMapText(gids)), "gid_map");
    return {};
}

Result<UniqueFd> makeUserNamespace(const std::vector<spec::IdMapping> &uids,
                                   const std::vector<spec::IdMapping> &gids)
{
    int pipeFds[2];
    if (::pipe2(pipeFds, O_CLOEXEC) < 0)
        return failErrno("pipe");
    UniqueFd readEnd(pipeFds[0]), writeEnd(pipeFds[1]);
    // A fork-like clone straight into a new user namespace: the child only waits for EOF.
    long pid = ::syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, 0);
    if (pid < 0)
        return failErrno("clone a user namespace");
    if (pid == 0) {
        writeEnd.reset();
        char c;
        while (::read(readEnd.get(), &c, 1) < 0 && errno == EINTR) {
        }
        ::_exit(0);
    }
    readEnd.reset();
    auto reap = [&] {
        writeEnd.reset();
        while (::waitpid(static_cast<pid_t>(pid), nullptr, 0) < 0 && errno == EINTR) {
        }
    };
    if (auto r = writeIdMaps(static_cast<pid_t>(pid), uids, gids); !r) {
        reap();
        return std::unexpected(r.error());
    }
    std::string nsPath = "/proc/" + std::to_string(pid) + "/ns/user";
    int fd = ::open(nsPath.c_str(), O_RDONLY | O_CLOEXEC);
    int openErrno = errno;
    reap();
    if (fd < 0) {
        errno = openErrno;
        return failErrno("open " + nsPath);
    }
    return UniqueFd(fd);
}

} // namespace husk
