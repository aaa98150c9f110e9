#include "netlink/message.h"

#include <libmnl/libmnl.h>

#include <cerrno>
#include <string>
#include <utility>

namespace husk::netlink {

Nest::Nest(Nest &&other) noexcept
    : message_(std::exchange(other.message_, nullptr)), offset_(other.offset_)
{}

void Nest::end()
{
    if (!message_)
        return;
    auto *start = reinterpret_cast<nlattr *>(message_->buffer_.data() + offset_);
    mnl_attr_nest_end(&message_->header(), start);
    message_ = nullptr;
}

Message::Message(uint16_t type, uint16_t flags) : buffer_(kCapacity)
{
    nlmsghdr *nlh = mnl_nlmsg_put_header(buffer_.data());
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | flags;
}

nlmsghdr &Message::header()
{
    return *reinterpret_cast<nlmsghdr *>(buffer_.data());
}

const nlmsghdr &Message::header() const
{
    return *reinterpret_cast<const nlmsghdr *>(buffer_.data());
}

std::span<const std::byte> Message::bytes() const
{
    return {buffer_.data(), header().nlmsg_len};
}

void *Message::putExtraHeader(size_t size)
{
    if (header().nlmsg_len + MNL_ALIGN(size) > buffer_.size()) {
        // The caller still gets somewhere to write; the message is never sent.
        overflowed_ = true;
        discard_.assign(size, std::byte{0});
        return discard_.data();
    }
    return mnl_nlmsg_put_extra_header(&header(), size);
}

void Message::put(uint16_t type, std::span<const std::byte> payload)
{
    if (!mnl_attr_put_check(&header(), buffer_.size(), type, payload.size(), payload.data()))
        overflowed_ = true;
}

void Message::putU8(uint16_t type, uint8_t value)
{
    if (!mnl_attr_put_u8_check(&header(), buffer_.size(), type, value))
        overflowed_ = true;
}

void Message::putU16(uint16_t type, uint16_t value)
{
    if (!mnl_attr_put_u16_check(&header(), buffer_.size(), type, value))
        overflowed_ = true;
}

void Message::putU32(uint16_t type, uint32_t value)
{
    if (!mnl_attr_put_u32_check(&header(), buffer_.size(), type, value))
        overflowed_ = true;
}

void Message::putString(uint16_t type, std::string_view value)
{
    std::string terminated(value); // c_str() supplies the NUL the attribute carries
    if (!mnl_attr_put_strz_check(&header(), buffer_.size(), type, terminated.c_str()))
        overflowed_ = true;
}

Nest Message::nest(uint16_t type)
{
    nlattr *start = mnl_attr_nest_start_check(&header(), buffer_.size(), type);
    if (!start) {
        overflowed_ = true;
        return Nest(nullptr, 0);
    }
    return Nest(this, reinterpret_cast<std::byte *>(start) - buffer_.data());
}

std::span<const std::byte> attrPayload(const nlattr *attr)
{
    return {static_cast<const std::byte *>(mnl_attr_get_payload(attr)),
            mnl_attr_get_payload_len(attr)};
}

std::optional<uint8_t> attrU8(const nlattr *attr)
{
    if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
        return std::nullopt;
    return mnl_attr_get_u8(attr);
}

std::optional<uint32_t> attrU32(const nlattr *attr)
{
    if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
        return std::nullopt;
    return mnl_attr_get_u32(attr);
}

std::optional<std::string> attrString(const nlattr *attr)
{
    if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
        return std::nullopt;
    return std::string(mnl_attr_get_str(attr));
}

Result<const void *> replyPayload(const nlmsghdr &nlh, uint16_t type, std::string_view typeName,
                                  size_t size)
{
    if (nlh.nlmsg_type != type)
        return fail("unexpected netlink message type " + std::to_string(nlh.nlmsg_type) +
                        " (wanted " + std::string(typeName) + ")",
                    EBADMSG);
    if (mnl_nlmsg_get_payload_len(&nlh) < size)
        return fail("truncated " + std::string(typeName) + " message", EBADMSG);
    return mnl_nlmsg_get_payload(&nlh);
}

} // namespace husk::netlink
