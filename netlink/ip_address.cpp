#include "netlink/ip_address.h"

#include <arpa/inet.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "common/text.h"

namespace husk::netlink {

namespace {

std::string familyName(int family)
{
    return family == AF_INET6 ? "IPv6" : "IPv4";
}

// Sets (or clears) every bit of address from bit `from` on, counting from the most significant.
IpAddress withHostBits(IpAddress address, unsigned from, bool set)
{
    unsigned bits = addressBits(address.family);
    for (unsigned bit = from; bit < bits; ++bit) {
        auto mask = static_cast<uint8_t>(0x80u >> (bit % 8));
        if (set)
            address.bytes[bit / 8] |= mask;
        else
            address.bytes[bit / 8] &= static_cast<uint8_t>(~mask);
    }
    return address;
}

} // namespace

size_t IpAddress::size() const
{
    return addressBits(family) / 8;
}

std::span<const std::byte> IpAddress::wire() const
{
    return std::as_bytes(std::span(bytes)).first(size());
}

std::string IpAddress::toString() const
{
    if (size() == 0)
        return "(no address)";
    char text[INET6_ADDRSTRLEN] = {};
    if (!::inet_ntop(family, bytes.data(), text, sizeof(text)))
        return "(bad address)";
    return text;
}

bool IpAddress::isZero() const
{
    for (uint8_t b : bytes)
        if (b != 0)
            return false;
    return true;
}

IpPrefix IpPrefix::network() const
{
    return {withHostBits(address, length, false), length};
}

IpAddress IpPrefix::last() const
{
    return withHostBits(address, length, true);
}

std::string IpPrefix::toString() const
{
    return address.toString() + "/" + std::to_string(length);
}

unsigned addressBits(int family)
{
    switch (family) {
    case AF_INET:
        return 32;
    case AF_INET6:
        return 128;
    default:
        return 0;
    }
}

std::optional<IpAddress> ipAddressFromBytes(int family, std::span<const std::byte> bytes)
{
    IpAddress address;
    address.family = family;
    if (address.size() == 0 || bytes.size() != address.size())
        return std::nullopt;
    std::memcpy(address.bytes.data(), bytes.data(), bytes.size());
    return address;
}

Result<IpAddress> parseIpAddress(std::string_view text)
{
    if (text.empty())
        return fail("empty IP address", EINVAL);
    IpAddress address;
    // Only IPv6 text has a colon; inet_pton then decides what is well formed (no leading zeros
    // in IPv4 octets, no zone index "%eth0", no surrounding blanks).
    address.family = text.find(':') == std::string_view::npos ? AF_INET : AF_INET6;
    std::string terminated(text);
    if (::inet_pton(address.family, terminated.c_str(), address.bytes.data()) != 1)
        return fail(inQuotes(text) + " is not an " + familyName(address.family) + " address",
                    EINVAL);
    return address;
}

Result<IpPrefix> parseIpPrefix(std::string_view text)
{
    size_t slash = text.find('/');
    if (slash == std::string_view::npos)
        return fail("IP prefix " + inQuotes(text) +
                        ": no prefix length (write ADDRESS/LENGTH, as 10.77.0.5/16)",
                    EINVAL);
    IpPrefix prefix;
    prefix.address =
        HUSK_TRY_CTX(parseIpAddress(text.substr(0, slash)), "IP prefix " + inQuotes(text));
    std::string_view digits = text.substr(slash + 1);
    unsigned bits = addressBits(prefix.address.family);
    // from_chars takes no sign and no blanks; it must also use up every character.
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix.length);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
        return fail("IP prefix " + inQuotes(text) + ": prefix length " + inQuotes(digits) +
                        " is not a number",
                    EINVAL);
    if (prefix.length > bits)
        return fail("IP prefix " + inQuotes(text) + ": prefix length " +
                        std::to_string(prefix.length) + " is more than the " +
                        std::to_string(bits) + " bits of an " + familyName(prefix.address.family) +
                        " address",
                    EINVAL);
    return prefix;
}

IpPrefix anyPrefix(int family)
{
    IpPrefix prefix;
    prefix.address.family = family;
    return prefix;
}

Result<MacAddress> parseMac(std::string_view text)
{
    auto bad = [&] {
        return fail(inQuotes(text) +
                        " is not a MAC address (want six hex pairs, as 02:42:0a:4d:00:05)",
                    EINVAL);
    };
    // "xx:" five times and a last "xx": 17 characters.
    MacAddress mac{};
    if (text.size() != 17)
        return bad();
    for (size_t i = 0; i < mac.size(); ++i) {
        std::string_view pair = text.substr(i * 3, 2);
        if (i + 1 < mac.size() && text[i * 3 + 2] != ':')
            return bad();
        auto [end, ec] = std::from_chars(pair.data(), pair.data() + 2, mac[i], 16);
        if (ec != std::errc() || end != pair.data() + 2)
            return bad();
    }
    return mac;
}

std::string formatMac(const MacAddress &mac)
{
    char text[18];
    std::snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
                  mac[3], mac[4], mac[5]);
    return text;
}

} // namespace husk::netlink
