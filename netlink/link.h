#pragma once

// Network links (RTM_*LINK): one pure builder per request, one small operation per action that
// sends it. Builders address links by index (what the kernel keys on); operations take names
// and look the index up, so errors can name the link.

#include <linux/netlink.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "netlink/ip_address.h"
#include "netlink/message.h"
#include "netlink/socket.h"

namespace husk::netlink {

/// What husk reads back about a link.
struct Link {
    int index = 0;
    std::string name;
    unsigned flags = 0; // IFF_UP, IFF_LOOPBACK, ...
    std::string kind;   // IFLA_INFO_KIND ("veth", "dummy"); empty for physical devices
    uint32_t mtu = 0;
    int master = 0;                // IFLA_MASTER: the bridge this link is a port of, 0 for none
    std::optional<MacAddress> mac; // IFLA_ADDRESS, when the link has an Ethernet address
    bool hairpin = false;          // a bridge port's IFLA_BRPORT_MODE
};

/// RTM_GETLINK for one link by name.
Message getLinkRequest(std::string_view name);
/// RTM_GETLINK for one link by index.
Message getLinkByIndexRequest(int index);
/// RTM_GETLINK dump of every link in the socket's namespace.
Message listLinksRequest();
/// RTM_NEWLINK creating a link of a kind that needs no further data ("dummy", "ifb").
Message newLinkRequest(std::string_view name, std::string_view kind);
/// RTM_NEWLINK creating a dummy link.
Message newDummyRequest(std::string_view name);
/// RTM_NEWLINK creating a bridge, already up; mtu 0 leaves the kernel's default.
Message newBridgeRequest(std::string_view name, uint32_t mtu = 0);
/// RTM_NEWLINK creating a veth pair: name in the socket's namespace, peerName its other end,
/// created directly in the namespace peerNetnsFd refers to (-1: the socket's own). mtu 0 leaves
/// the kernel's default, otherwise both ends get it.
Message newVethRequest(std::string_view name, std::string_view peerName, int peerNetnsFd = -1,
                       uint32_t mtu = 0);
/// RTM_NEWLINK moving link index into the network namespace netnsFd refers to, renamed to
/// newName there when it is not empty (the kernel moves first, then renames in the target).
Message setLinkNetnsRequest(int index, int netnsFd, std::string_view newName = {});
/// RTM_NEWLINK setting IFF_UP on or off, leaving the other flags alone.
Message setLinkUpRequest(int index, bool up);
/// RTM_NEWLINK making link index a port of bridge masterIndex (0: of no bridge).
Message setLinkMasterRequest(int index, int masterIndex);
/// RTM_NEWLINK renaming link index (kernels before 6.2 refuse EBUSY while the link is up).
Message renameLinkRequest(int index, std::string_view newName);
/// RTM_NEWLINK setting the MTU of link index.
Message setLinkMtuRequest(int index, uint32_t mtu);
/// RTM_NEWLINK setting the Ethernet address of link index.
Message setLinkMacRequest(int index, const MacAddress &mac);
/// RTM_SETLINK (AF_BRIDGE) turning hairpin mode of bridge port index on or off: whether the
/// bridge sends a frame back out of the port it came in by (a pod reaching itself through a
/// port forward).
Message setHairpinRequest(int index, bool on);
/// RTM_DELLINK of link index.
Message deleteLinkRequest(int index);

/// Decodes an RTM_NEWLINK reply.
[[nodiscard]] Result<Link> parseLink(const nlmsghdr &nlh);

/// Looks a link up by name; ENODEV when there is none.
[[nodiscard]] Result<Link> getLink(Socket &socket, std::string_view name);
/// Looks a link up by index; ENODEV when there is none.
[[nodiscard]] Result<Link> getLinkByIndex(Socket &socket, int index);
/// The index of a link by name; ENODEV when there is none.
[[nodiscard]] Result<int> linkIndex(Socket &socket, std::string_view name);
/// Looks link name up and sends (Socket::ack) the request build(index) returns; a failure of
/// either is prefixed with what ("add address 10.77.0.5/16 to link \"eth0\"").
template <typename Build>
[[nodiscard]] Result<void> ackForLink(Socket &socket, std::string_view name,
                                      const std::string &what, Build build)
{
    int index = HUSK_TRY_CTX(linkIndex(socket, name), what);
    Message m = build(index);
    HUSK_TRY_CTX(socket.ack(m), what);
    return {};
}
/// Every link in the socket's namespace.
[[nodiscard]] Result<std::vector<Link>> listLinks(Socket &socket);
/// Creates a link of a kind that takes no data.
[[nodiscard]] Result<void> createLink(Socket &socket, std::string_view name, std::string_view kind);
/// Makes sure a bridge called name exists, is up and (mtu != 0) has that MTU, and returns it.
/// An existing bridge is fine (another husk may have made it a moment ago); a link of that
/// name that is not a bridge is EEXIST.
[[nodiscard]] Result<Link> createBridge(Socket &socket, std::string_view name, uint32_t mtu = 0);
/// Creates a veth pair, the peer directly in peerNetnsFd's namespace (-1: the socket's own).
[[nodiscard]] Result<void> createVeth(Socket &socket, std::string_view name,
                                      std::string_view peerName, int peerNetnsFd = -1,
                                      uint32_t mtu = 0);
/// Moves a link of the socket's namespace into netnsFd's, renamed to newName if not empty.
[[nodiscard]] Result<void> moveLinkToNetns(Socket &socket, std::string_view name, int netnsFd,
                                           std::string_view newName = {});
/// Sets a link up or down.
[[nodiscard]] Result<void> setLinkUp(Socket &socket, std::string_view name, bool up);
/// Makes link name a port of bridge master.
[[nodiscard]] Result<void> setLinkMaster(Socket &socket, std::string_view name,
                                         std::string_view master);
/// Takes link name out of its bridge, if it is in one.
[[nodiscard]] Result<void> setLinkNoMaster(Socket &socket, std::string_view name);
/// Renames a link (kernels before 6.2 refuse EBUSY while it is up: set it down first).
[[nodiscard]] Result<void> renameLink(Socket &socket, std::string_view name,
                                      std::string_view newName);
/// Sets a link's MTU.
[[nodiscard]] Result<void> setLinkMtu(Socket &socket, std::string_view name, uint32_t mtu);
/// Sets a link's Ethernet address.
[[nodiscard]] Result<void> setLinkMac(Socket &socket, std::string_view name, const MacAddress &mac);
/// Turns hairpin mode of a bridge port on or off.
[[nodiscard]] Result<void> setHairpin(Socket &socket, std::string_view name, bool on);
/// Deletes a link.
[[nodiscard]] Result<void> deleteLink(Socket &socket, std::string_view name);

} // namespace husk::netlink
