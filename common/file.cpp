#include "common/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <memory>

namespace husk {

Result<UniqueFd> openFd(const std::string &path, int flags, int mode)
{
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd < 0)
        return failErrno("open " + path);
    return UniqueFd(fd);
}

Result<UniqueFd> openFdAt(int dirfd, const char *path, int flags, int mode)
{
    int fd = ::openat(dirfd, path, flags | O_CLOEXEC, mode);
    if (fd < 0)
        return failErrno(std::string("open ") + path);
    return UniqueFd(fd);
}

std::vector<std::string> visibleEntries(int dirfd, const char *path)
{
    std::vector<std::string> out;
    int fd = ::openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return out;
    std::unique_ptr<DIR, int (*)(DIR *)> dir(::fdopendir(fd), ::closedir);
    if (!dir) {
        ::close(fd);
        return out;
    }
    while (dirent *e = ::readdir(dir.get()))
        if (e->d_name[0] != '.')
            out.emplace_back(e->d_name);
    return out;
}

// "64 MiB" for whole mebibytes, else the byte count.
static std::string sizeText(size_t bytes)
{
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
        return std::to_string(bytes >> 20) + " MiB";
    return std::to_string(bytes) + " bytes";
}

Result<std::string> readAll(int fd, const std::string &path, size_t maxBytes)
{
    std::string out;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return failErrno("read " + path);
        }
        if (n == 0)
            break;
        out.append(buf, static_cast<size_t>(n));
        if (out.size() > maxBytes)
            return fail(path + ": larger than " + sizeText(maxBytes) + ", the most husk reads");
    }
    return out;
}

Result<std::string> readFile(const std::string &path, size_t maxBytes)
{
    UniqueFd fd = HUSK_TRY(openFd(path, O_RDONLY));
    return readAll(fd.get(), path, maxBytes);
}

Result<std::string> readFileAt(int dirfd, const std::string &path, size_t maxBytes)
{
    int fd = ::openat(dirfd, path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return failErrno("open " + path);
    UniqueFd owned(fd);
    return readAll(fd, path, maxBytes);
}

Result<void> writeAll(int fd, std::string_view data)
{
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return failErrno("write");
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

Result<void> writeExisting(const std::string &path, std::string_view data)
{
    UniqueFd fd = HUSK_TRY(openFd(path, O_WRONLY));
    // Kernel interfaces take one write per value; a short write is an error there.
    ssize_t n = ::write(fd.get(), data.data(), data.size());
    if (n < 0)
        return failErrno("write " + path);
    if (static_cast<size_t>(n) != data.size())
        return fail("write " + path + ": short write");
    return {};
}

Result<void> writeFileAtomic(int dirfd, const std::string &name, std::string_view data, int mode)
{
    std::string tmp = "." + name + ".tmp";
    int fd = ::openat(dirfd, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return failErrno("create " + tmp);
    UniqueFd owned(fd);
    if (auto r = writeAll(fd, data); !r) {
        ::unlinkat(dirfd, tmp.c_str(), 0);
        return wrap(r.error(), "write " + tmp);
    }
    if (::fsync(fd) < 0) {
        int e = errno;
        ::unlinkat(dirfd, tmp.c_str(), 0);
        return fail("fsync " + tmp, e);
    }
    owned.reset();
    if (::renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) < 0) {
        int e = errno;
        ::unlinkat(dirfd, tmp.c_str(), 0);
        return fail("rename " + tmp + " to " + name, e);
    }
    // The rename is durable only once the directory entry is.
    ::fsync(dirfd);
    return {};
}

} // namespace husk
