#include "netlink/route.h"

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include <cerrno>
#include <string>
#include <utility>

#include "netlink/link.h"

namespace husk::netlink {

namespace {

// The attributes a route request carries after its rtmsg: RTA_DST unless it is a default
// route (dst_len 0 says "any" alone), then the gateway and the output link when given.
void putRouteAttrs(Message &m, const IpPrefix &destination, const std::optional<IpAddress> &gateway,
                   int oif)
{
    if (destination.length > 0)
        m.put(RTA_DST, destination.address.wire());
    if (gateway)
        m.put(RTA_GATEWAY, gateway->wire());
    if (oif > 0)
        m.putU32(RTA_OIF, static_cast<uint32_t>(oif));
}

rtmsg &putRouteHeader(Message &m, const IpPrefix &destination)
{
    auto &rtm = m.putHeader<rtmsg>();
    rtm.rtm_family = static_cast<uint8_t>(destination.address.family);
    rtm.rtm_dst_len = static_cast<uint8_t>(destination.length);
    rtm.rtm_table = RT_TABLE_MAIN;
    return rtm;
}

std::string describe(std::string_view action, const IpPrefix &destination,
                     const std::optional<IpAddress> &gateway, std::string_view device)
{
    std::string what =
        std::string(action) + " route " +
        (destination.length == 0 && destination.address.isZero() ? std::string("default")
                                                                 : destination.toString());
    if (gateway)
        what += " via " + gateway->toString();
    if (!device.empty())
        what += " dev \"" + std::string(device) + "\"";
    return what;
}

// What the kernel would refuse with a bare EINVAL, said plainly before anything is sent.
Result<void> checkRoute(const IpPrefix &destination, const std::optional<IpAddress> &gateway,
                        std::string_view device)
{
    if (addressBits(destination.address.family) == 0)
        return fail("destination is not an IPv4 or IPv6 prefix", EAFNOSUPPORT);
    if (gateway && gateway->family != destination.address.family)
        return fail("gateway " + gateway->toString() + " is not of the destination's family",
                    EINVAL);
    if (!gateway && device.empty())
        return fail("a route needs a gateway or a device", EINVAL);
    return {};
}

template <typename Build>
Result<void> sendRoute(Socket &socket, const std::string &what, const IpPrefix &destination,
                       const std::optional<IpAddress> &gateway, std::string_view device,
                       Build build)
{
    HUSK_TRY_CTX(checkRoute(destination, gateway, device), what);
    if (!device.empty())
        return ackForLink(socket, device, what, build);
    Message m = build(0);
    HUSK_TRY_CTX(socket.ack(m), what);
    return {};
}

int onRouteAttr(const nlattr *attr, void *data)
{
    Route &route = *static_cast<Route *>(data);
    int family = route.destination.address.family;
    std::span<const std::byte> payload = attrPayload(attr);
    switch (mnl_attr_get_type(attr)) {
    case RTA_DST:
        if (auto dst = ipAddressFromBytes(family, payload))
            route.destination.address = *dst;
        break;
    case RTA_GATEWAY:
        route.gateway = ipAddressFromBytes(family, payload);
        break;
    case RTA_OIF:
        route.oif = static_cast<int>(attrU32(attr).value_or(0));
        break;
    case RTA_TABLE:
        // Tables above 255 exist only here; rtm_table then says RT_TABLE_COMPAT.
        route.table = attrU32(attr).value_or(route.table);
        break;
    default:
        break;
    }
    return MNL_CB_OK;
}

} // namespace

Message newRouteRequest(const IpPrefix &destination, const std::optional<IpAddress> &gateway,
                        int oif)
{
    Message m(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
    rtmsg &rtm = putRouteHeader(m, destination);
    // RTPROT_STATIC: put there by an administrator, not learnt or derived from an address.
    rtm.rtm_protocol = RTPROT_STATIC;
    rtm.rtm_type = RTN_UNICAST;
    // An IPv4 route with no gateway reaches hosts on the link itself; IPv6 keeps no scope.
    rtm.rtm_scope =
        destination.address.family == AF_INET && !gateway ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
    putRouteAttrs(m, destination, gateway, oif);
    return m;
}

Message deleteRouteRequest(const IpPrefix &destination, const std::optional<IpAddress> &gateway,
                           int oif)
{
    // Zero protocol and type match any; RT_SCOPE_NOWHERE is the scope that matches any.
    Message m(RTM_DELROUTE, 0);
    putRouteHeader(m, destination).rtm_scope = RT_SCOPE_NOWHERE;
    putRouteAttrs(m, destination, gateway, oif);
    return m;
}

Message listRoutesRequest(int family)
{
    // Strict checking refuses a dump whose rtmsg sets anything but family, table and protocol.
    Message m(RTM_GETROUTE, NLM_F_DUMP);
    m.putHeader<rtmsg>().rtm_family = static_cast<uint8_t>(family);
    return m;
}

Result<Route> parseRoute(const nlmsghdr &nlh)
{
    const auto *rtm = HUSK_TRY(replyHeader<rtmsg>(nlh, RTM_NEWROUTE, "RTM_NEWROUTE"));
    Route route;
    route.destination = anyPrefix(rtm->rtm_family);
    route.destination.length = rtm->rtm_dst_len;
    route.table = rtm->rtm_table;
    route.protocol = rtm->rtm_protocol;
    route.scope = rtm->rtm_scope;
    route.type = rtm->rtm_type;
    if (mnl_attr_parse(&nlh, sizeof(rtmsg), onRouteAttr, &route) < 0)
        return failErrno("parse RTM_NEWROUTE attributes");
    return route;
}

Result<void> addRoute(Socket &socket, const IpPrefix &destination,
                      const std::optional<IpAddress> &gateway, std::string_view device)
{
    return sendRoute(socket, describe("add", destination, gateway, device), destination, gateway,
                     device, [&](int oif) { return newRouteRequest(destination, gateway, oif); });
}

Result<void> deleteRoute(Socket &socket, const IpPrefix &destination,
                         const std::optional<IpAddress> &gateway, std::string_view device)
{
    return sendRoute(socket, describe("delete", destination, gateway, device), destination, gateway,
                     device,
                     [&](int oif) { return deleteRouteRequest(destination, gateway, oif); });
}

Result<void> addDefaultRoute(Socket &socket, const IpAddress &gateway, std::string_view device)
{
    return addRoute(socket, anyPrefix(gateway.family), gateway, device);
}

Result<std::vector<Route>> listRoutes(Socket &socket, int family)
{
    const std::string what =
        "list " + std::string(family == AF_INET6 ? "IPv6" : "IPv4") + " routes";
    if (addressBits(family) == 0)
        return fail(what + ": family " + std::to_string(family) + " is not IPv4 or IPv6",
                    EAFNOSUPPORT);
    Message m = listRoutesRequest(family);
    return collect<Route>(socket, m, parseRoute, what);
}

} // namespace husk::netlink
