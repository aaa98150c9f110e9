#pragma once

// Shared between the rootfs step files; not part of libcontainer's surface.

#include <string>

#include "common/result.h"
#include "common/unique_fd.h"
#include "libcontainer/rootfs/rootfs.h"

namespace husk::rootfs {

/// A MS_BIND|MS_REMOUNT with flags, retrying with the mount's locked flags on EPERM.
[[nodiscard]] Result<void> remountBind(const std::string &target, unsigned long flags);

/// Opens a host path (a bind source) as O_PATH.
[[nodiscard]] Result<UniqueFd> openHostPath(const std::string &hostPath);

/// Applies every planned mount under rootfd; sets devReadonly when /dev must end read-only.
[[nodiscard]] Result<void> applyMounts(int rootfd, const RootfsPlan &plan, bool &devReadonly);

/// Creates the default /dev nodes and links, and linux.devices, under rootfd.
[[nodiscard]] Result<void> setupDevices(int rootfd, const RootfsPlan &plan);

} // namespace husk::rootfs
