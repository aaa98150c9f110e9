#include "libcontainer/process/sync.h"

#include "common/fd_passing.h"

#include <sys/socket.h>

#include <algorithm>

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
    case SyncMsg::CreateHooks:
        return "CreateHooks";
    case SyncMsg::CreateHooksDone:
        return "CreateHooksDone";
    case SyncMsg::SeccompFd:
        return "SeccompFd";
    case SyncMsg::SeccompFdAck:
        return "SeccompFdAck";
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
    if (len > 0) // an empty string_view may have a null data(): memcpy must not see it
        std::memcpy(buf + sizeof h, text.data(), len);
    if (auto r = sendWithFd(fd_.get(), std::string_view(buf, sizeof h + len), passFd); !r)
        return wrap(r.error(), std::string("send ") + syncMsgName(type));
    return {};
}

void SyncSocket::sendError(const Error &err)
{
    (void)send(SyncMsg::Error, err.code(), err.message());
}

Result<SyncPacket> SyncSocket::recv()
{
    std::optional<SyncPacket> p = HUSK_TRY(recvOrEof());
    if (!p)
        return fail("container process exited during setup");
    return std::move(*p);
}

Result<std::optional<SyncPacket>> SyncSocket::recvOrEof()
{
    char buf[sizeof(Header) + kMaxText];
    SyncPacket p;
    size_t n = HUSK_TRY_CTX(recvWithFd(fd_.get(), buf, sizeof buf, p.fd),
                            "receive from container process");
    if (n == 0)
        return std::nullopt;
    if (n < sizeof(Header))
        return fail("short sync message");
    Header h;
    std::memcpy(&h, buf, sizeof h);
    p.type = static_cast<SyncMsg>(h.type);
    p.value = h.value;
    p.text.assign(buf + sizeof h, n - sizeof h);
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
