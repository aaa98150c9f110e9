#pragma once

// User namespace id maps: the /proc/PID/{uid,gid}_map text, and user namespaces made only to
// carry a mapping (an idmapped mount's MOUNT_ATTR_IDMAP takes one as an fd).

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "spec/config.h"

namespace husk {

/// The text written to /proc/PID/uid_map or gid_map: one "container host size" line each.
std::string idMapText(const std::vector<spec::IdMapping> &maps);

/// Writes uid_map and gid_map of pid's user namespace (the caller needs CAP_SETUID/SETGID
/// over the parent namespace; root on the host can map any range).
[[nodiscard]] Result<void> writeIdMaps(pid_t pid, const std::vector<spec::IdMapping> &uids,
                                       const std::vector<spec::IdMapping> &gids);

/// A new user namespace holding these mappings, as an fd of its nsfs file. A short-lived
/// child is cloned into it, mapped, and reaped; the namespace lives on through the fd.
[[nodiscard]] Result<UniqueFd> makeUserNamespace(const std::vector<spec::IdMapping> &uids,
                                                 const std::vector<spec::IdMapping> &gids);

} // namespace husk
