#include "libcontainer/network/address.h"

#include <arpa/inet.h>

#include <charconv>

#include "common/text.h"

namespace husk::network {

namespace {

int familyBits(IpFamily family)
{
    return family == IpFamily::V4 ? 32 : 128;
}

// The host part of a subnet with this prefix: its low (bits - prefix) bits set.
Uint128 hostMask(IpFamily family, int prefix)
{
    int hostBits = familyBits(family) - prefix;
    if (hostBits >= 128)
        return ~Uint128(0);
    return (Uint128(1) << hostBits) - 1;
}

} // namespace

const char *familyName(IpFamily family)
{
    return family == IpFamily::V4 ? "IPv4" : "IPv6";
}

Result<IpAddress> parseIpAddress(std::string_view text)
{
    std::string s(text);
    if (s.find(':') == std::string::npos) {
        in_addr a4;
        if (::inet_pton(AF_INET, s.c_str(), &a4) != 1)
            return fail("\"" + s + "\" is not an IPv4 or IPv6 address");
        return IpAddress{IpFamily::V4, ntohl(a4.s_addr)};
    }
    in6_addr a6;
    if (::inet_pton(AF_INET6, s.c_str(), &a6) != 1)
        return fail("\"" + s + "\" is not an IPv6 address");
    Uint128 v = 0;
    for (unsigned char byte : a6.s6_addr)
        v = (v << 8) | byte;
    return IpAddress{IpFamily::V6, v};
}

std::string formatIpAddress(const IpAddress &address)
{
    char buf[INET6_ADDRSTRLEN];
    if (address.family == IpFamily::V4) {
        in_addr a4{htonl(static_cast<uint32_t>(address.value))};
        ::inet_ntop(AF_INET, &a4, buf, sizeof buf);
        return buf;
    }
    in6_addr a6;
    Uint128 v = address.value;
    for (int i = 15; i >= 0; --i, v >>= 8)
        a6.s6_addr[i] = static_cast<unsigned char>(v & 0xff);
    ::inet_ntop(AF_INET6, &a6, buf, sizeof buf);
    return buf;
}

IpAddress addressPlus(const IpAddress &a, Uint128 count)
{
    return IpAddress{a.family, (a.value + count) & hostMask(a.family, 0)};
}

IpAddress Subnet::last() const
{
    return IpAddress{network.family, network.value | hostMask(network.family, prefix)};
}

bool Subnet::contains(const IpAddress &a) const
{
    return a.family == network.family && (a.value & ~hostMask(a.family, prefix)) == network.value;
}

Result<Subnet> parseSubnet(std::string_view text)
{
    size_t slash = text.find('/');
    if (slash == std::string_view::npos)
        return fail(inQuotes(text) + " is not a subnet (ADDRESS/PREFIX)");
    IpAddress address = HUSK_TRY(parseIpAddress(text.substr(0, slash)));
    std::string_view prefixText = text.substr(slash + 1);
    int prefix = -1;
    auto [end, ec] =
        std::from_chars(prefixText.data(), prefixText.data() + prefixText.size(), prefix);
    int bits = familyBits(address.family);
    if (ec != std::errc() || end != prefixText.data() + prefixText.size() || prefix < 0 ||
        prefix > bits)
        return fail(inQuotes(text) + ": the prefix length must be a number from 0 to " +
                    std::to_string(bits));
    Uint128 host = hostMask(address.family, prefix);
    if ((address.value & host) != 0) {
        Subnet meant{IpAddress{address.family, address.value & ~host}, prefix};
        return fail(inQuotes(text) + " has host bits set (did you mean " + formatSubnet(meant) +
                    "?)");
    }
    return Subnet{address, prefix};
}

std::string formatSubnet(const Subnet &s)
{
    return formatIpAddress(s.network) + "/" + std::to_string(s.prefix);
}

bool subnetsOverlap(const Subnet &a, const Subnet &b)
{
    // Two aligned blocks either nest or are disjoint: they overlap iff the wider holds the other.
    return a.network.family == b.network.family &&
           (a.prefix <= b.prefix ? a.contains(b.network) : b.contains(a.network));
}

} // namespace husk::network
