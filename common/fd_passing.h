#pragma once

// Passing file descriptors over AF_UNIX sockets (SCM_RIGHTS), used for the sync channel, the
// console socket and the seccomp agent.

#include <sys/types.h>

#include <string_view>

#include "common/result.h"
#include "common/unique_fd.h"

namespace husk {

/// One sendmsg(2) of data with fd attached (fd < 0: no fd). Returns the bytes sent; EINTR is
/// retried, and MSG_NOSIGNAL keeps a closed peer from raising SIGPIPE.
[[nodiscard]] Result<size_t> sendWithFd(int socket, std::string_view data, int fd);

/// One recvmsg(2) into buf; a received fd (close-on-exec) is stored in fd. Returns the bytes
/// read (0 at EOF).
[[nodiscard]] Result<size_t> recvWithFd(int socket, char *buf, size_t size, UniqueFd &fd);

} // namespace husk
