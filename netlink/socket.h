#pragma once

// The one place husk talks netlink. A Socket owns the libmnl socket, the sequence number and the
// receive buffer, and has three exchanges:
//   ack(msg)       send a request and wait for the kernel's acknowledgement;
//   dump(msg, cb)  send a request and hand every reply message to cb until the kernel says done;
//   ackBatch(...)  send several messages in one datagram (a netfilter batch) and collect the
//                  answer to each.
// Extended acks are on, so a failure carries the kernel's own reason ("kernel: ...") next to the
// errno; callers add what they were doing ("create link \"eth0\"").

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "netlink/message.h"

struct mnl_socket;

namespace husk::netlink {

/// A bound netlink socket of one family, in the network namespace it was opened in.
class Socket
{
public:
    /// Receives one reply message of a dump. After an error the callback is not called again;
    /// the rest of the reply is drained and the error returned.
    using Callback = std::function<Result<void>(const nlmsghdr &)>;

    /// Opens and binds a socket in the caller's network namespace, with extended acks and
    /// strict checking turned on.
    [[nodiscard]] static Result<Socket> open(int family = NETLINK_ROUTE);
    /// Opens a socket inside the network namespace netnsFd refers to. A short-lived thread does
    /// the setns(), so the calling thread never changes namespace; the socket stays in netnsFd's
    /// namespace for its whole life.
    [[nodiscard]] static Result<Socket> openInNetns(int netnsFd, int family = NETLINK_ROUTE);

    Socket(Socket &&) noexcept = default;
    Socket &operator=(Socket &&) noexcept = default;
    ~Socket();

    /// Sends message (adding NLM_F_ACK and a sequence number) and waits for its ack. A kernel
    /// error comes back with its errno and extended-ack text.
    [[nodiscard]] Result<void> ack(Message &message);
    /// Sends message (adding NLM_F_ACK and a sequence number) and passes each reply to callback
    /// until NLMSG_DONE or the ack. Works for NLM_F_DUMP requests and for single GETs.
    [[nodiscard]] Result<void> dump(Message &message, const Callback &callback);
    /// Sends messages (netlink messages back to back: a netfilter batch, BEGIN ... END) in one
    /// datagram, numbering them here, and collects the kernel's answer to each that carries
    /// NLM_F_ACK, and to any that failed. The first failure in message order is returned with
    /// its extended-ack text and what[i] (the failed message's description, "" for none) as
    /// context.
    [[nodiscard]] Result<void> ackBatch(std::span<std::byte> messages,
                                        std::span<const std::string> what);

    /// The port id the kernel assigned at bind.
    uint32_t portId() const { return portId_; }

private:
    struct Closer {
        void operator()(mnl_socket *socket) const;
    };

    explicit Socket(std::unique_ptr<mnl_socket, Closer> socket, uint32_t portId);
    [[nodiscard]] Result<void> exchange(Message &message, const Callback *callback);

    std::unique_ptr<mnl_socket, Closer> socket_;
    uint32_t portId_ = 0;
    uint32_t seq_ = 0;
    std::vector<std::byte> buffer_;
};

/// Sends a dump request and returns every reply decoded by parse (nlmsghdr -> Result<T>);
/// errors are prefixed with what ("list links").
template <typename T, typename Parse>
[[nodiscard]] Result<std::vector<T>> collect(Socket &socket, Message &message, Parse parse,
                                             const std::string &what)
{
    std::vector<T> out;
    auto r = socket.dump(message, [&](const nlmsghdr &nlh) -> Result<void> {
        out.push_back(HUSK_TRY(parse(nlh)));
        return {};
    });
    if (!r)
        return std::unexpected(std::move(r).error().context(what));
    return out;
}

} // namespace husk::netlink
