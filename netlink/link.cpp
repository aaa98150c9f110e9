#include "netlink/link.h"

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include <cerrno>
#include <optional>
#include <string>
#include <utility>

namespace husk::netlink {

namespace {

std::string inQuotes(std::string_view name)
{
    return "\"" + std::string(name) + "\"";
}

// The header every link request starts with: AF_UNSPEC, the index, nothing else set (strict
// checking refuses stray type or flag bits on GETLINK).
ifinfomsg &putLinkHeader(Message &m, int index)
{
    auto &ifi = m.putHeader<ifinfomsg>();
    ifi.ifi_family = AF_UNSPEC;
    ifi.ifi_index = index;
    return ifi;
}

} // namespace

Message getLinkRequest(std::string_view name)
{
    Message m(RTM_GETLINK, 0);
    putLinkHeader(m, 0);
    m.putString(IFLA_IFNAME, name);
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

Message newVethRequest(std::string_view name, std::string_view peerName)
{
    Message m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    putLinkHeader(m, 0);
    m.putString(IFLA_IFNAME, name);
    {
        Nest info = m.nest(IFLA_LINKINFO);
        m.putString(IFLA_INFO_KIND, "veth");
        Nest data = m.nest(IFLA_INFO_DATA);
        // VETH_INFO_PEER holds a whole link request of its own: ifinfomsg, then attributes.
        Nest peer = m.nest(VETH_INFO_PEER);
        m.putHeader<ifinfomsg>().ifi_family = AF_UNSPEC;
        m.putString(IFLA_IFNAME, peerName);
    }
    return m;
}

Message setLinkNetnsRequest(int index, int netnsFd, std::string_view newName)
{
    Message m(RTM_NEWLINK, 0);
    putLinkHeader(m, index);
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

Message deleteLinkRequest(int index)
{
    Message m(RTM_DELLINK, 0);
    putLinkHeader(m, index);
    return m;
}

Result<Link> parseLink(const nlmsghdr &nlh)
{
    if (nlh.nlmsg_type != RTM_NEWLINK)
        return fail("unexpected netlink message type " + std::to_string(nlh.nlmsg_type) +
                        " (wanted RTM_NEWLINK)",
                    EBADMSG);
    if (mnl_nlmsg_get_payload_len(&nlh) < sizeof(ifinfomsg))
        return fail("truncated RTM_NEWLINK message", EBADMSG);
    const auto *ifi = static_cast<const ifinfomsg *>(mnl_nlmsg_get_payload(&nlh));
    Link link;
    link.index = ifi->ifi_index;
    link.flags = ifi->ifi_flags;
    auto onAttr = [](const nlattr *attr, void *data) -> int {
        Link &l = *static_cast<Link *>(data);
        switch (mnl_attr_get_type(attr)) {
        case IFLA_IFNAME:
            if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
                l.name = mnl_attr_get_str(attr);
            break;
        case IFLA_LINKINFO: {
            // libmnl's for_each macros are C (void * arithmetic): walk the nest by callback.
            auto onInfo = [](const nlattr *inner, void *kind) -> int {
                if (mnl_attr_get_type(inner) == IFLA_INFO_KIND &&
                    mnl_attr_validate(inner, MNL_TYPE_NUL_STRING) >= 0)
                    *static_cast<std::string *>(kind) = mnl_attr_get_str(inner);
                return MNL_CB_OK;
            };
            (void)mnl_attr_parse_nested(attr, onInfo, &l.kind);
            break;
        }
        default:
            break;
        }
        return MNL_CB_OK;
    };
    if (mnl_attr_parse(&nlh, sizeof(ifinfomsg), onAttr, &link) < 0)
        return failErrno("parse RTM_NEWLINK attributes");
    return link;
}

Result<Link> getLink(Socket &socket, std::string_view name)
{
    Message m = getLinkRequest(name);
    std::optional<Link> found;
    auto r = socket.dump(m, [&](const nlmsghdr &nlh) -> Result<void> {
        found = HUSK_TRY(parseLink(nlh));
        return {};
    });
    if (!r)
        return wrap(std::move(r).error(), "link " + inQuotes(name));
    if (!found)
        return fail("link " + inQuotes(name), ENODEV);
    return std::move(*found);
}

Result<int> linkIndex(Socket &socket, std::string_view name)
{
    Link link = HUSK_TRY(getLink(socket, name));
    return link.index;
}

Result<std::vector<Link>> listLinks(Socket &socket)
{
    Message m = listLinksRequest();
    std::vector<Link> links;
    auto r = socket.dump(m, [&](const nlmsghdr &nlh) -> Result<void> {
        links.push_back(HUSK_TRY(parseLink(nlh)));
        return {};
    });
    if (!r)
        return wrap(std::move(r).error(), "list links");
    return links;
}

Result<void> createLink(Socket &socket, std::string_view name, std::string_view kind)
{
    Message m = newLinkRequest(name, kind);
    HUSK_TRY_CTX(socket.ack(m), "create " + std::string(kind) + " link " + inQuotes(name));
    return {};
}

Result<void> createVeth(Socket &socket, std::string_view name, std::string_view peerName)
{
    Message m = newVethRequest(name, peerName);
    HUSK_TRY_CTX(socket.ack(m), "create veth pair " + inQuotes(name) + " / " + inQuotes(peerName));
    return {};
}

Result<void> moveLinkToNetns(Socket &socket, std::string_view name, int netnsFd,
                             std::string_view newName)
{
    std::string what = "move link " + inQuotes(name) + " to another network namespace";
    if (!newName.empty())
        what += " as " + inQuotes(newName);
    int index = HUSK_TRY_CTX(linkIndex(socket, name), what);
    Message m = setLinkNetnsRequest(index, netnsFd, newName);
    HUSK_TRY_CTX(socket.ack(m), what);
    return {};
}

Result<void> setLinkUp(Socket &socket, std::string_view name, bool up)
{
    std::string what = "set link " + inQuotes(name) + (up ? " up" : " down");
    int index = HUSK_TRY_CTX(linkIndex(socket, name), what);
    Message m = setLinkUpRequest(index, up);
    HUSK_TRY_CTX(socket.ack(m), what);
    return {};
}

Result<void> deleteLink(Socket &socket, std::string_view name)
{
    std::string what = "delete link " + inQuotes(name);
    int index = HUSK_TRY_CTX(linkIndex(socket, name), what);
    Message m = deleteLinkRequest(index);
    HUSK_TRY_CTX(socket.ack(m), what);
    return {};
}

} // namespace husk::netlink
