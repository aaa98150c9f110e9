#include <dirent.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "common/file.h"
#include "common/log.h"
#include "libcontainer/rootfs/internal.h"
#include "libcontainer/rootfs/paths.h"
#include "libcontainer/rootfs/rootfs.h"

namespace husk::rootfs {

namespace {

// Flags a bind remount must repeat: the kernel refuses (EPERM) to clear flags that are
// locked on the source mount, e.g. nosuid/nodev/noexec of a mount made in another userns.
unsigned long lockedFlags(const std::string &path)
{
    struct statvfs sv;
    if (::statvfs(path.c_str(), &sv) < 0)
        return 0;
    unsigned long f = 0;
    if (sv.f_flag & ST_NOSUID)
        f |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV)
        f |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC)
        f |= MS_NOEXEC;
    if (sv.f_flag & ST_RDONLY)
        f |= MS_RDONLY;
    if (sv.f_flag & ST_NOATIME)
        f |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME)
        f |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME)
        f |= MS_RELATIME;
    return f;
}

} // namespace

/// A MS_BIND|MS_REMOUNT with flags, retrying with the mount's locked flags on EPERM.
Result<void> remountBind(const std::string &target, unsigned long flags)
{
    constexpr unsigned long kKeep = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
                                    MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_NOSYMFOLLOW;
    unsigned long f = MS_BIND | MS_REMOUNT | (flags & kKeep);
    if (::mount(nullptr, target.c_str(), nullptr, f, nullptr) == 0)
        return {};
    if (errno != EPERM)
        return failErrno("remount");
    unsigned long locked = lockedFlags(target) & ~MS_RDONLY;
    if (::mount(nullptr, target.c_str(), nullptr, f | locked, nullptr) < 0)
        return failErrno("remount");
    return {};
}

