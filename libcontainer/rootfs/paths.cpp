#include "libcontainer/rootfs/paths.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace husk::rootfs {

Result<UniqueFd> openInRoot(int rootfd, const std::string &path, int flags)
{
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    std::string rel = path.empty() || path == "/" ? "." : path;
    for (;;) {
        long fd = ::syscall(SYS_openat2, rootfd, rel.c_str(), &how, sizeof how);
        if (fd >= 0)
            return UniqueFd(static_cast<int>(fd));
        // EAGAIN: a rename raced the lookup; the kernel asks us to retry.
        if (errno != EAGAIN && errno != EINTR)
            return failErrno("open " + path + " in rootfs");
    }
}

std::string dirName(const std::string &path)
{
    size_t slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0)
        return "/";
    return path.substr(0, slash);
}

std::string baseName(const std::string &path)
{
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<UniqueFd> mkdirAllInRoot(int rootfd, const std::string &path, mode_t mode)
{
    auto existing = openInRoot(rootfd, path, O_PATH | O_DIRECTORY);
    if (existing)
        return existing;
    if (existing.error().code() != ENOENT)
        return existing;
    // Walk down: open each prefix in root, create the first missing component in its parent.
    UniqueFd parent = HUSK_TRY(openInRoot(rootfd, "/", O_PATH | O_DIRECTORY));
    std::string prefix;
    size_t pos = 1;
    while (pos <= path.size()) {
        size_t next = path.find('/', pos);
        if (next == std::string::npos)
            next = path.size();
        std::string comp = path.substr(pos, next - pos);
        pos = next + 1;
        if (comp.empty())
            continue;
        prefix += "/" + comp;
        auto fd = openInRoot(rootfd, prefix, O_PATH | O_DIRECTORY);
        if (!fd) {
            if (fd.error().code() != ENOENT)
                return fd;
            if (::mkdirat(parent.get(), comp.c_str(), mode) < 0 && errno != EEXIST)
                return failErrno("mkdir " + prefix + " in rootfs");
            fd = openInRoot(rootfd, prefix, O_PATH | O_DIRECTORY);
            if (!fd)
                return fd;
        }
        parent = std::move(*fd);
    }
    return parent;
}

Result<UniqueFd> mkfileInRoot(int rootfd, const std::string &path)
{
    auto existing = openInRoot(rootfd, path, O_PATH);
    if (existing)
        return existing;
    if (existing.error().code() != ENOENT)
        return existing;
    UniqueFd dir = HUSK_TRY(mkdirAllInRoot(rootfd, dirName(path), 0755));
    // O_PATH dir fds can't create files: reopen the parent for real, still inside the root.
    UniqueFd realDir = HUSK_TRY(openInRoot(rootfd, dirName(path), O_RDONLY | O_DIRECTORY));
    int fd = ::openat(realDir.get(), baseName(path).c_str(),
                      O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST)
        return failErrno("create " + path + " in rootfs");
    if (fd >= 0)
        ::close(fd);
    return openInRoot(rootfd, path, O_PATH);
}

std::string fdPath(int fd)
{
    return "/proc/self/fd/" + std::to_string(fd);
}

} // namespace husk::rootfs
