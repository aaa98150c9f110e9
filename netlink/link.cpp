#include "netlink/link.h"

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "common/text.h"

namespace husk::netlink {

namespace {

// The header every link request starts with: AF_UNSPEC, the index, nothing else set (strict
// checking refuses stray type or flag bits on GETLINK).
ifinfomsg &putLinkHeader(Message &m, int index)
{
    auto &ifi = m.putHeader<ifinfomsg>();
    ifi.ifi_family = AF_UNSPEC;
    ifi.ifi_index = index;
    return ifi;
}

// A request that changes one thing about an existing link: RTM_NEWLINK on its index, without
// NLM_F_CREATE, so a link that vanished is ENODEV rather than something new.
Message changeLinkRequest(int index)
{
    Message m(RTM_NEWLINK, 0);
    putLinkHeader(m, index);
    return m;
}

// The kernel says nothing but EEXIST when a new link's name is taken (rtnl_newlink has no
// extended-ack text for it): name the link, so "File exists" is not left to guesswork.
Error explainExists(Error error, std::string_view name, std::string_view where = {})
{
    if (error.code() != EEXIST || !error.message().empty())
        return error;
    return Error("a link named " + inQuotes(name) + " already exists" + std::string(where), EEXIST);
}

// What parseLink takes from IFLA_LINKINFO.
struct LinkInfo {
    std::string kind;
    std::string slaveKind;             // "bridge" for a bridge port
    const nlattr *slaveData = nullptr; // IFLA_INFO_SLAVE_DATA, read once slaveKind is known
};

int onLinkInfoAttr(const nlattr *attr, void *data)
{
    auto &info = *static_cast<LinkInfo *>(data);
    switch (mnl_attr_get_type(attr)) {
    case IFLA_INFO_KIND:
        info.kind = attrString(attr).value_or("");
        break;
    case IFLA_INFO_SLAVE_KIND:
        info.slaveKind = attrString(attr).value_or("");
        break;
    case IFLA_INFO_SLAVE_DATA:
        info.slaveData = attr;
        break;
    default:
        break;
    }
    return MNL_CB_OK;
}

int onBridgePortAttr(const nlattr *attr, void *data)
{
    if (mnl_attr_get_type(attr) == IFLA_BRPORT_MODE)
        *static_cast<bool *>(data) = attrU8(attr).value_or(0) != 0;
    return MNL_CB_OK;
}

int onLinkAttr(const nlattr *attr, void *data)
{
    Link &link = *static_cast<Link *>(data);
    switch (mnl_attr_get_type(attr)) {
    case IFLA_IFNAME:
        link.name = attrString(attr).value_or("");
        break;
    case IFLA_MTU:
        link.mtu = attrU32(attr).value_or(0);
        break;
    case IFLA_MASTER:
        link.master = static_cast<int>(attrU32(attr).value_or(0));
        break;
    case IFLA_ADDRESS:
        // Ethernet-like links only: tunnels carry 4 or 16 bytes, some links none.
        if (auto bytes = attrPayload(attr); bytes.size() == sizeof(MacAddress)) {
            MacAddress mac;
            std::memcpy(mac.data(), bytes.data(), mac.size());
            link.mac = mac;
        }
        break;
    case IFLA_LINKINFO: {
        // libmnl's for_each macros are C (void * arithmetic): walk the nests by callback.
        LinkInfo info;
        (void)mnl_attr_parse_nested(attr, onLinkInfoAttr, &info);
        link.kind = info.kind;
        // Slave data is numbered by the master's kind (a bond port's attributes differ).
        if (info.slaveKind == "bridge" && info.slaveData)
            (void)mnl_attr_parse_nested(info.slaveData, onBridgePortAttr, &link.hairpin);
        break;
    }
    default:
        break;
    }
    return MNL_CB_OK;
}

} // namespace

Message getLinkRequest(std::string_view name)
{
    Message m(RTM_GETLINK, 0);
    putLinkHeader(m, 0);
    m.putString(IFLA_IFNAME, name);
    return m;
}

Message getLinkByIndexRequest(int index)
{
    Message m(RTM_GETLINK, 0);
    putLinkHeader(m, index);
    return m;
}

Message listLinksRequest()
{
    Message m(RTM_GETLINK, NLM_F_DUMP);
    putLinkHeader(m, 0);
    return m;
}

Message newLinkRequest(std::string_view name, std::string_view kind)
{
    Message m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    putLinkHeader(m, 0);
    m.putString(IFLA_IFNAME, name);
    {
        Nest info = m.nest(IFLA_LINKINFO);
        m.putString(IFLA_INFO_KIND, kind);
    }
    return m;
}

Message newDummyRequest(std::string_view name)
{
    return newLinkRequest(name, "dummy");
}

Message newBridgeRequest(std::string_view name, uint32_t mtu)
{
    Message m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    // Flags in a create apply to the new link: it comes up without a second request.
    ifinfomsg &ifi = putLinkHeader(m, 0);
    ifi.ifi_flags = IFF_UP;
    ifi.ifi_change = IFF_UP;
    m.putString(IFLA_IFNAME, name);
    if (mtu != 0)
        m.putU32(IFLA_MTU, mtu);
    {
        Nest info = m.nest(IFLA_LINKINFO);
        m.putString(IFLA_INFO_KIND, "bridge");
    }
    return m;
}

Message newVethRequest(std::string_view name, std::string_view peerName, int peerNetnsFd,
                       uint32_t mtu)
{
    Message m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    putLinkHeader(m, 0);
    m.putString(IFLA_IFNAME, name);
    if (mtu != 0)
        m.putU32(IFLA_MTU, mtu);
    {
        Nest info = m.nest(IFLA_LINKINFO);
        m.putString(IFLA_INFO_KIND, "veth");
        Nest data = m.nest(IFLA_INFO_DATA);
        // VETH_INFO_PEER holds a whole link request of its own: ifinfomsg, then attributes. Its
        // IFLA_NET_NS_FD makes the kernel create the peer in that namespace, and check its name
        // there: cheaper than creating it here and moving it (a second full registration).
        Nest peer = m.nest(VETH_INFO_PEER);
        m.putHeader<ifinfomsg>().ifi_family = AF_UNSPEC;
        m.putString(IFLA_IFNAME, peerName);
        if (mtu != 0)
            m.putU32(IFLA_MTU, mtu);
        if (peerNetnsFd >= 0)
            m.putU32(IFLA_NET_NS_FD, static_cast<uint32_t>(peerNetnsFd));
    }
    return m;
}

Message setLinkNetnsRequest(int index, int netnsFd, std::string_view newName)
{
    Message m = changeLinkRequest(index);
    m.putU32(IFLA_NET_NS_FD, static_cast<uint32_t>(netnsFd));
    if (!newName.empty())
        m.putString(IFLA_IFNAME, newName);
    return m;
}

Message setLinkUpRequest(int index, bool up)
{
    Message m(RTM_NEWLINK, 0);
    ifinfomsg &ifi = putLinkHeader(m, index);
    ifi.ifi_flags = up ? IFF_UP : 0;
    ifi.ifi_change = IFF_UP;
    return m;
}

Message setLinkMasterRequest(int index, int masterIndex)
{
    Message m = changeLinkRequest(index);
    m.putU32(IFLA_MASTER, static_cast<uint32_t>(masterIndex));
    return m;
}

Message renameLinkRequest(int index, std::string_view newName)
{
    Message m = changeLinkRequest(index);
    m.putString(IFLA_IFNAME, newName);
    return m;
}

Message setLinkMtuRequest(int index, uint32_t mtu)
{
    Message m = changeLinkRequest(index);
    m.putU32(IFLA_MTU, mtu);
    return m;
}

Message setLinkMacRequest(int index, const MacAddress &mac)
{
    Message m = changeLinkRequest(index);
    m.put(IFLA_ADDRESS, std::as_bytes(std::span(mac)));
    return m;
}

Message setHairpinRequest(int index, bool on)
{
    // Bridge port settings go to the bridge's own handler: RTM_SETLINK in family AF_BRIDGE,
    // IFLA_PROTINFO as a nest (without NLA_F_NESTED the kernel reads it as a bare port state).
    Message m(RTM_SETLINK, 0);
    putLinkHeader(m, index).ifi_family = AF_BRIDGE;
    {
        Nest protinfo = m.nest(IFLA_PROTINFO);
        m.putU8(IFLA_BRPORT_MODE, on ? 1 : 0);
    }
    return m;
}

Message deleteLinkRequest(int index)
{
    Message m(RTM_DELLINK, 0);
    putLinkHeader(m, index);
    return m;
}

Result<Link> parseLink(const nlmsghdr &nlh)
{
    const auto *ifi = HUSK_TRY(replyHeader<ifinfomsg>(nlh, RTM_NEWLINK, "RTM_NEWLINK"));
    Link link;
    link.index = ifi->ifi_index;
    link.flags = ifi->ifi_flags;
    if (mnl_attr_parse(&nlh, sizeof(ifinfomsg), onLinkAttr, &link) < 0)
        return failErrno("parse RTM_NEWLINK attributes");
    return link;
}

namespace {

// Sends a single-link GETLINK and decodes the answer; what names the link in errors.
Result<Link> fetchLink(Socket &socket, Message &m, const std::string &what)
{
    std::optional<Link> found;
    auto r = socket.dump(m, [&](const nlmsghdr &nlh) -> Result<void> {
        found = HUSK_TRY(parseLink(nlh));
        return {};
    });
    if (!r)
        return wrap(std::move(r).error(), what);
    if (!found)
        return fail(what, ENODEV);
    return std::move(*found);
}

} // namespace

Result<Link> getLink(Socket &socket, std::string_view name)
{
    Message m = getLinkRequest(name);
    return fetchLink(socket, m, "link " + inQuotes(name));
}

Result<Link> getLinkByIndex(Socket &socket, int index)
{
    Message m = getLinkByIndexRequest(index);
    return fetchLink(socket, m, "link #" + std::to_string(index));
}

Result<int> linkIndex(Socket &socket, std::string_view name)
{
    Link link = HUSK_TRY(getLink(socket, name));
    return link.index;
}

Result<std::vector<Link>> listLinks(Socket &socket)
{
    Message m = listLinksRequest();
    return collect<Link>(socket, m, parseLink, "list links");
}

Result<void> createLink(Socket &socket, std::string_view name, std::string_view kind)
{
    Message m = newLinkRequest(name, kind);
    if (auto r = socket.ack(m); !r)
        return wrap(explainExists(std::move(r).error(), name),
                    "create " + std::string(kind) + " link " + inQuotes(name));
    return {};
}

Result<Link> createBridge(Socket &socket, std::string_view name, uint32_t mtu)
{
    const std::string what = "create bridge " + inQuotes(name);
    Message m = newBridgeRequest(name, mtu);
    auto created = socket.ack(m);
    // EEXIST is no failure yet: the link may be the bridge asked for, made earlier or by a
    // concurrent husk a moment ago. What it is decides.
    if (!created && created.error().code() != EEXIST)
        return wrap(std::move(created).error(), what);
    Link link = HUSK_TRY_CTX(getLink(socket, name), what);
    if (link.kind != "bridge")
        return fail(
            what + ": link exists and is " +
                (link.kind.empty() ? std::string("a device of no kind") : "a " + link.kind) +
                ", not a bridge",
            EEXIST);
    if (mtu != 0 && link.mtu != mtu) {
        Message set = setLinkMtuRequest(link.index, mtu);
        HUSK_TRY_CTX(socket.ack(set), what + ": set MTU " + std::to_string(mtu));
        link.mtu = mtu;
    }
    if (!(link.flags & IFF_UP)) {
        Message up = setLinkUpRequest(link.index, true);
        HUSK_TRY_CTX(socket.ack(up), what + ": set up");
        link.flags |= IFF_UP;
    }
    return link;
}

Result<void> createVeth(Socket &socket, std::string_view name, std::string_view peerName,
                        int peerNetnsFd, uint32_t mtu)
{
    std::string what = "create veth pair " + inQuotes(name) + " / " + inQuotes(peerName);
    if (peerNetnsFd >= 0)
        what += " (peer in another network namespace)";
    Message m = newVethRequest(name, peerName, peerNetnsFd, mtu);
    if (auto r = socket.ack(m); !r) {
        Error error = std::move(r).error();
        // Either end's name may be the one taken; only this end's is at hand to check.
        if (error.code() == EEXIST && !getLink(socket, name))
            return wrap(explainExists(std::move(error), peerName,
                                      peerNetnsFd >= 0 ? " in the peer's namespace" : ""),
                        what);
        return wrap(explainExists(std::move(error), name), what);
    }
    return {};
}

Result<void> moveLinkToNetns(Socket &socket, std::string_view name, int netnsFd,
                             std::string_view newName)
{
    std::string what = "move link " + inQuotes(name) + " to another network namespace";
    if (!newName.empty())
        what += " as " + inQuotes(newName);
    return ackForLink(socket, name, what,
                      [&](int index) { return setLinkNetnsRequest(index, netnsFd, newName); });
}

Result<void> setLinkUp(Socket &socket, std::string_view name, bool up)
{
    return ackForLink(socket, name, "set link " + inQuotes(name) + (up ? " up" : " down"),
                      [&](int index) { return setLinkUpRequest(index, up); });
}

Result<void> setLinkMaster(Socket &socket, std::string_view name, std::string_view master)
{
    std::string what = "set master of link " + inQuotes(name) + " to " + inQuotes(master);
    int masterIndex = HUSK_TRY_CTX(linkIndex(socket, master), what);
    return ackForLink(socket, name, what,
                      [&](int index) { return setLinkMasterRequest(index, masterIndex); });
}

Result<void> setLinkNoMaster(Socket &socket, std::string_view name)
{
    return ackForLink(socket, name, "take link " + inQuotes(name) + " out of its bridge",
                      [](int index) { return setLinkMasterRequest(index, 0); });
}

Result<void> renameLink(Socket &socket, std::string_view name, std::string_view newName)
{
    return ackForLink(socket, name, "rename link " + inQuotes(name) + " to " + inQuotes(newName),
                      [&](int index) { return renameLinkRequest(index, newName); });
}

Result<void> setLinkMtu(Socket &socket, std::string_view name, uint32_t mtu)
{
    return ackForLink(socket, name,
                      "set MTU of link " + inQuotes(name) + " to " + std::to_string(mtu),
                      [&](int index) { return setLinkMtuRequest(index, mtu); });
}

Result<void> setLinkMac(Socket &socket, std::string_view name, const MacAddress &mac)
{
    return ackForLink(socket, name,
                      "set address of link " + inQuotes(name) + " to " + formatMac(mac),
                      [&](int index) { return setLinkMacRequest(index, mac); });
}

Result<void> setHairpin(Socket &socket, std::string_view name, bool on)
{
    return ackForLink(socket, name,
                      "turn hairpin " + std::string(on ? "on" : "off") + " on bridge port " +
                          inQuotes(name),
                      [&](int index) { return setHairpinRequest(index, on); });
}

Result<void> deleteLink(Socket &socket, std::string_view name)
{
    return ackForLink(socket, name, "delete link " + inQuotes(name),
                      [](int index) { return deleteLinkRequest(index); });
}

} // namespace husk::netlink
