#include "libcontainer/rootfs/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "common/file.h"
#include "common/text.h"
#include "libcontainer/rootfs/internal.h"
#include "libcontainer/rootfs/paths.h"

namespace husk::rootfs {

namespace {

// One line of /proc/self/mountinfo, the fields husk reads.
struct MountLine {
    std::string root;       // field 4: the mount's root within its filesystem
    std::string mountPoint; // field 5
    std::string optional;   // the optional fields ("shared:1 master:2"), "" when none
    std::string fsType;     // after the " - " separator
};

std::vector<MountLine> readMountInfo(std::string_view info)
{
    std::vector<MountLine> out;
    for (const std::string &line : split(info, '\n')) {
        // id parent maj:min root mountpoint options [optional...] - fstype source superoptions
        std::vector<std::string> f = split(line, ' ');
        auto sep = std::find(f.begin(), f.end(), "-");
        if (sep == f.end() || sep - f.begin() < 6 || f.end() - sep < 2)
            continue;
        MountLine m{f[3], f[4], {}, sep[1]};
        m.optional = joined(std::vector<std::string>(f.begin() + 6, sep), " ");
        out.push_back(std::move(m));
    }
    return out;
}

// pivot_root(2) fails when the new root's parent mount is shared, and a shared parent would
// carry the rootfs bind back to the host: runc makes that one mount private then, and only
// then, so a slave parent (rootfsPropagation slave or rslave, the default) stays a slave and
// the container keeps receiving the host's mounts. The parent is the topmost mount whose mount
// point is the longest prefix of the rootfs. Mount points with spaces (octal escapes) never
// match a rootfs husk was given, which is fine: "/" then stands in.
Result<void> makeParentMountPrivate(const std::string &rootfs)
{
    std::string info = HUSK_TRY(readFile("/proc/self/mountinfo"));
    const MountLine *parent = nullptr;
    std::vector<MountLine> mounts = readMountInfo(info);
    for (const MountLine &m : mounts) {
        const std::string &mp = m.mountPoint;
        bool prefix =
            rootfs == mp || (rootfs.starts_with(mp) && (mp == "/" || rootfs[mp.size()] == '/'));
        if (prefix && (parent == nullptr || mp.size() >= parent->mountPoint.size()))
            parent = &m;
    }
    if (parent == nullptr || (" " + parent->optional).find(" shared:") == std::string::npos)
        return {};
    if (::mount(nullptr, parent->mountPoint.c_str(), nullptr, MS_PRIVATE, nullptr) < 0)
        return failErrno("make " + parent->mountPoint + " private");
    return {};
}

// Before --no-pivot's chroot: every full procfs and sysfs mount outside the rootfs is
// detached (or, where it cannot be, covered with a tmpfs). Otherwise they stay in the mount
// namespace beneath the chroot, and the kernel, which lets a nested user namespace mount proc
// or sysfs only where a fully visible one exists, would let the container mount the host's
// unmasked /proc and /sys (runc does the same).
Result<void> hideHostProcAndSys(const std::string &rootfs)
{
    std::string info = HUSK_TRY(readFile("/proc/self/mountinfo"));
    std::vector<MountLine> mounts = readMountInfo(info);
    // Newest first: a mount listed later may sit on one listed earlier, and is handled before it.
    for (auto it = mounts.rbegin(); it != mounts.rend(); ++it) {
        const MountLine &m = *it;
        if (m.root != "/" || (m.fsType != "proc" && m.fsType != "sysfs"))
            continue;
        if (m.mountPoint == rootfs || m.mountPoint.starts_with(rootfs + "/"))
            continue;
        const char *mp = m.mountPoint.c_str();
        if (::mount(nullptr, mp, nullptr, MS_SLAVE | MS_REC, nullptr) < 0) {
            if (errno == ENOENT || errno == EINVAL) // gone with a parent detached before it
                continue;
            return failErrno("--no-pivot: make " + m.mountPoint + " a slave");
        }
        if (::umount2(mp, MNT_DETACH) == 0)
            continue;
        if (errno != EINVAL && errno != EPERM)
            return failErrno("--no-pivot: detach " + m.mountPoint);
        if (::mount("tmpfs", mp, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0)
            return failErrno("--no-pivot: cover " + m.mountPoint);
    }
    return {};
}

bool devIsReadonlyTmpfs(const RootfsPlan &plan)
{
    for (const PlannedMount &m : plan.mounts)
        if (m.destination == "/dev" && !m.options.isBind() && (m.options.flags & MS_RDONLY))
            return true;
    return false;
}

} // namespace

Result<void> prepareRootfs(const RootfsPlan &plan)
{
    if (::mount(nullptr, "/", nullptr, plan.rootPropagation, nullptr) < 0)
        return failErrno("set propagation of /");
    HUSK_TRY(makeParentMountPrivate(plan.rootfs));
    if (::mount(plan.rootfs.c_str(), plan.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
        return failErrno("bind rootfs " + plan.rootfs);
    UniqueFd rootfd = HUSK_TRY(openFd(plan.rootfs, O_PATH | O_DIRECTORY));
    bool devReadonly = false;
    HUSK_TRY(applyMounts(rootfd.get(), plan, devReadonly));
    HUSK_TRY(setupDevices(rootfd.get(), plan));
    return {};
}

Result<void> enterRootfs(const RootfsPlan &plan)
{
    if (plan.noPivot) {
        HUSK_TRY(hideHostProcAndSys(plan.rootfs));
        if (::chdir(plan.rootfs.c_str()) < 0)
            return failErrno("chdir " + plan.rootfs);
        if (::mount(plan.rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) < 0)
            return failErrno("move rootfs to /");
        if (::chroot(".") < 0)
            return failErrno("chroot");
    } else {
        // pivot_root(".", ".") stacks the old root under the new one; detaching it right away
        // means no directory of the host stays reachable (runc's trick, no temp dir needed).
        UniqueFd oldRoot = HUSK_TRY(openFd("/", O_RDONLY | O_DIRECTORY));
        UniqueFd newRoot = HUSK_TRY(openFd(plan.rootfs, O_RDONLY | O_DIRECTORY));
        if (::fchdir(newRoot.get()) < 0)
            return failErrno("chdir rootfs");
        if (::syscall(SYS_pivot_root, ".", ".") < 0)
            return failErrno("pivot_root");
        if (::fchdir(oldRoot.get()) < 0)
            return failErrno("chdir old root");
        // The old root must not propagate the unmount back to the host.
        if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0)
            return failErrno("make old root slave");
        if (::umount2(".", MNT_DETACH) < 0)
            return failErrno("unmount old root");
    }
    if (::chdir("/") < 0)
        return failErrno("chdir /");
    if (plan.propagationGiven && ::mount(nullptr, "/", nullptr, plan.rootPropagation, nullptr) < 0)
        return failErrno("linux.rootfsPropagation: set propagation of /");
    return {};
}

Result<void> restrictPaths(const RootfsPlan &plan)
{
    UniqueFd root = HUSK_TRY(openFd("/", O_PATH | O_DIRECTORY));
    for (const std::string &p : plan.readonlyPaths) {
        auto fd = openInRoot(root.get(), p, O_PATH);
        if (!fd) {
            if (fd.error().code() == ENOENT)
                continue;
            return wrap(fd.error(), "linux.readonlyPaths");
        }
        if (::mount(fdPath(fd->get()).c_str(), fdPath(fd->get()).c_str(), nullptr, MS_BIND | MS_REC,
                    nullptr) < 0)
            return failErrno("linux.readonlyPaths: bind " + p);
        UniqueFd top = HUSK_TRY(openInRoot(root.get(), p, O_PATH));
        HUSK_TRY_CTX(remountBind(fdPath(top.get()), MS_RDONLY), "linux.readonlyPaths: " + p);
    }
    if (plan.maskedPaths.empty())
        return {};
    // The /dev/null masked files are bound from must really be /dev/null (CVE-2025-31133: a
    // symlink swapped in for it would bind something writable over the masked path).
    UniqueFd null = HUSK_TRY(openInRoot(root.get(), "/dev/null", O_PATH | O_NOFOLLOW));
    struct stat nst;
    if (::fstat(null.get(), &nst) < 0 || !S_ISCHR(nst.st_mode) || nst.st_rdev != makedev(1, 3))
        return fail("linux.maskedPaths: /dev/null in the container is not the null device");
    std::set<std::string> masked; // a path listed twice is masked once
    for (const std::string &p : plan.maskedPaths) {
        if (!masked.insert(std::filesystem::path(p).lexically_normal().string()).second)
            continue;
        auto fd = openInRoot(root.get(), p, O_PATH);
        if (!fd) {
            if (fd.error().code() == ENOENT)
                continue;
            return wrap(fd.error(), "linux.maskedPaths");
        }
        struct stat st;
        if (::fstat(fd->get(), &st) < 0)
            return failErrno("linux.maskedPaths: stat " + p);
        int r = S_ISDIR(st.st_mode)
                    ? ::mount("tmpfs", fdPath(fd->get()).c_str(), "tmpfs", MS_RDONLY, nullptr)
                    : ::mount(fdPath(null.get()).c_str(), fdPath(fd->get()).c_str(), nullptr,
                              MS_BIND, nullptr);
        if (r < 0)
            return failErrno("linux.maskedPaths: mask " + p);
    }
    return {};
}

Result<void> finalizeRootfs(const RootfsPlan &plan)
{
    if (devIsReadonlyTmpfs(plan))
        HUSK_TRY_CTX(remountBind("/dev", MS_RDONLY), "remount /dev read-only");
    if (plan.readonly)
        HUSK_TRY_CTX(remountBind("/", MS_RDONLY), "root.readonly: remount / read-only");
    return {};
}

Result<void> mountConsole(const std::string &slavePath)
{
    UniqueFd root = HUSK_TRY(openFd("/", O_PATH | O_DIRECTORY));
    UniqueFd target = HUSK_TRY(mkfileInRoot(root.get(), "/dev/console"));
    if (::mount(slavePath.c_str(), fdPath(target.get()).c_str(), nullptr, MS_BIND, nullptr) < 0)
        return failErrno("bind " + slavePath + " to /dev/console");
    return {};
}

} // namespace husk::rootfs
