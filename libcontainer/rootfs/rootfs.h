#pragma once

// Applies a mount plan inside the init's new mount namespace. Order (as runc, for the same
// reasons): make / slave (or the configured propagation) so nothing leaks to the host, bind the
// rootfs onto itself so it is a mount point, apply mounts in config order, populate /dev,
// pivot_root; then, once sysctls are written, readonly and masked paths; last, a read-only root.

#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "libcontainer/rootfs/mount_plan.h"
#include "spec/config.h"

namespace husk::rootfs {

/// Everything the rootfs steps need, computed in the parent before clone.
struct RootfsPlan {
    std::string rootfs; // absolute host path
    unsigned long rootPropagation = 0;
    bool propagationGiven = false; // linux.rootfsPropagation set: re-apply it to / after pivot
    bool readonly = false;
    bool noPivot = false;
    std::vector<PlannedMount> mounts;
    bool setupDev = true;
    std::vector<spec::Device> devices;
    std::vector<std::string> maskedPaths;
    std::vector<std::string> readonlyPaths;
    std::map<std::string, std::string> cgroupDirs; // hierarchy key -> host dir
    bool cgroupNs = false;
    bool userNs = false;    // no mknod: devices are bind-mounted from the host
    std::string userNsPath; // a user namespace the container joins ("" when new or none)
};

/// In the parent, before the init is spawned: for each idmapped bind mount, and in a
/// user-namespaced container for each bind whose source lies outside the rootfs, a detached
/// copy of its source (idmapped where asked), recorded in PlannedMount::sourceTree. The
/// returned fds (user namespaces and trees) must stay open until the init has attached them.
[[nodiscard]] Result<std::vector<UniqueFd>> prepareBindSources(RootfsPlan &plan);

/// Before pivot: propagation, rootfs bind, every mount, /dev.
[[nodiscard]] Result<void> prepareRootfs(const RootfsPlan &plan);

/// pivot_root into the rootfs (or MS_MOVE + chroot with --no-pivot).
[[nodiscard]] Result<void> enterRootfs(const RootfsPlan &plan);

/// After pivot and sysctls: readonlyPaths, then maskedPaths.
[[nodiscard]] Result<void> restrictPaths(const RootfsPlan &plan);

/// Last: a read-only /dev if asked, root.readonly.
[[nodiscard]] Result<void> finalizeRootfs(const RootfsPlan &plan);

/// Bind-mounts the terminal's slave onto /dev/console (after pivot).
[[nodiscard]] Result<void> mountConsole(const std::string &slavePath);

} // namespace husk::rootfs
