#pragma once

// A directory held open under flock(2), shared by the network directory (definitions) and the
// IPAM state directories (leases): the lock lives on the open directory, so it is released with
// the fd, also when a husk process dies holding it.

#include <sys/types.h>

#include <string>

#include "common/result.h"
#include "common/unique_fd.h"

namespace husk::network {

/// Opens the directory at path and takes a flock on it (operation: LOCK_SH or LOCK_EX). With
/// create, a missing directory is made with its missing parents (mode); without, a missing
/// directory fails with ENOENT. A directory removed while this waited for the lock is opened
/// again (and, with create, made anew), so the caller never works in a deleted one.
[[nodiscard]] Result<UniqueFd> openLockedDir(const std::string &path, int operation, bool create,
                                             mode_t mode);

} // namespace husk::network
