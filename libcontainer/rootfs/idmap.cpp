// Idmapped bind mounts. The parent (root in the host's namespaces) makes each one before the
// init is spawned: open_tree(OPEN_TREE_CLONE) detaches a copy of the source, and
// mount_setattr(MOUNT_ATTR_IDMAP) gives it the mapping of a user namespace made for the
// purpose. The init inherits the fds and only attaches the trees with move_mount, which works
// from inside a new user namespace too, where the init could not set an idmap itself.

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <map>

#include "libcontainer/rootfs/rootfs.h"
#include "libcontainer/namespaces/userns.h"

namespace husk::rootfs {

Result<std::vector<UniqueFd>> prepareIdmappedMounts(RootfsPlan &plan)
{
    std::vector<UniqueFd> fds;
    std::map<std::string, int> usernsByMap; // mapping text -> index in fds
    for (PlannedMount &m : plan.mounts) {
        if (!m.options.idmap)
            continue;
        const std::string what = "mount \"" + m.destination + "\"";
        std::string key = idMapText(m.uidMappings) + "/" + idMapText(m.gidMappings);
        auto it = usernsByMap.find(key);
        if (it == usernsByMap.end()) {
            UniqueFd ns = HUSK_TRY_CTX(makeUserNamespace(m.uidMappings, m.gidMappings),
                                       what + ": uidMappings");
            fds.push_back(std::move(ns));
            it = usernsByMap.emplace(key, static_cast<int>(fds.size() - 1)).first;
        }
        int usernsFd = fds[static_cast<size_t>(it->second)].get();

        unsigned int treeFlags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
        if (m.options.flags & MS_REC)
            treeFlags |= AT_RECURSIVE;
        int tree =
            static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, m.source.c_str(), treeFlags));
        if (tree < 0)
            return failErrno(what + ": open_tree " + m.source);
        UniqueFd treeFd(tree);
        mount_attr attr{};
        attr.attr_set = MOUNT_ATTR_IDMAP;
        attr.userns_fd = static_cast<uint64_t>(usernsFd);
        unsigned int setFlags = AT_EMPTY_PATH | (m.options.recursiveIdmap ? AT_RECURSIVE : 0);
        if (::syscall(SYS_mount_setattr, tree, "", setFlags, &attr, sizeof attr) < 0) {
            if (errno == EINVAL)
                return fail(what + ": the filesystem of " + m.source +
                                " does not support idmapped mounts",
                            EINVAL);
            return failErrno(what + ": mount_setattr(MOUNT_ATTR_IDMAP)");
        }
        m.idmappedTree = tree;
        fds.push_back(std::move(treeFd));
    }
    return fds;
}

} // namespace husk::rootfs
