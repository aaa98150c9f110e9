#include "common/fd_passing.h"

#include <sys/socket.h>

#include <cstring>

namespace husk {

Result<size_t> sendWithFd(int socket, std::string_view data, int fd)
{
    iovec iov{const_cast<char *>(data.data()), data.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    if (fd >= 0) {
        std::memset(control, 0, sizeof control);
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    for (;;) {
        ssize_t n = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
        if (n >= 0)
            return static_cast<size_t>(n);
        if (errno != EINTR)
            return fail(std::string(), errno); // callers say what was being sent
    }
}

Result<size_t> recvWithFd(int socket, char *buf, size_t size, UniqueFd &fd)
{
    iovec iov{buf, size};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
        n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return fail(std::string(), errno); // callers say what was being received
    for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int received;
            std::memcpy(&received, CMSG_DATA(c), sizeof received);
            fd.reset(received);
        }
    }
    return static_cast<size_t>(n);
}

} // namespace husk
