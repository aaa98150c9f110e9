#pragma once

// Addresses on links (RTM_*ADDR), IPv4 and IPv6: one pure builder per request, one small
// operation per action. Builders take the link's index; operations take its name, for errors
// that say which link.

#include <linux/netlink.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "netlink/ip_address.h"
#include "netlink/message.h"
#include "netlink/socket.h"

namespace husk::netlink {

/// An address on a link, as the kernel reports it.
struct Address {
    int index = 0;                      // the link
    IpPrefix prefix;                    // the address and its prefix length
    std::optional<IpAddress> broadcast; // IFA_BROADCAST (IPv4)
    uint8_t scope = 0;                  // RT_SCOPE_UNIVERSE, RT_SCOPE_HOST, ...
    uint32_t flags = 0;                 // IFA_F_* (IFA_FLAGS when sent, else ifa_flags)
};

/// RTM_NEWADDR putting prefix (address and length) on link index, with IFA_F_* flags
/// (IFA_F_NODAD: no duplicate detection, an IPv6 address usable at once). An IPv4 prefix
/// shorter than /31 gets its broadcast address.
Message newAddressRequest(int index, const IpPrefix &prefix, uint32_t flags = 0);
/// RTM_DELADDR taking prefix off link index.
Message deleteAddressRequest(int index, const IpPrefix &prefix);
/// RTM_GETADDR dump of the addresses of family (AF_UNSPEC: both) on link index (0: every link).
Message listAddressesRequest(int family = AF_UNSPEC, int index = 0);

/// Decodes an RTM_NEWADDR reply.
[[nodiscard]] Result<Address> parseAddress(const nlmsghdr &nlh);

/// Puts an address on a link; EEXIST when it is there already.
[[nodiscard]] Result<void> addAddress(Socket &socket, std::string_view link, const IpPrefix &prefix,
                                      uint32_t flags = 0);
/// Takes an address off a link; EADDRNOTAVAIL when it is not there.
[[nodiscard]] Result<void> deleteAddress(Socket &socket, std::string_view link,
                                         const IpPrefix &prefix);
/// The addresses of family (AF_UNSPEC: both) on link (empty: on every link).
[[nodiscard]] Result<std::vector<Address>> listAddresses(Socket &socket, std::string_view link = {},
                                                         int family = AF_UNSPEC);

} // namespace husk::netlink
