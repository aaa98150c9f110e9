#pragma once

// IPv4 and IPv6 addresses and subnets as numbers, so that IPAM can count, compare and step
// through them. Pure code: no sockets, no syscalls.

#include <compare>
#include <string>
#include <string_view>

#include "common/result.h"

namespace husk::network {

/// An unsigned 128-bit number: an IPv6 address, or an IPv4 one in the low 32 bits.
__extension__ typedef unsigned __int128 Uint128;

/// The two IP families.
enum class IpFamily { V4, V6 };

/// "IPv4" or "IPv6", for messages.
const char *familyName(IpFamily family);

/// An IPv4 or IPv6 address, its bits in host order.
struct IpAddress {
    IpFamily family = IpFamily::V4;
    Uint128 value = 0;

    auto operator<=>(const IpAddress &) const = default;
};

/// Parses a dotted-quad IPv4 address or an IPv6 address (inet_pton(3) syntax).
[[nodiscard]] Result<IpAddress> parseIpAddress(std::string_view text);

/// The canonical text of an address (inet_ntop(3): RFC 5952 for IPv6).
std::string formatIpAddress(const IpAddress &address);

/// The address count steps after a, wrapping around within its family.
IpAddress addressPlus(const IpAddress &a, Uint128 count);

/// An IP subnet: its network address (no host bits set) and prefix length.
struct Subnet {
    IpAddress network;
    int prefix = 0;

    /// The last address of the subnet (the broadcast address, for IPv4).
    IpAddress last() const;
    /// Whether the address is of this family and inside the subnet.
    bool contains(const IpAddress &a) const;

    bool operator==(const Subnet &) const = default;
};

/// Parses "ADDRESS/PREFIX"; refuses a prefix out of range and host bits set (naming the
/// subnet that was probably meant).
[[nodiscard]] Result<Subnet> parseSubnet(std::string_view text);

/// "ADDRESS/PREFIX".
std::string formatSubnet(const Subnet &s);

/// Whether two subnets of the same family share any address.
bool subnetsOverlap(const Subnet &a, const Subnet &b);

} // namespace husk::network
