#include "libcontainer/process/sync.h"

#include <sys/socket.h>

#include <cstring>

namespace husk::process {

namespace {

struct Header {
    uint32_t type;
    int32_t value;
};

constexpr size_t kMaxText = 4096;

} // namespace

const char *syncMsgName(SyncMsg m)
{
    switch (m) {
    case SyncMsg::ChildPid:
        return "ChildPid";
    case SyncMsg::Go:
        return "Go";
    case SyncMsg::ConsoleFd:
        return "ConsoleFd";
    case SyncMsg::Ready:
        return "Ready";
    case SyncMsg::ReadyAck:
        return "ReadyAck";
    case SyncMsg::Error:
        return "Error";
    }
    return "unknown";
}

Result<std::pair<SyncSocket, SyncSocket>> SyncSocket::pair()
{
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
        return failErrno("socketpair");
    return std::pair{SyncSocket(UniqueFd(fds[0])), SyncSocket(UniqueFd(fds[1]))};
}

Result<void> SyncSocket::send(SyncMsg type, int32_t value, std::string_view text, int passFd)
{
    char buf[sizeof(Header) + kMaxText];
    Header h{static_cast<uint32_t>(type), value};
    std::memcpy(buf, &h, sizeof h);
    size_t len = std::min(text.size(), kMaxText);
    std::memcpy(buf + sizeof h, text.data(), len);
    iovec iov{buf, sizeof h + len};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    if (passFd >= 0) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &passFd, sizeof(int));
    }
    for (;;) {
        if (::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL) >= 0)
            return {};
        if (errno != EINTR)
            return failErrno(std::string("send ") + syncMsgName(type));
    }
}

void SyncSocket::sendError(const Error &err)
{
    (void)send(SyncMsg::Error, err.code(), err.message());
}

Result<SyncPacket> SyncSocket::recv()
{
    char buf[sizeof(Header) + kMaxText];
    iovec iov{buf, sizeof buf};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
        n = ::recvmsg(fd_.get(), &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return failErrno("receive from container process");
    if (n == 0)
        return fail("container process exited during setup");
    if (static_cast<size_t>(n) < sizeof(Header))
        return fail("short sync message");
    Header h;
    std::memcpy(&h, buf, sizeof h);
    SyncPacket p;
    p.type = static_cast<SyncMsg>(h.type);
    p.value = h.value;
    p.text.assign(buf + sizeof h, static_cast<size_t>(n) - sizeof h);
    for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
            p.fd.reset(fd);
        }
    }
    return p;
}

Result<SyncPacket> SyncSocket::expect(SyncMsg type)
{
    SyncPacket p = HUSK_TRY(recv());
    if (p.type == SyncMsg::Error)
        return fail(p.text, p.value);
    if (p.type != type)
        return fail(std::string("sync: expected ") + syncMsgName(type) + ", got " +
                    syncMsgName(p.type));
    return p;
}

} // namespace husk::process
