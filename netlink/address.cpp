#include "netlink/address.h"

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include <cerrno>
#include <vector>
#include <string>
#include <utility>

#include "netlink/link.h"

namespace husk::netlink {

namespace {

// The request both RTM_NEWADDR and RTM_DELADDR start with. The address goes in IFA_LOCAL and
// IFA_ADDRESS alike: the two differ only on point-to-point links (IFA_ADDRESS is the peer), and
// IPv4 matches a delete on both.
Message addressRequest(uint16_t type, uint16_t flags, int index, const IpPrefix &prefix)
{
    Message m(type, flags);
    auto &ifa = m.putHeader<ifaddrmsg>();
    ifa.ifa_family = static_cast<uint8_t>(prefix.address.family);
    ifa.ifa_prefixlen = static_cast<uint8_t>(prefix.length);
    ifa.ifa_index = static_cast<uint32_t>(index);
    m.put(IFA_LOCAL, prefix.address.wire());
    m.put(IFA_ADDRESS, prefix.address.wire());
    return m;
}

// What an address operation names in its errors: the address, the link, and which way.
std::string describe(std::string_view action, const IpPrefix &prefix, std::string_view link)
{
    std::string direction = action == "add" ? " to" : " from";
    return std::string(action) + " address " + prefix.toString() + direction + " link \"" +
           std::string(link) + "\"";
}

Result<void> checkFamily(const IpPrefix &prefix)
{
    if (addressBits(prefix.address.family) == 0)
        return fail("not an IPv4 or IPv6 address", EAFNOSUPPORT);
    return {};
}

struct ParsedAttrs {
    Address *address;
    std::optional<IpAddress> local;
    std::optional<IpAddress> peer;
};

int onAddressAttr(const nlattr *attr, void *data)
{
    auto &parsed = *static_cast<ParsedAttrs *>(data);
    int family = parsed.address->prefix.address.family;
    std::span<const std::byte> payload = attrPayload(attr);
    switch (mnl_attr_get_type(attr)) {
    case IFA_LOCAL:
        parsed.local = ipAddressFromBytes(family, payload);
        break;
    case IFA_ADDRESS:
        parsed.peer = ipAddressFromBytes(family, payload);
        break;
    case IFA_BROADCAST:
        parsed.address->broadcast = ipAddressFromBytes(family, payload);
        break;
    case IFA_FLAGS:
        parsed.address->flags = attrU32(attr).value_or(parsed.address->flags);
        break;
    default:
        break;
    }
    return MNL_CB_OK;
}

} // namespace

Message newAddressRequest(int index, const IpPrefix &prefix, uint32_t flags)
{
    Message m = addressRequest(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, index, prefix);
    // The kernel takes no broadcast it is not given; /31 and /32 have no room for one.
    if (prefix.address.family == AF_INET && prefix.length < 31)
        m.put(IFA_BROADCAST, prefix.last().wire());
    // ifa_flags is 8 bits; IFA_FLAGS carries all 32 and, when present, is the one read.
    if (flags != 0)
        m.putU32(IFA_FLAGS, flags);
    return m;
}

Message deleteAddressRequest(int index, const IpPrefix &prefix)
{
    return addressRequest(RTM_DELADDR, 0, index, prefix);
}

Message listAddressesRequest(int family, int index)
{
    // Strict checking takes the index as a filter and refuses anything else set in the header.
    Message m(RTM_GETADDR, NLM_F_DUMP);
    auto &ifa = m.putHeader<ifaddrmsg>();
    ifa.ifa_family = static_cast<uint8_t>(family);
    ifa.ifa_index = static_cast<uint32_t>(index);
    return m;
}

Result<Address> parseAddress(const nlmsghdr &nlh)
{
    const auto *ifa = HUSK_TRY(replyHeader<ifaddrmsg>(nlh, RTM_NEWADDR, "RTM_NEWADDR"));
    Address address;
    address.index = static_cast<int>(ifa->ifa_index);
    address.prefix.address.family = ifa->ifa_family;
    address.prefix.length = ifa->ifa_prefixlen;
    address.scope = ifa->ifa_scope;
    address.flags = ifa->ifa_flags;
    ParsedAttrs parsed{&address, {}, {}};
    if (mnl_attr_parse(&nlh, sizeof(ifaddrmsg), onAddressAttr, &parsed) < 0)
        return failErrno("parse RTM_NEWADDR attributes");
    // IPv4 always sends IFA_LOCAL; IPv6 sends it only for a point-to-point peer, the link's own
    // address then being IFA_LOCAL and otherwise IFA_ADDRESS.
    std::optional<IpAddress> own = parsed.local ? parsed.local : parsed.peer;
    if (!own)
        return fail("RTM_NEWADDR without an address of family " +
                        std::to_string(address.prefix.address.family),
                    EBADMSG);
    address.prefix.address = *own;
    return address;
}

Result<void> addAddress(Socket &socket, std::string_view link, const IpPrefix &prefix,
                        uint32_t flags)
{
    std::string what = describe("add", prefix, link);
    HUSK_TRY_CTX(checkFamily(prefix), what);
    return ackForLink(socket, link, what,
                      [&](int index) { return newAddressRequest(index, prefix, flags); });
}

Result<void> deleteAddress(Socket &socket, std::string_view link, const IpPrefix &prefix)
{
    std::string what = describe("delete", prefix, link);
    HUSK_TRY_CTX(checkFamily(prefix), what);
    return ackForLink(socket, link, what,
                      [&](int index) { return deleteAddressRequest(index, prefix); });
}

Result<std::vector<Address>> listAddresses(Socket &socket, std::string_view link, int family)
{
    std::string what = "list addresses";
    int index = 0;
    if (!link.empty()) {
        what += " of link \"" + std::string(link) + "\"";
        index = HUSK_TRY_CTX(linkIndex(socket, link), what);
    }
    Message m = listAddressesRequest(family, index);
    auto addresses = HUSK_TRY(collect<Address>(socket, m, parseAddress, what));
    // Kernels before strict checking (4.20) ignore the index filter: apply it here too.
    if (index != 0)
        std::erase_if(addresses, [&](const Address &a) { return a.index != index; });
    return addresses;
}

} // namespace husk::netlink
