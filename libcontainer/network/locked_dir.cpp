#include "libcontainer/network/locked_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

namespace husk::network {

namespace {

Result<void> makeDirs(const std::string &path, mode_t mode)
{
    for (size_t pos = 1; pos <= path.size(); ++pos) {
        if (pos != path.size() && path[pos] != '/')
            continue;
        std::string part = path.substr(0, pos);
        if (::mkdir(part.c_str(), mode) < 0 && errno != EEXIST)
            return failErrno("create " + part);
    }
    return {};
}

} // namespace

Result<UniqueFd> openLockedDir(const std::string &path, int operation, bool create, mode_t mode)
{
    if (path.empty() || path[0] != '/')
        return fail("\"" + path + "\" is not an absolute path");
    for (;;) {
        int raw = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (raw < 0 && errno == ENOENT && create) {
            HUSK_TRY(makeDirs(path, mode));
            raw = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
        if (raw < 0)
            return failErrno("open " + path);
        UniqueFd fd(raw);
        while (::flock(fd.get(), operation) < 0)
            if (errno != EINTR)
                return failErrno("lock " + path);
        // Whoever removes the directory does so holding the exclusive lock; a waiter that then
        // gets the lock finds the directory unlinked (no links left) and must not write into it.
        struct stat st;
        if (::fstat(fd.get(), &st) < 0)
            return failErrno("stat " + path);
        if (st.st_nlink > 0)
            return fd;
    }
}

} // namespace husk::network
