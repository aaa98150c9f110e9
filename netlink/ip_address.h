#pragma once

// IP and MAC addresses as netlink carries them (raw bytes, network order), parsed from the text
// people write ("10.77.0.5/16", "fd00::5/64", "02:42:0a:4d:00:05") and printed back. Pure code:
// no socket, no privilege.

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"

namespace husk::netlink {

/// An IPv4 or IPv6 address in network byte order.
struct IpAddress {
    int family = AF_UNSPEC;          // AF_INET or AF_INET6
    std::array<uint8_t, 16> bytes{}; // the first 4 for AF_INET, the rest zero

    /// The address length in bytes: 4 for AF_INET, 16 for AF_INET6, 0 otherwise.
    size_t size() const;
    /// The address as netlink attributes carry it (size() bytes).
    std::span<const std::byte> wire() const;
    /// The usual text form: "10.77.0.5", "fd00::5".
    std::string toString() const;
    /// Whether every bit is zero (0.0.0.0, ::).
    bool isZero() const;

    bool operator==(const IpAddress &) const = default;
};

/// An address and a prefix length: 10.77.0.5/16 is host 10.77.0.5 on network 10.77.0.0/16.
struct IpPrefix {
    IpAddress address;
    unsigned length = 0; // at most 32 (IPv4) or 128 (IPv6)

    /// The same prefix with the host bits cleared: 10.77.0.5/16 gives 10.77.0.0/16.
    IpPrefix network() const;
    /// The last address of the prefix, all host bits set (the IPv4 broadcast address).
    IpAddress last() const;
    /// "10.77.0.5/16".
    std::string toString() const;

    bool operator==(const IpPrefix &) const = default;
};

/// An Ethernet (MAC) address.
using MacAddress = std::array<uint8_t, 6>;

/// The bit width of family's addresses: 32, 128, or 0 for anything else.
unsigned addressBits(int family);
/// An address of family from the bytes of a netlink attribute; none when the size is not the
/// family's.
std::optional<IpAddress> ipAddressFromBytes(int family, std::span<const std::byte> bytes);
/// Parses "10.77.0.5" or "fd00::5"; EINVAL with the text quoted when it is neither.
[[nodiscard]] Result<IpAddress> parseIpAddress(std::string_view text);
/// Parses "ADDRESS/LENGTH" ("10.77.0.5/16", "fd00::5/64"); EINVAL naming what is wrong.
[[nodiscard]] Result<IpPrefix> parseIpPrefix(std::string_view text);
/// The all-zero prefix of family (0.0.0.0/0, ::/0): the destination of a default route.
IpPrefix anyPrefix(int family);
/// Parses six colon-separated hex pairs ("02:42:0a:4d:00:05"); EINVAL otherwise.
[[nodiscard]] Result<MacAddress> parseMac(std::string_view text);
/// "02:42:0a:4d:00:05".
std::string formatMac(const MacAddress &mac);

} // namespace husk::netlink
