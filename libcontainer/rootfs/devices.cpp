#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>

#include "libcontainer/rootfs/internal.h"
#include "libcontainer/rootfs/paths.h"

namespace husk::rootfs {

namespace {

struct DefaultNode {
    const char *name;
    unsigned major;
    unsigned minor;
};

// The nodes every container gets (runtime-spec "Default Devices").
constexpr DefaultNode kDefaultNodes[] = {
    {"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

struct DefaultLink {
    const char *name;
    const char *target;
};

constexpr DefaultLink kDefaultLinks[] = {
    {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"},
};

mode_t typeBits(const std::string &type)
{
    if (type == "b")
        return S_IFBLK;
    if (type == "p")
        return S_IFIFO;
    return S_IFCHR; // "c" and "u"
}

// One device node at path in the rootfs: mknod, or (in a user namespace, where mknod is not
// allowed) a bind mount of the host's node onto an empty file, nosuid and noexec as crun
// makes it: the bind is of a host file, and only its device matters.
Result<void> makeNode(int rootfd, const std::string &path, mode_t mode, dev_t dev, uid_t uid,
                      gid_t gid, bool bindFromHost)
{
    UniqueFd dir = HUSK_TRY(mkdirAllInRoot(rootfd, dirName(path), 0755));
    std::string name = baseName(path);
    // Whatever the image has there (a file, a stale node) is replaced, as runc does.
    struct stat st;
    if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISDIR(st.st_mode))
            return fail("create device " + path + ": a directory is in the way");
        if (::unlinkat(dir.get(), name.c_str(), 0) < 0)
            return failErrno("remove " + path);
    }
    if (bindFromHost) {
        UniqueFd f = HUSK_TRY(mkfileInRoot(rootfd, path));
        if (::mount(path.c_str(), fdPath(f.get()).c_str(), nullptr, MS_BIND, nullptr) < 0)
            return failErrno("bind device " + path + " from host");
        UniqueFd bound = HUSK_TRY(openInRoot(rootfd, path, O_PATH));
        HUSK_TRY_CTX(remountBind(fdPath(bound.get()), MS_NOSUID | MS_NOEXEC),
                     "bind device " + path);
        return {};
    }
    if (::mknodat(dir.get(), name.c_str(), mode, dev) < 0)
        return failErrno("mknod " + path);
    if (::fchownat(dir.get(), name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
        return failErrno("chown " + path);
    // mknod is subject to the umask; the spec's fileMode is exact.
    {
        UniqueFd node = HUSK_TRY(openInRoot(rootfd, path, O_PATH | O_NOFOLLOW));
        if (::fchmodat(AT_FDCWD, fdPath(node.get()).c_str(), mode & 07777, 0) < 0)
            return failErrno("chmod " + path);
    }
    return {};
}

} // namespace

Result<void> setupDevices(int rootfd, const RootfsPlan &plan)
{
    if (plan.setupDev) {
        for (const DefaultNode &n : kDefaultNodes) {
            std::string path = std::string("/dev/") + n.name;
            // linux.devices may list a default node itself: its entry is the one made.
            if (std::any_of(plan.devices.begin(), plan.devices.end(),
                            [&path](const spec::Device &d) { return cleanPath(d.path) == path; }))
                continue;
            HUSK_TRY(makeNode(rootfd, path, S_IFCHR | 0666, makedev(n.major, n.minor), 0, 0,
                              plan.userNs));
        }
        UniqueFd dev = HUSK_TRY(mkdirAllInRoot(rootfd, "/dev", 0755));
        for (const DefaultLink &l : kDefaultLinks) {
            if (::symlinkat(l.target, dev.get(), l.name) < 0 && errno != EEXIST)
                return failErrno(std::string("symlink /dev/") + l.name);
        }
        // /dev/core only where the host has /proc/kcore, as runc does.
        if (::faccessat(AT_FDCWD, "/proc/kcore", F_OK, 0) == 0 &&
            ::symlinkat("/proc/kcore", dev.get(), "core") < 0 && errno != EEXIST)
            return failErrno("symlink /dev/core");
    }
    for (size_t i = 0; i < plan.devices.size(); ++i) {
        const spec::Device &d = plan.devices[i];
        std::string field = "linux.devices[" + std::to_string(i) + "]";
        if (d.type != "c" && d.type != "b" && d.type != "u" && d.type != "p")
            return fail(field + ".type: unknown device type \"" + d.type + "\"");
        // Any path in the container will do (the spec asks no more); cleanPath keeps it there.
        std::string path = cleanPath(d.path);
        if (path == "/")
            return fail(field + ".path: \"" + d.path + "\" is not a file path");
        mode_t mode = typeBits(d.type) | (d.fileMode ? (*d.fileMode & 07777) : 0666);
        dev_t dev = d.type == "p"
                        ? 0
                        : makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
        // In a user namespace the host's node is bound in: the one at the same path, as runc
        // and crun take it (a device listed outside /dev must exist there on the host too).
        HUSK_TRY_CTX(
            makeNode(rootfd, path, mode, dev, d.uid.value_or(0), d.gid.value_or(0), plan.userNs),
            field);
    }
    return {};
}

} // namespace husk::rootfs
