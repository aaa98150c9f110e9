#include "netlink/socket.h"

#include <libmnl/libmnl.h>
#include <sys/socket.h>

#include <cerrno>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "netlink/netns.h"

namespace husk::netlink {

namespace {

// libmnl's recommended receive size for dumps: the kernel sizes dump messages after the
// largest buffer the reader offered (up to 32K), so a smaller buffer means MSG_TRUNC.
constexpr size_t kReceiveSize = 32768;

// The text of NLMSGERR_ATTR_MSG among the TLVs that start offset bytes into nlh's payload, or
// "" when the kernel sent none.
std::string extAckText(const nlmsghdr &nlh, size_t offset)
{
    if (!(nlh.nlmsg_flags & NLM_F_ACK_TLVS))
        return {};
    size_t payloadLen = mnl_nlmsg_get_payload_len(&nlh);
    if (payloadLen <= offset)
        return {};
    const auto *payload = static_cast<const char *>(mnl_nlmsg_get_payload(&nlh)) + offset;
    std::string text;
    auto onAttr = [](const nlattr *attr, void *data) -> int {
        if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
            mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
            *static_cast<std::string *>(data) = mnl_attr_get_str(attr);
        return MNL_CB_OK;
    };
    (void)mnl_attr_parse_payload(payload, payloadLen - offset, onAttr, &text);
    return text;
}

// A kernel errno as an Error: the extended-ack text is the message, the errno the code.
Error kernelError(int code, const std::string &text)
{
    return Error(text.empty() ? std::string() : "kernel: " + text, code);
}

// An NLMSG_ERROR as a result: success for an ack (errno 0), else the kernel's error.
Result<void> ackResult(const nlmsghdr &nlh)
{
    if (mnl_nlmsg_get_payload_len(&nlh) < sizeof(nlmsgerr))
        return fail("truncated netlink error message", EBADMSG);
    const auto *err = static_cast<const nlmsgerr *>(mnl_nlmsg_get_payload(&nlh));
    if (err->error == 0)
        return {};
    // Without NLM_F_CAPPED the kernel echoes the whole request before the TLVs.
    size_t offset = sizeof(nlmsgerr);
    if (!(nlh.nlmsg_flags & NLM_F_CAPPED))
        offset += err->msg.nlmsg_len - sizeof(nlmsghdr);
    return std::unexpected(kernelError(-err->error, extAckText(nlh, offset)));
}

} // namespace

void Socket::Closer::operator()(mnl_socket *socket) const
{
    mnl_socket_close(socket);
}

Socket::Socket(std::unique_ptr<mnl_socket, Closer> socket, uint32_t portId)
    : socket_(std::move(socket)), portId_(portId), buffer_(kReceiveSize)
{}

Socket::~Socket() = default;

Result<Socket> Socket::open(int family)
{
    std::unique_ptr<mnl_socket, Closer> socket(mnl_socket_open2(family, SOCK_CLOEXEC));
    if (!socket)
        return failErrno("open netlink socket");
    if (mnl_socket_bind(socket.get(), 0, MNL_SOCKET_AUTOPID) < 0)
        return failErrno("bind netlink socket");
    // EXT_ACK (4.12) makes the kernel say why it refused; GET_STRICT_CHK (4.20) makes it refuse
    // a malformed request instead of quietly ignoring what it does not understand. Older kernels
    // answer ENOPROTOOPT: run without them there.
    for (int option : {NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK}) {
        int one = 1;
        if (mnl_socket_setsockopt(socket.get(), option, &one, sizeof(one)) < 0 &&
            errno != ENOPROTOOPT)
            return failErrno("netlink socket option " + std::to_string(option));
    }
    uint32_t portId = mnl_socket_get_portid(socket.get());
    return Socket(std::move(socket), portId);
}

Result<Socket> Socket::openInNetns(int netnsFd, int family)
{
    std::optional<Socket> socket;
    HUSK_TRY(runInNetns(netnsFd, [&]() -> Result<void> {
        socket = HUSK_TRY(open(family));
        return {};
    }));
    return std::move(*socket);
}

Result<void> Socket::ack(Message &message)
{
    return exchange(message, nullptr);
}

Result<void> Socket::dump(Message &message, const Callback &callback)
{
    return exchange(message, &callback);
}

Result<void> Socket::exchange(Message &message, const Callback *callback)
{
    if (message.overflowed())
        return fail("netlink request larger than " + std::to_string(Message::kCapacity) + " bytes",
                    EMSGSIZE);
    nlmsghdr &request = message.header();
    request.nlmsg_flags |= NLM_F_ACK;
    request.nlmsg_seq = ++seq_;
    const uint32_t seq = request.nlmsg_seq;
    auto bytes = message.bytes();
    if (mnl_socket_sendto(socket_.get(), bytes.data(), bytes.size()) !=
        static_cast<ssize_t>(bytes.size()))
        return failErrno("send netlink request");

    // Read until the message that ends this exchange. A callback error does not stop the
    // reading: the rest of the dump is drained so the socket stays usable, then the first
    // error is returned.
    std::optional<Error> failure;
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(socket_.get(), buffer_.data(), buffer_.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return failErrno("receive netlink reply");
        }
        int left = static_cast<int>(n);
        for (auto *nlh = reinterpret_cast<const nlmsghdr *>(buffer_.data());
             mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
            // Replies to an earlier request abandoned half-way, or to another port: not ours.
            if (nlh->nlmsg_seq != seq || (nlh->nlmsg_pid != 0 && nlh->nlmsg_pid != portId_))
                continue;
            switch (nlh->nlmsg_type) {
            case NLMSG_NOOP:
                continue;
            case NLMSG_OVERRUN:
                return fail("netlink reply overrun", EOVERFLOW);
            case NLMSG_ERROR: {
                HUSK_TRY(ackResult(*nlh));
                if (failure)
                    return std::unexpected(std::move(*failure));
                return {};
            }
            case NLMSG_DONE: {
                // A dump's end carries the dump's own error, extended-ack TLVs after it.
                int error = 0;
                if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int))
                    error = *static_cast<const int *>(mnl_nlmsg_get_payload(nlh));
                if (error < 0)
                    return std::unexpected(kernelError(-error, extAckText(*nlh, sizeof(int))));
                if (failure)
                    return std::unexpected(std::move(*failure));
                return {};
            }
            default:
                break;
            }
            if (nlh->nlmsg_flags & NLM_F_DUMP_INTR && !failure)
                failure =
                    Error("netlink dump interrupted (the table changed under it); retry", EINTR);
            if (callback && !failure)
                if (auto r = (*callback)(*nlh); !r)
                    failure = std::move(r).error();
        }
    }
}

