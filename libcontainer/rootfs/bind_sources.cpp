// Bind-mount sources the parent (root in the host's namespaces) opens before the init is
// spawned, as detached trees (open_tree(OPEN_TREE_CLONE)) the init only attaches with
// move_mount, which works from inside a new user namespace too:
// - idmapped mounts: the tree gets mount_setattr(MOUNT_ATTR_IDMAP) with a user namespace made
//   for its mapping (or the one the container joins), which the init could not set itself;
// - in a user-namespaced container, every other bind whose source is outside the rootfs: the
//   init, root only inside its namespace, cannot search a host directory such as a root-owned
//   mode-0000 one (EACCES), which crun and runc reach from the host side too.
// A source inside the rootfs is left to the init, which opens it when its turn in the list
// comes, so it sees the mounts made before it.

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <map>

#include "common/file.h"
#include "libcontainer/namespaces/userns.h"
#include "libcontainer/rootfs/mount_plan.h"
#include "libcontainer/rootfs/rootfs.h"

namespace husk::rootfs {

namespace {

bool insideRootfs(const std::string &source, const std::string &rootfs)
{
    std::string s = cleanPath(source), r = cleanPath(rootfs);
    return s == r || s.starts_with(r + "/");
}

Result<UniqueFd> cloneTree(const PlannedMount &m, const std::string &what)
{
    unsigned int treeFlags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
    if (m.options.flags & MS_REC)
        treeFlags |= AT_RECURSIVE;
    int tree = static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, m.source.c_str(), treeFlags));
    if (tree < 0)
        return failErrno(what + ": open_tree " + m.source);
    return UniqueFd(tree);
}

} // namespace

Result<std::vector<UniqueFd>> prepareBindSources(RootfsPlan &plan)
{
    std::vector<UniqueFd> fds;
    std::map<std::string, int> usernsByMap; // mapping text -> index in fds
    for (PlannedMount &m : plan.mounts) {
        const std::string what = "mount \"" + m.destination + "\"";
        if (!m.options.idmap) {
            if (plan.userNs && m.options.isBind() && !insideRootfs(m.source, plan.rootfs)) {
                auto tree = cloneTree(m, what);
                // An unprivileged parent (rootless) may not clone mounts and sees no more
                // than the init: the init opens the source itself then.
                if (!tree && tree.error().code() == EPERM)
                    continue;
                fds.push_back(HUSK_TRY(std::move(tree)));
                m.sourceTree = fds.back().get();
            }
            continue;
        }
        int usernsFd = -1;
        if (m.uidMappings.empty()) {
            // "idmap" alone in a container that joins a user namespace: that namespace's
            // mapping (the implied one).
            fds.push_back(
                HUSK_TRY_CTX(openFd(plan.userNsPath, O_RDONLY), what + ": user namespace"));
            usernsFd = fds.back().get();
        } else {
            std::string key = idMapText(m.uidMappings) + "/" + idMapText(m.gidMappings);
            auto it = usernsByMap.find(key);
            if (it == usernsByMap.end()) {
                UniqueFd ns = HUSK_TRY_CTX(makeUserNamespace(m.uidMappings, m.gidMappings),
                                           what + ": uidMappings");
                fds.push_back(std::move(ns));
                it = usernsByMap.emplace(key, static_cast<int>(fds.size() - 1)).first;
            }
            usernsFd = fds[static_cast<size_t>(it->second)].get();
        }
        UniqueFd treeFd = HUSK_TRY(cloneTree(m, what));
        mount_attr attr{};
        attr.attr_set = MOUNT_ATTR_IDMAP;
        attr.userns_fd = static_cast<uint64_t>(usernsFd);
        unsigned int setFlags = AT_EMPTY_PATH | (m.options.recursiveIdmap ? AT_RECURSIVE : 0);
        if (::syscall(SYS_mount_setattr, treeFd.get(), "", setFlags, &attr, sizeof attr) < 0) {
            if (errno == EINVAL)
                return fail(what + ": the filesystem of " + m.source +
                                " does not support idmapped mounts",
                            EINVAL);
            return failErrno(what + ": mount_setattr(MOUNT_ATTR_IDMAP)");
        }
        m.sourceTree = treeFd.get();
        fds.push_back(std::move(treeFd));
    }
    return fds;
}

} // namespace husk::rootfs
