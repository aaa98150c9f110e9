#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "common/unique_fd.h"

namespace husk {

/// Reads a whole file.
[[nodiscard]] Result<std::string> readFile(const std::string &path);

/// Reads a whole file relative to a directory fd.
[[nodiscard]] Result<std::string> readFileAt(int dirfd, const std::string &path);

/// Writes data to an existing file (proc, sys, cgroupfs) in one write(2), no create, no truncate.
[[nodiscard]] Result<void> writeExisting(const std::string &path, std::string_view data);

/// Atomically replaces dir/name with data: temp file, fsync, rename, fsync of the directory.
[[nodiscard]] Result<void> writeFileAtomic(int dirfd, const std::string &name,
                                           std::string_view data, int mode = 0600);

/// Opens a path and returns an owned fd (O_CLOEXEC added); the error names the path.
[[nodiscard]] Result<UniqueFd> openFd(const std::string &path, int flags, int mode = 0);
/// openat(2) as openFd: relative to dirfd (AT_FDCWD for the working directory), O_CLOEXEC
/// added, an owned fd or an error naming the path.
[[nodiscard]] Result<UniqueFd> openFdAt(int dirfd, const char *path, int flags, int mode = 0);

/// Writes all of data to fd, retrying on short writes and EINTR.
[[nodiscard]] Result<void> writeAll(int fd, std::string_view data);

} // namespace husk