Result<void> Socket::ackBatch(std::span<std::byte> messages, std::span<const std::string> what)
{
    struct Sent {
        bool wantsAck = false;
        bool answered = false;
        std::optional<Error> error;
    };
    std::vector<Sent> sent;
    const uint32_t first = seq_ + 1;
    int left = static_cast<int>(messages.size());
    for (auto *nlh = reinterpret_cast<nlmsghdr *>(messages.data()); mnl_nlmsg_ok(nlh, left);
         nlh = mnl_nlmsg_next(nlh, &left)) {
        nlh->nlmsg_seq = ++seq_;
        sent.push_back({.wantsAck = (nlh->nlmsg_flags & NLM_F_ACK) != 0});
    }
    if (left != 0 || sent.empty())
        return fail("malformed netlink batch", EINVAL);
    if (mnl_socket_sendto(socket_.get(), messages.data(), messages.size()) !=
        static_cast<ssize_t>(messages.size()))
        return failErrno("send netlink batch");

    // The kernel handles a netlink datagram inside sendto() (nfnetlink applies the whole
    // batch, module loading and replays included, before it returns), so every answer is
    // already queued: read until there is nothing left instead of waiting for answers that a
    // refused batch never sends (an error on BEGIN stands for all of it).
    const int fd = mnl_socket_get_fd(socket_.get());
    for (;;) {
        ssize_t n = ::recv(fd, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            return failErrno("receive netlink batch reply");
        }
        int len = static_cast<int>(n);
        for (auto *nlh = reinterpret_cast<const nlmsghdr *>(buffer_.data()); mnl_nlmsg_ok(nlh, len);
             nlh = mnl_nlmsg_next(nlh, &len)) {
            uint32_t index = nlh->nlmsg_seq - first;
            if (nlh->nlmsg_seq < first || index >= sent.size() ||
                (nlh->nlmsg_pid != 0 && nlh->nlmsg_pid != portId_) ||
                nlh->nlmsg_type != NLMSG_ERROR)
                continue;
            sent[index].answered = true;
            if (auto r = ackResult(*nlh); !r && !sent[index].error)
                sent[index].error = std::move(r).error();
        }
    }
    auto context = [&](size_t i) { return i < what.size() ? what[i] : std::string(); };
    for (size_t i = 0; i < sent.size(); ++i) {
        if (!sent[i].error)
            continue;
        if (context(i).empty())
            return std::unexpected(std::move(*sent[i].error));
        return std::unexpected(std::move(*sent[i].error).context(context(i)));
    }
    for (size_t i = 0; i < sent.size(); ++i)
        if (sent[i].wantsAck && !sent[i].answered)
            return fail("no answer from the kernel to netlink batch message " + std::to_string(i) +
                            (context(i).empty() ? "" : " (" + context(i) + ")"),
                        EPROTO);
    return {};
}

} // namespace husk::netlink
