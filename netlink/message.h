#pragma once

// A netlink request under construction. Builders (netlink/link.h) return one; Socket::ack() or
// Socket::dump() sends it. Building needs no socket and no privilege, so every request can be
// checked byte for byte in a unit test.

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace husk::netlink {

class Message;

/// An open nested attribute; closing it (destruction or end()) writes its final length.
class Nest
{
public:
    Nest(const Nest &) = delete;
    Nest &operator=(const Nest &) = delete;
    Nest(Nest &&other) noexcept;
    Nest &operator=(Nest &&) = delete;
    ~Nest() { end(); }

    /// Closes the nest now; later calls do nothing.
    void end();

private:
    friend class Message;
    Nest(Message *message, size_t offset) : message_(message), offset_(offset) {}

    Message *message_; // null once ended, or when the nest did not fit
    size_t offset_;    // of the nlattr header inside the message, so a moved buffer stays valid
};

/// One netlink message: header, family header and attributes, in a fixed-size buffer. A Message
/// must not be moved while one of its nests is open (the Nest points at it).
class Message
{
public:
    /// The largest message a builder may produce (libmnl's MNL_SOCKET_BUFFER_SIZE on 4K pages).
    static constexpr size_t kCapacity = 8192;

    /// A request of type with NLM_F_REQUEST and flags; sequence and port are left 0 for the
    /// socket to fill in.
    Message(uint16_t type, uint16_t flags);

    /// Appends a zeroed struct and returns it for filling in: the family header (ifinfomsg,
    /// rtmsg, ...) first of all, or a header nested inside an attribute (VETH_INFO_PEER). One that
    /// does not fit marks the message overflowed.
    template <typename T> T &putHeader() { return *static_cast<T *>(putExtraHeader(sizeof(T))); }

    /// Appends an attribute with raw payload bytes.
    void put(uint16_t type, std::span<const std::byte> payload);
    /// Appends an 8-bit attribute.
    void putU8(uint16_t type, uint8_t value);
    /// Appends a 16-bit attribute in host order.
    void putU16(uint16_t type, uint16_t value);
    /// Appends a 32-bit attribute in host order.
    void putU32(uint16_t type, uint32_t value);
    /// Appends a NUL-terminated string attribute (as iproute2 sends names).
    void putString(uint16_t type, std::string_view value);
    /// Opens a nested attribute, closed when the returned Nest goes out of scope.
    [[nodiscard]] Nest nest(uint16_t type);

    /// The netlink header (type, flags, seq, pid), for the socket to complete.
    nlmsghdr &header();
    /// The netlink header, read-only.
    const nlmsghdr &header() const;
    /// The message as it goes on the wire (nlmsg_len bytes).
    std::span<const std::byte> bytes() const;
    /// Whether something did not fit in kCapacity; such a message is never sent.
    bool overflowed() const { return overflowed_; }

private:
    friend class Nest;
    void *putExtraHeader(size_t size);

    std::vector<std::byte> buffer_;
    std::vector<std::byte> discard_; // where a struct that did not fit is written
    bool overflowed_ = false;
};

/// The payload of an attribute of a kernel reply.
std::span<const std::byte> attrPayload(const nlattr *attr);
/// An attribute's 8-bit value; none when its payload is not one.
std::optional<uint8_t> attrU8(const nlattr *attr);
/// An attribute's 32-bit value in host order; none when its payload is not one.
std::optional<uint32_t> attrU32(const nlattr *attr);
/// An attribute's NUL-terminated string; none when its payload is not one.
std::optional<std::string> attrString(const nlattr *attr);

/// The payload of a kernel reply, checked to be of type (typeName in errors, "RTM_NEWLINK") and
/// to hold at least size bytes of family header; EBADMSG otherwise.
[[nodiscard]] Result<const void *> replyPayload(const nlmsghdr &nlh, uint16_t type,
                                                std::string_view typeName, size_t size);

/// replyPayload() for a family header struct T (ifinfomsg, ifaddrmsg, rtmsg).
template <typename T>
[[nodiscard]] Result<const T *> replyHeader(const nlmsghdr &nlh, uint16_t type,
                                            std::string_view typeName)
{
    const void *payload = HUSK_TRY(replyPayload(nlh, type, typeName, sizeof(T)));
    return static_cast<const T *>(payload);
}

} // namespace husk::netlink
