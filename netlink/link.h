#pragma once

// Network links (RTM_*LINK): one pure builder per request, one small operation per action that
// sends it. Builders address links by index (what the kernel keys on); operations take names
// and look the index up, so errors can name the link.

#include <linux/netlink.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "netlink/message.h"
#include "netlink/socket.h"

namespace husk::netlink {

/// What husk reads back about a link.
struct Link {
    int index = 0;
    std::string name;
    unsigned flags = 0; // IFF_UP, IFF_LOOPBACK, ...
    std::string kind;   // IFLA_INFO_KIND ("veth", "dummy"); empty for physical devices
};

/// RTM_GETLINK for one link by name.
Message getLinkRequest(std::string_view name);
/// RTM_GETLINK dump of every link in the socket's namespace.
Message listLinksRequest();
/// RTM_NEWLINK creating a link of a kind that needs no further data ("dummy", "ifb").
Message newLinkRequest(std::string_view name, std::string_view kind);
/// RTM_NEWLINK creating a dummy link.
Message newDummyRequest(std::string_view name);
/// RTM_NEWLINK creating a veth pair: name here, peerName its other end (same namespace).
Message newVethRequest(std::string_view name, std::string_view peerName);
/// RTM_NEWLINK moving link index into the network namespace netnsFd refers to, renamed to
/// newName there when it is not empty (the kernel moves first, then renames in the target).
Message setLinkNetnsRequest(int index, int netnsFd, std::string_view newName = {});
/// RTM_NEWLINK setting IFF_UP on or off, leaving the other flags alone.
Message setLinkUpRequest(int index, bool up);
/// RTM_DELLINK of link index.
Message deleteLinkRequest(int index);

/// Decodes an RTM_NEWLINK reply.
[[nodiscard]] Result<Link> parseLink(const nlmsghdr &nlh);

/// Looks a link up by name; ENODEV when there is none.
[[nodiscard]] Result<Link> getLink(Socket &socket, std::string_view name);
/// The index of a link by name; ENODEV when there is none.
[[nodiscard]] Result<int> linkIndex(Socket &socket, std::string_view name);
/// Every link in the socket's namespace.
[[nodiscard]] Result<std::vector<Link>> listLinks(Socket &socket);
/// Creates a link of a kind that takes no data.
[[nodiscard]] Result<void> createLink(Socket &socket, std::string_view name, std::string_view kind);
/// Creates a veth pair.
[[nodiscard]] Result<void> createVeth(Socket &socket, std::string_view name,
                                      std::string_view peerName);
/// Moves a link of the socket's namespace into netnsFd's, renamed to newName if not empty.
[[nodiscard]] Result<void> moveLinkToNetns(Socket &socket, std::string_view name, int netnsFd,
                                           std::string_view newName = {});
/// Sets a link up or down.
[[nodiscard]] Result<void> setLinkUp(Socket &socket, std::string_view name, bool up);
/// Deletes a link.
[[nodiscard]] Result<void> deleteLink(Socket &socket, std::string_view name);

} // namespace husk::netlink
