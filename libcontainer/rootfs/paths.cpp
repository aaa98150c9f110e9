#include "libcontainer/rootfs/paths.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string_view>
#include <vector>

#include "common/text.h"

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

namespace {

constexpr int kMaxSymlinks = 40; // the kernel's MAXSYMLINKS: more is ELOOP

// Pushes the components of path onto todo so that the first component is popped first.
void pushComponents(std::vector<std::string> &todo, std::string_view path)
{
    std::vector<std::string> parts;
    size_t pos = 0;
    while (pos <= path.size()) {
        size_t next = path.find('/', pos);
        if (next == std::string_view::npos)
            next = path.size();
        if (next > pos)
            parts.emplace_back(path.substr(pos, next - pos));
        pos = next + 1;
    }
    todo.insert(todo.end(), parts.rbegin(), parts.rend());
}

} // namespace

Result<std::string> resolveInRoot(int rootfd, const std::string &path)
{
    std::vector<std::string> todo; // a stack: back() is the next component
    pushComponents(todo, path);
    std::vector<std::string> done;
    auto absolute = [&done] {
        std::string out(1, '/');
        out += joined(done, "/");
        return out;
    };
    int links = 0;
    bool missing = false; // a component did not exist: the rest is taken as written
    while (!todo.empty()) {
        std::string comp = std::move(todo.back());
        todo.pop_back();
        if (comp == ".")
            continue;
        if (comp == "..") { // ".." of the root is the root, as RESOLVE_IN_ROOT has it
            if (!done.empty())
                done.pop_back();
            continue;
        }
        if (missing) {
            done.push_back(std::move(comp));
            continue;
        }
        std::string parentPath = absolute();
        auto parent = openInRoot(rootfd, parentPath, O_PATH | O_DIRECTORY);
        if (!parent)
            return std::unexpected(parent.error());
        struct stat st;
        if (::fstatat(parent->get(), comp.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno != ENOENT)
                return failErrno("resolve " + path + " in rootfs");
            // The rest does not exist: it is taken as written (".." still stays inside).
            missing = true;
            done.push_back(std::move(comp));
            continue;
        }
        if (!S_ISLNK(st.st_mode)) {
            done.push_back(std::move(comp));
            continue;
        }
        if (++links > kMaxSymlinks)
            return fail("resolve " + path + " in rootfs: too many levels of symbolic links", ELOOP);
        char target[4096];
        ssize_t n = ::readlinkat(parent->get(), comp.c_str(), target, sizeof target);
        if (n < 0 || n == static_cast<ssize_t>(sizeof target))
            return failErrno("readlink " + comp + " in " + parentPath + " in rootfs");
        std::string_view t(target, static_cast<size_t>(n));
        if (t.starts_with('/'))
            done.clear(); // absolute: from the container's root, never the host's
        pushComponents(todo, t);
    }
    return absolute();
}

namespace {

// mkdir -p of path inside the root. A component that exists but does not open is a symlink
// whose target is missing: dangling is set and the error returned, for the caller to resolve.
Result<UniqueFd> makeDirsAlong(int rootfd, const std::string &path, mode_t mode, bool &dangling)
{
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
            bool existed = false;
            if (::mkdirat(parent.get(), comp.c_str(), mode) < 0) {
                if (errno != EEXIST)
                    return failErrno("mkdir " + prefix + " in rootfs");
                existed = true;
            }
            fd = openInRoot(rootfd, prefix, O_PATH | O_DIRECTORY);
            if (!fd) {
                dangling = existed && fd.error().code() == ENOENT;
                return fd;
            }
        }
        parent = std::move(*fd);
    }
    return parent;
}

} // namespace

Result<UniqueFd> mkdirAllInRoot(int rootfd, const std::string &path, mode_t mode)
{
    auto existing = openInRoot(rootfd, path, O_PATH | O_DIRECTORY);
    if (existing)
        return existing;
    if (existing.error().code() != ENOENT)
        return existing;
    bool dangling = false;
    auto made = makeDirsAlong(rootfd, path, mode, dangling);
    if (made || !dangling)
        return made;
    // A dangling symlink on the way (a destination "/run/x" where /run -> /var/run is missing)
    // is followed inside the root and its target made, as runc and crun do. Only then: the
    // usual path needs no resolution of its own.
    const std::string resolved = HUSK_TRY(resolveInRoot(rootfd, path));
    return makeDirsAlong(rootfd, resolved, mode, dangling);
}

namespace {

// mkfileInRoot; followLink: a dangling symlink as the name is resolved once, then not again.
Result<UniqueFd> makeFile(int rootfd, const std::string &path, bool followLink)
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
    if (fd < 0 && errno == ELOOP && followLink) {
        // The name is a symlink whose target is missing: make the target, inside the root.
        const std::string resolved = HUSK_TRY(resolveInRoot(rootfd, path));
        return makeFile(rootfd, resolved, false);
    }
    if (fd < 0 && errno != EEXIST)
        return failErrno("create " + path + " in rootfs");
    if (fd >= 0)
        ::close(fd);
    return openInRoot(rootfd, path, O_PATH);
}

} // namespace

Result<UniqueFd> mkfileInRoot(int rootfd, const std::string &path)
{
    return makeFile(rootfd, path, true);
}

std::string fdPath(int fd)
{
    return "/proc/self/fd/" + std::to_string(fd);
}

} // namespace husk::rootfs