namespace {

Result<void> setPropagation(int rootfd, const PlannedMount &m)
{
    for (unsigned long p : m.options.propagation) {
        UniqueFd t = HUSK_TRY(openInRoot(rootfd, m.destination, O_PATH));
        if (::mount(nullptr, fdPath(t.get()).c_str(), nullptr, p, nullptr) < 0)
            return failErrno("set propagation");
    }
    return {};
}

Result<void> setRecursiveAttrs(int rootfd, const PlannedMount &m)
{
    if (!m.options.attrSet && !m.options.attrClear && !m.options.atimeGiven)
        return {};
    UniqueFd t = HUSK_TRY(openInRoot(rootfd, m.destination, O_PATH));
    mount_attr attr{};
    attr.attr_set = m.options.attrSet;
    attr.attr_clr = m.options.attrClear;
    // The MOUNT_ATTR_*ATIME values are one field, and relatime is its 0: the kernel takes a
    // change only with the whole field in attr_clr (partial: EINVAL), and then sets what
    // attr_set has there (ratime, rnorelatime, rnostrictatime: nothing, i.e. relatime).
    if (m.options.atimeGiven)
        attr.attr_clr |= MOUNT_ATTR__ATIME;
    if (::syscall(SYS_mount_setattr, t.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
                  sizeof attr) < 0)
        return failErrno("mount_setattr");
    return {};
}

// Copies the image's content of a directory into the tmpfs just mounted over it (tmpcopyup).
Result<void> copyTree(int srcDir, int dstDir)
{
    int dupFd = ::dup(srcDir);
    if (dupFd < 0)
        return failErrno("dup");
    std::unique_ptr<DIR, int (*)(DIR *)> dir(::fdopendir(dupFd), ::closedir);
    if (!dir) {
        ::close(dupFd);
        return failErrno("read directory");
    }
    ::rewinddir(dir.get());
    while (dirent *e = ::readdir(dir.get())) {
        std::string name = e->d_name;
        if (name == "." || name == "..")
            continue;
        struct stat st;
        if (::fstatat(srcDir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
            return failErrno("stat " + name);
        if (S_ISDIR(st.st_mode)) {
            if (::mkdirat(dstDir, name.c_str(), st.st_mode & 07777) < 0 && errno != EEXIST)
                return failErrno("mkdir " + name);
            int s = ::openat(srcDir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int d = ::openat(dstDir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            UniqueFd srcOwned(s), dstOwned(d);
            if (s < 0 || d < 0)
                return failErrno("open " + name);
            HUSK_TRY_CTX(copyTree(s, d), name);
        } else if (S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t n = ::readlinkat(srcDir, name.c_str(), target, sizeof target - 1);
            if (n < 0)
                return failErrno("readlink " + name);
            target[n] = '\0';
            if (::symlinkat(target, dstDir, name.c_str()) < 0 && errno != EEXIST)
                return failErrno("symlink " + name);
        } else if (S_ISREG(st.st_mode)) {
            UniqueFd in(::openat(srcDir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
            if (!in)
                return failErrno("open " + name);
            UniqueFd out(::openat(dstDir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                                  st.st_mode & 07777));
            if (!out)
                return failErrno("create " + name);
            off_t left = st.st_size;
            while (left > 0) {
                ssize_t n = ::copy_file_range(in.get(), nullptr, out.get(), nullptr,
                                              static_cast<size_t>(left), 0);
                if (n <= 0)
                    return failErrno("copy " + name);
                left -= n;
            }
        } else {
            if (::mknodat(dstDir, name.c_str(), st.st_mode, st.st_rdev) < 0)
                return failErrno("mknod " + name);
        }
        // The owner is kept where it can be: in a user namespace the source's owner may be
        // unmapped (EINVAL) or not ours to give (EPERM), and the copy is still what the mount
        // needs. Any other error is real.
        if (::fchownat(dstDir, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 &&
            errno != EINVAL && errno != EPERM)
            return failErrno("chown " + name);
    }
    return {};
}

Result<void> mountCgroup(int rootfd, const RootfsPlan &plan, const PlannedMount &m)
{
    UniqueFd target = HUSK_TRY(mkdirAllInRoot(rootfd, m.destination, 0755));
    unsigned long flags = m.options.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    auto unified = plan.cgroupDirs.find("unified");
    bool v2Only = plan.cgroupDirs.size() == 1 && unified != plan.cgroupDirs.end();
    if (v2Only) {
        if (plan.cgroupNs) {
            // In a cgroup namespace a fresh cgroup2 mount shows the container's cgroup as root.
            if (::mount("cgroup2", fdPath(target.get()).c_str(), "cgroup2", flags, nullptr) < 0)
                return failErrno("mount cgroup2");
            return {};
        }
        if (::mount(unified->second.c_str(), fdPath(target.get()).c_str(), nullptr,
                    MS_BIND | MS_REC, nullptr) < 0)
            return failErrno("bind cgroup2");
        return remountBind(fdPath(target.get()), flags);
    }
    // v1 and hybrid: a tmpfs holding one bind of the container's directory per hierarchy,
    // named as on the host (memory, cpu, ..., systemd, unified).
    if (::mount("tmpfs", fdPath(target.get()).c_str(), "tmpfs",
                (flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
        return failErrno("mount tmpfs for cgroup hierarchies");
    for (const auto &[key, dir] : plan.cgroupDirs) {
        std::string name = key;
        if (name.starts_with("name="))
            name = name.substr(5);
        std::string sub = m.destination + "/" + name;
        UniqueFd t = HUSK_TRY(mkdirAllInRoot(rootfd, sub, 0755));
        if (::mount(dir.c_str(), fdPath(t.get()).c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
            return failErrno("bind cgroup " + key);
        UniqueFd t2 = HUSK_TRY(openInRoot(rootfd, sub, O_PATH));
        HUSK_TRY_CTX(remountBind(fdPath(t2.get()), flags | MS_NOSUID | MS_NODEV | MS_NOEXEC),
                     "cgroup " + key);
    }
    if (flags & MS_RDONLY) {
        UniqueFd t = HUSK_TRY(openInRoot(rootfd, m.destination, O_PATH));
        HUSK_TRY(remountBind(fdPath(t.get()), flags | MS_NOSUID | MS_NODEV | MS_NOEXEC));
    }
    return {};
}

// Attaches the detached tree the parent prepared (prepareBindSources).
Result<void> attachTree(int rootfd, const PlannedMount &m)
{
    struct stat st;
    if (::fstat(m.sourceTree, &st) < 0)
        return failErrno("stat " + m.source);
    UniqueFd target = S_ISDIR(st.st_mode) ? HUSK_TRY(mkdirAllInRoot(rootfd, m.destination, 0755))
                                          : HUSK_TRY(mkfileInRoot(rootfd, m.destination));
    if (::syscall(SYS_move_mount, m.sourceTree, "", target.get(), "",
                  MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return failErrno("move_mount " + m.source);
    if (m.options.needsBindRemount()) {
        UniqueFd t = HUSK_TRY(openInRoot(rootfd, m.destination, O_PATH));
        HUSK_TRY(remountBind(fdPath(t.get()), m.options.flags));
    }
    return {};
}

Result<void> mountBind(int rootfd, const PlannedMount &m)
{
    if (m.sourceTree >= 0)
        return attachTree(rootfd, m);
    UniqueFd src = HUSK_TRY_CTX(openHostPath(m.source), "source " + m.source);
    struct stat st;
    if (::fstat(src.get(), &st) < 0)
        return failErrno("stat " + m.source);
    UniqueFd target = S_ISDIR(st.st_mode) ? HUSK_TRY(mkdirAllInRoot(rootfd, m.destination, 0755))
                                          : HUSK_TRY(mkfileInRoot(rootfd, m.destination));
    unsigned long bindFlags = MS_BIND | (m.options.flags & MS_REC);
    if (::mount(fdPath(src.get()).c_str(), fdPath(target.get()).c_str(), nullptr, bindFlags,
                nullptr) < 0)
        return failErrno("bind " + m.source);
    if (m.options.needsBindRemount()) {
        UniqueFd t = HUSK_TRY(openInRoot(rootfd, m.destination, O_PATH));
        HUSK_TRY(remountBind(fdPath(t.get()), m.options.flags));
    }
    return {};
}

// proc and sysfs go only on a real directory: mounted through a symlink the image (or a
// volume shared with another container) controls, they could land anywhere in the rootfs,
// e.g. over a path the container is meant to see masked (CVE-2019-19921). runc's rule.
Result<void> requireOrdinaryDirectory(int rootfd, const PlannedMount &m)
{
    if (m.destination == "/")
        return fail("filesystem \"" + m.type + "\" cannot be mounted on /", EINVAL);
    UniqueFd dir = HUSK_TRY(openInRoot(rootfd, dirName(m.destination), O_PATH | O_DIRECTORY));
    struct stat st;
    if (::fstatat(dir.get(), baseName(m.destination).c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? Result<void>() : failErrno("stat " + m.destination);
    if (!S_ISDIR(st.st_mode))
        return fail("filesystem \"" + m.type + "\" must be mounted on an ordinary directory: " +
                        m.destination + " in the rootfs is " +
                        (S_ISLNK(st.st_mode) ? "a symlink" : "not a directory"),
                    ENOTDIR);
    return {};
}

Result<void> mountOther(int rootfd, const PlannedMount &m, bool &devReadonly)
{
    if (m.type == "proc" || m.type == "sysfs")
        HUSK_TRY(requireOrdinaryDirectory(rootfd, m));
    // A tmpfs over an existing directory keeps that directory's mode unless mode= is given
    // (runc chmods it back; the kernel's default would be 1777).
    std::string data = m.options.data;
    if (m.type == "tmpfs" && (',' + data).find(",mode=") == std::string::npos)
        if (auto existing = openInRoot(rootfd, m.destination, O_PATH)) {
            struct stat st;
            if (::fstat(existing->get(), &st) == 0 && S_ISDIR(st.st_mode)) {
                char mode[24];
                std::snprintf(mode, sizeof mode, "mode=%o", st.st_mode & 07777);
                if (!data.empty())
                    data += ',';
                data += mode;
            }
        }
    UniqueFd target = HUSK_TRY(mkdirAllInRoot(rootfd, m.destination, 0755));
    unsigned long flags = m.options.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    // /dev is populated after mounting: a read-only /dev is made so at the end.
    if (m.destination == "/dev" && (flags & MS_RDONLY)) {
        flags &= ~MS_RDONLY;
        devReadonly = true;
    }
    bool copyUp = m.options.tmpcopyup;
    unsigned long mountFlags = copyUp ? flags & ~MS_RDONLY : flags;
    UniqueFd lower;
    if (copyUp) {
        lower = HUSK_TRY(openInRoot(rootfd, m.destination, O_RDONLY | O_DIRECTORY));
    }
    if (::mount(m.source.empty() ? m.type.c_str() : m.source.c_str(), fdPath(target.get()).c_str(),
                m.type.c_str(), mountFlags, data.empty() ? nullptr : data.c_str()) < 0) {
        // A new sysfs needs the network namespace to belong to the container's user namespace;
        // one the host's owns (joined by path) makes that EPERM. runc binds the host's /sys
        // instead (with the mount's flags), and so does husk.
        if (errno != EPERM || m.type != "sysfs")
            return failErrno("mount " + m.type);
        if (::mount("/sys", fdPath(target.get()).c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
            return failErrno("mount sysfs (then bind /sys)");
        UniqueFd bound = HUSK_TRY(openInRoot(rootfd, m.destination, O_PATH));
        HUSK_TRY_CTX(remountBind(fdPath(bound.get()), flags), "bind /sys for sysfs");
    }
    if (copyUp) {
        UniqueFd upper = HUSK_TRY(openInRoot(rootfd, m.destination, O_RDONLY | O_DIRECTORY));
        HUSK_TRY_CTX(copyTree(lower.get(), upper.get()), "tmpcopyup");
        if (flags & MS_RDONLY) {
            UniqueFd t = HUSK_TRY(openInRoot(rootfd, m.destination, O_PATH));
            HUSK_TRY(remountBind(fdPath(t.get()), flags));
        }
    }
    return {};
}

} // namespace

Result<UniqueFd> openHostPath(const std::string &hostPath)
{
    return openFd(hostPath, O_PATH);
}

Result<void> applyMounts(int rootfd, const RootfsPlan &plan, bool &devReadonly)
{
    for (const PlannedMount &m : plan.mounts) {
        std::string what = "mount \"" + m.destination + "\"";
        log::step([&] {
            return what + ": " + m.type + (m.source.empty() ? "" : " from " + m.source) +
                   (m.sourceTree >= 0 ? " (opened by the parent)" : "");
        });
        if (m.options.idmap && m.sourceTree < 0)
            return fail(what + ": idmapped mount was not prepared");
        if (m.type == "cgroup" || m.type == "cgroup2") {
            HUSK_TRY_CTX(mountCgroup(rootfd, plan, m), what);
        } else if (m.options.isBind()) {
            HUSK_TRY_CTX(mountBind(rootfd, m), what);
        } else {
            HUSK_TRY_CTX(mountOther(rootfd, m, devReadonly), what);
        }
        HUSK_TRY_CTX(setPropagation(rootfd, m), what);
        HUSK_TRY_CTX(setRecursiveAttrs(rootfd, m), what);
    }
    return {};
}

} // namespace husk::rootfs
