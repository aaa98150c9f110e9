#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace husk {

/// No limit on what readFile reads.
inline constexpr size_t kUnbounded = std::numeric_limits<size_t>::max();

/// Reads a whole file; one of more than maxBytes is an error naming the limit, read no further
/// than that.
[[nodiscard]] Result<std::string> readFile(const std::string &path, size_t maxBytes = kUnbounded);

/// Reads fd to its end, as readFile (name is for errors).
[[nodiscard]] Result<std::string> readAll(int fd, const std::string &name,
                                          size_t maxBytes = kUnbounded);

/// Reads a whole file relative to a directory fd, as readFile.
[[nodiscard]] Result<std::string> readFileAt(int dirfd, const std::string &path,
                                             size_t maxBytes = kUnbounded);

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

/// The names in directory path (relative to dirfd; "." for dirfd itself) that do not start with
/// a dot; none when it cannot be read.
std::vector<std::string> visibleEntries(int dirfd, const char *path);

/// Writes all of data to fd, retrying on short writes and EINTR.
[[nodiscard]] Result<void> writeAll(int fd, std::string_view data);

} // namespace husk
