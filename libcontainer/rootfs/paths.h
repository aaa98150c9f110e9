#pragma once

// Paths inside the container's rootfs are always resolved with openat2(RESOLVE_IN_ROOT), so a
// symlink in the image can never point a mount or a device node outside the rootfs (the runc
// CVEs of 2019, 2021, 2024 and 2025 were all path races of this kind).

#include <sys/types.h>

#include <string>

#include "common/result.h"
#include "common/unique_fd.h"

namespace husk::rootfs {

/// Opens path (absolute, inside root) relative to rootfd, resolving symlinks inside it.
[[nodiscard]] Result<UniqueFd> openInRoot(int rootfd, const std::string &path, int flags);

/// path with every symlink of its existing part followed inside root (absolute targets from
/// root, ".." stopping at root); the part that does not exist is kept as written. ELOOP after 40
/// links.
[[nodiscard]] Result<std::string> resolveInRoot(int rootfd, const std::string &path);

/// Creates every missing directory of path inside root; returns an O_PATH fd of the last one.
[[nodiscard]] Result<UniqueFd> mkdirAllInRoot(int rootfd, const std::string &path, mode_t mode);

/// Creates path as an empty regular file if it does not exist (parents made); returns an O_PATH
/// fd of it.
[[nodiscard]] Result<UniqueFd> mkfileInRoot(int rootfd, const std::string &path);

/// The magic-link path of an fd, for syscalls that take a path ("/proc/self/fd/7").
std::string fdPath(int fd);

/// The directory part of an absolute clean path ("/a/b" -> "/a", "/a" -> "/").
std::string dirName(const std::string &path);

/// The last component of a path.
std::string baseName(const std::string &path);

} // namespace husk::rootfs
