#pragma once

// Routes (RTM_*ROUTE), IPv4 and IPv6, in the main table: one pure builder per request, one
// small operation per action. The two a pod needs are a default route via the bridge's address
// and a route to a subnet straight out of a device.

#include <linux/netlink.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "netlink/ip_address.h"
#include "netlink/message.h"
#include "netlink/socket.h"

namespace husk::netlink {

/// A route as the kernel reports it.
struct Route {
    IpPrefix destination;             // 0.0.0.0/0 or ::/0 for a default route
    std::optional<IpAddress> gateway; // none: the destination is on the link itself
    int oif = 0;                      // the output link's index, 0 when the route has none
    uint32_t table = 0;               // RT_TABLE_MAIN (254), RT_TABLE_LOCAL (255), ...
    uint8_t protocol = 0;             // RTPROT_KERNEL, RTPROT_STATIC, ...
    uint8_t scope = 0;                // RT_SCOPE_UNIVERSE, RT_SCOPE_LINK, ...
    uint8_t type = 0;                 // RTN_UNICAST, RTN_LOCAL, ...
};

/// RTM_NEWROUTE in the main table to destination, via gateway when there is one, out of link
/// oif when it is not 0. EEXIST from the kernel when the route is there already.
Message newRouteRequest(const IpPrefix &destination, const std::optional<IpAddress> &gateway,
                        int oif);
/// RTM_DELROUTE of the main-table route to destination with that gateway and link (either may
/// be left out to match any).
Message deleteRouteRequest(const IpPrefix &destination, const std::optional<IpAddress> &gateway,
                           int oif);
/// RTM_GETROUTE dump of every route of family (AF_INET or AF_INET6), all tables.
Message listRoutesRequest(int family);

/// Decodes an RTM_NEWROUTE reply.
[[nodiscard]] Result<Route> parseRoute(const nlmsghdr &nlh);

/// Adds a main-table route to destination via gateway and/or out of device (empty: none; the
/// kernel then finds the device from the gateway). The gateway must be of destination's family,
/// and one of gateway and device must be given.
[[nodiscard]] Result<void> addRoute(Socket &socket, const IpPrefix &destination,
                                    const std::optional<IpAddress> &gateway,
                                    std::string_view device = {});
/// Deletes the main-table route addRoute() with the same arguments would add.
[[nodiscard]] Result<void> deleteRoute(Socket &socket, const IpPrefix &destination,
                                       const std::optional<IpAddress> &gateway,
                                       std::string_view device = {});
/// Adds the default route of gateway's family via gateway (out of device when not empty).
[[nodiscard]] Result<void> addDefaultRoute(Socket &socket, const IpAddress &gateway,
                                           std::string_view device = {});
/// Every route of family (AF_INET or AF_INET6) in the socket's namespace, all tables.
[[nodiscard]] Result<std::vector<Route>> listRoutes(Socket &socket, int family);

} // namespace husk::netlink
