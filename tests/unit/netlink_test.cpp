// netlink/: request builders byte for byte and address parsing (no root), and Socket exchanges
// against the kernel inside network namespaces the test creates (root; skipped otherwise). The
// host's namespace is never touched: every kernel test runs in a forked child that first
// unshares its own, and a second one (a "pod") is made inside that. Every link is named hkt...
// and goes away with the namespaces when the child exits, pass or fail.

#define BOOST_TEST_MODULE netlink
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "netlink/address.h"
#include "netlink/ip_address.h"
#include "netlink/link.h"
#include "netlink/message.h"
#include "netlink/netns.h"
#include "netlink/nftables.h"
#include "netlink/route.h"
#include "netlink/socket.h"
#include "tests/unit/netns_test_helpers.h"

using namespace husk;
using namespace husk::netlink;
using namespace netns_test;

namespace {

using Bytes = std::vector<uint8_t>;

// An independent encoder for the expected bytes, written from netlink(7) rather than libmnl.
void append(Bytes &out, const void *data, size_t size)
{
    // resize + memcpy rather than insert: GCC 12's -Wstringop-overflow misfires on the latter.
    size_t old = out.size();
    out.resize(old + size);
    if (size)
        std::memcpy(out.data() + old, data, size);
}

void pad(Bytes &out)
{
    while (out.size() % 4)
        out.push_back(0);
}

Bytes attr(uint16_t type, const Bytes &payload)
{
    Bytes out;
    uint16_t len = static_cast<uint16_t>(4 + payload.size());
    append(out, &len, 2);
    append(out, &type, 2);
    append(out, payload.data(), payload.size());
    pad(out);
    return out;
}

// A nested attribute: libmnl marks nests with NLA_F_NESTED, as strict kernel validation wants.
Bytes nest(uint16_t type, const Bytes &payload)
{
    return attr(type | NLA_F_NESTED, payload);
}

Bytes str(const std::string &s)
{
    Bytes out;
    append(out, s.c_str(), s.size() + 1);
    return out;
}

// The bytes of a value as the host lays it out: a number, or a family header struct.
template <typename T> Bytes raw(const T &value)
{
    Bytes out;
    append(out, &value, sizeof(value));
    return out;
}

Bytes u32(uint32_t v)
{
    return raw(v);
}

Bytes u16(uint16_t v)
{
    return raw(v);
}

Bytes cat(std::initializer_list<Bytes> parts)
{
    Bytes out;
    for (const Bytes &p : parts)
        append(out, p.data(), p.size());
    return out;
}

Bytes u8(uint8_t v)
{
    return Bytes{v};
}

Bytes ifinfo(int index, unsigned flags = 0, unsigned change = 0, uint8_t family = AF_UNSPEC)
{
    ifinfomsg ifi{};
    ifi.ifi_family = family;
    ifi.ifi_index = index;
    ifi.ifi_flags = flags;
    ifi.ifi_change = change;
    return raw(ifi);
}

Bytes ifaddr(uint8_t family, uint8_t prefixLength, uint32_t index)
{
    ifaddrmsg ifa{};
    ifa.ifa_family = family;
    ifa.ifa_prefixlen = prefixLength;
    ifa.ifa_index = index;
    return raw(ifa);
}

struct RtmFields {
    uint8_t family;
    uint8_t dstLen = 0;
    uint8_t table = 0;
    uint8_t protocol = 0;
    uint8_t scope = 0;
    uint8_t type = 0;
};

Bytes rtm(const RtmFields &f)
{
    rtmsg r{};
    r.rtm_family = f.family;
    r.rtm_dst_len = f.dstLen;
    r.rtm_table = f.table;
    r.rtm_protocol = f.protocol;
    r.rtm_scope = f.scope;
    r.rtm_type = f.type;
    return raw(r);
}

// An address in network order, from its text (inet_pton, independent of parseIpAddress).
Bytes ip(const char *text)
{
    int family = std::strchr(text, ':') ? AF_INET6 : AF_INET;
    uint8_t buf[16] = {};
    BOOST_REQUIRE(::inet_pton(family, text, buf) == 1);
    return Bytes(buf, buf + (family == AF_INET ? 4 : 16));
}

Bytes message(uint16_t type, uint16_t flags, const Bytes &body)
{
    nlmsghdr h{};
    h.nlmsg_len = static_cast<uint32_t>(sizeof(h) + body.size());
    h.nlmsg_type = type;
    h.nlmsg_flags = flags;
    Bytes out;
    append(out, &h, sizeof(h));
    append(out, body.data(), body.size());
    return out;
}

Bytes bytesOf(const Message &m)
{
    auto b = m.bytes();
    const auto *p = reinterpret_cast<const uint8_t *>(b.data());
    return Bytes(p, p + b.size());
}

const nlmsghdr &header(const Bytes &bytes)
{
    return *reinterpret_cast<const nlmsghdr *>(bytes.data());
}

IpPrefix prefix(std::string_view text)
{
    return parsed(parseIpPrefix(text));
}

IpAddress address(std::string_view text)
{
    return parsed(parseIpAddress(text));
}

// Skips a test that needs root, saying why.
boost::test_tools::assertion_result needsRoot(boost::unit_test::test_unit_id)
{
    return skipUnless(::geteuid() == 0, "skipped: needs root to create network namespaces");
}

// The inode of a namespace file: equal inodes, same namespace.
ino_t netnsInode(const char *path)
{
    struct stat st;
    return ::stat(path, &st) == 0 ? st.st_ino : 0;
}

// Sends a datagram from inside the pod's namespace to server (an address in the caller's) and
// checks it arrives from client. Returns "" or what went wrong.
std::string udpFromPod(int podFd, const char *server, const char *client)
{
    sockaddr_in at{};
    at.sin_family = AF_INET;
    ::inet_pton(AF_INET, server, &at.sin_addr);
    socklen_t len = sizeof(at);
    UniqueFd rx(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    timeval timeout{3, 0};
    if (!rx || ::bind(rx.get(), reinterpret_cast<sockaddr *>(&at), sizeof(at)) < 0 ||
        ::getsockname(rx.get(), reinterpret_cast<sockaddr *>(&at), &len) < 0 ||
        ::setsockopt(rx.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) < 0)
        return std::string("receiving socket on ") + server + ": " + std::strerror(errno);
    auto sent = runInNetns(podFd, [&]() -> Result<void> {
        UniqueFd tx(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        if (!tx ||
            ::sendto(tx.get(), "hkt", 3, 0, reinterpret_cast<sockaddr *>(&at), sizeof(at)) != 3)
            return failErrno("send from the pod");
        return {};
    });
    if (!sent)
        return sent.error().what();
    char buf[8];
    sockaddr_in from{};
    socklen_t fromLen = sizeof(from);
    if (::recvfrom(rx.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr *>(&from), &fromLen) !=
        3)
        return std::string("no datagram from the pod: ") + std::strerror(errno);
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &from.sin_addr, text, sizeof(text));
    if (std::string(text) != client)
        return std::string("the datagram came from ") + text + ", not " + client;
    return {};
}

// "" when r failed with errno code and an error text containing text; otherwise what it did.
template <typename T> std::string failsWith(const Result<T> &r, int code, const std::string &text)
{
    if (r)
        return "succeeded; wanted " + std::string(std::strerror(code));
    if (r.error().code() != code || r.error().what().find(text) == std::string::npos)
        return "wanted " + std::string(std::strerror(code)) + " with \"" + text + "\", got \"" +
               r.error().what() + "\"";
    return {};
}

// Runs fn in a private network namespace (inPrivateNetns) and fails the test with its answer.
void checkInPrivateNetns(const std::function<std::string()> &fn)
{
    std::string err = inPrivateNetns(fn);
    BOOST_CHECK_MESSAGE(err.empty(), err);
}

// As checkInPrivateNetns, fn getting a second namespace made inside the first: the "pod".
void checkWithPod(const std::function<std::string(int pod)> &fn)
{
    checkInPrivateNetns([&]() -> std::string {
        UniqueFd pod = newNetns();
        if (!pod)
            return std::string("create the pod's namespace: ") + std::strerror(errno);
        return fn(pod.get());
    });
}

} // namespace

// In a kernel test's child: ends the test unless expr fails with errno code and its error text
// contains text.
#define FAILS(expr, code, text)                                                                    \
    do {                                                                                           \
        if (std::string fails_ = failsWith((expr), (code), (text)); !fails_.empty())               \
            return std::string(#expr) + ": " + fails_;                                             \
    } while (0)

BOOST_AUTO_TEST_SUITE(builders)

BOOST_AUTO_TEST_CASE(get_link_by_name)
{
    Bytes want =
        message(RTM_GETLINK, NLM_F_REQUEST, cat({ifinfo(0), attr(IFLA_IFNAME, str("eth0"))}));
    BOOST_TEST(bytesOf(getLinkRequest("eth0")) == want);
}

BOOST_AUTO_TEST_CASE(list_links)
{
    Bytes want = message(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, ifinfo(0));
    BOOST_TEST(bytesOf(listLinksRequest()) == want);
}

BOOST_AUTO_TEST_CASE(new_dummy_link)
{
    Bytes want = message(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL,
                         cat({ifinfo(0), attr(IFLA_IFNAME, str("dummy0")),
                              nest(IFLA_LINKINFO, attr(IFLA_INFO_KIND, str("dummy")))}));
    BOOST_TEST(bytesOf(newDummyRequest("dummy0")) == want);
}

BOOST_AUTO_TEST_CASE(new_veth_pair)
{
    Bytes peer = nest(VETH_INFO_PEER, cat({ifinfo(0), attr(IFLA_IFNAME, str("peer0"))}));
    Bytes info =
        nest(IFLA_LINKINFO, cat({attr(IFLA_INFO_KIND, str("veth")), nest(IFLA_INFO_DATA, peer)}));
    Bytes want = message(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL,
                         cat({ifinfo(0), attr(IFLA_IFNAME, str("veth0")), info}));
    BOOST_TEST(bytesOf(newVethRequest("veth0", "peer0")) == want);
}

BOOST_AUTO_TEST_CASE(set_netns_with_and_without_rename)
{
    Bytes plain =
        message(RTM_NEWLINK, NLM_F_REQUEST, cat({ifinfo(7), attr(IFLA_NET_NS_FD, u32(42))}));
    BOOST_TEST(bytesOf(setLinkNetnsRequest(7, 42)) == plain);
    Bytes renamed =
        message(RTM_NEWLINK, NLM_F_REQUEST,
                cat({ifinfo(7), attr(IFLA_NET_NS_FD, u32(42)), attr(IFLA_IFNAME, str("ctr0"))}));
    BOOST_TEST(bytesOf(setLinkNetnsRequest(7, 42, "ctr0")) == renamed);
}

BOOST_AUTO_TEST_CASE(set_up_and_down)
{
    BOOST_TEST(bytesOf(setLinkUpRequest(3, true)) ==
               message(RTM_NEWLINK, NLM_F_REQUEST, ifinfo(3, IFF_UP, IFF_UP)));
    BOOST_TEST(bytesOf(setLinkUpRequest(3, false)) ==
               message(RTM_NEWLINK, NLM_F_REQUEST, ifinfo(3, 0, IFF_UP)));
}

BOOST_AUTO_TEST_CASE(delete_link)
{
    BOOST_TEST(bytesOf(deleteLinkRequest(9)) == message(RTM_DELLINK, NLM_F_REQUEST, ifinfo(9)));
}

BOOST_AUTO_TEST_CASE(get_link_by_index)
{
    BOOST_TEST(bytesOf(getLinkByIndexRequest(4)) == message(RTM_GETLINK, NLM_F_REQUEST, ifinfo(4)));
}

BOOST_AUTO_TEST_CASE(new_bridge_comes_up_with_its_mtu)
{
    // IFF_UP in the create's header: the bridge is up without a second request.
    Bytes kind = nest(IFLA_LINKINFO, attr(IFLA_INFO_KIND, str("bridge")));
    Bytes plain = message(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL,
                          cat({ifinfo(0, IFF_UP, IFF_UP), attr(IFLA_IFNAME, str("br0")), kind}));
    BOOST_TEST(bytesOf(newBridgeRequest("br0")) == plain);
    Bytes withMtu = message(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL,
                            cat({ifinfo(0, IFF_UP, IFF_UP), attr(IFLA_IFNAME, str("br0")),
                                 attr(IFLA_MTU, u32(1400)), kind}));
    BOOST_TEST(bytesOf(newBridgeRequest("br0", 1400)) == withMtu);
}

BOOST_AUTO_TEST_CASE(new_veth_with_its_peer_in_another_namespace)
{
    // The peer's own ifinfomsg and attributes, IFLA_NET_NS_FD among them, inside VETH_INFO_PEER.
    Bytes peer =
        nest(VETH_INFO_PEER, cat({ifinfo(0), attr(IFLA_IFNAME, str("eth0")),
                                  attr(IFLA_MTU, u32(1400)), attr(IFLA_NET_NS_FD, u32(9))}));
    Bytes info =
        nest(IFLA_LINKINFO, cat({attr(IFLA_INFO_KIND, str("veth")), nest(IFLA_INFO_DATA, peer)}));
    Bytes want =
        message(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL,
                cat({ifinfo(0), attr(IFLA_IFNAME, str("hkv0")), attr(IFLA_MTU, u32(1400)), info}));
    BOOST_TEST(bytesOf(newVethRequest("hkv0", "eth0", 9, 1400)) == want);

    // Namespace only, kernel MTU: no IFLA_MTU on either end.
    Bytes peerOnly =
        nest(VETH_INFO_PEER,
             cat({ifinfo(0), attr(IFLA_IFNAME, str("eth0")), attr(IFLA_NET_NS_FD, u32(0))}));
    Bytes infoOnly = nest(IFLA_LINKINFO,
                          cat({attr(IFLA_INFO_KIND, str("veth")), nest(IFLA_INFO_DATA, peerOnly)}));
    BOOST_TEST(bytesOf(newVethRequest("hkv0", "eth0", 0)) ==
               message(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL,
                       cat({ifinfo(0), attr(IFLA_IFNAME, str("hkv0")), infoOnly})));
}

BOOST_AUTO_TEST_CASE(set_master_and_nomaster)
{
    BOOST_TEST(bytesOf(setLinkMasterRequest(5, 2)) ==
               message(RTM_NEWLINK, NLM_F_REQUEST, cat({ifinfo(5), attr(IFLA_MASTER, u32(2))})));
    // No master is master 0.
    BOOST_TEST(bytesOf(setLinkMasterRequest(5, 0)) ==
               message(RTM_NEWLINK, NLM_F_REQUEST, cat({ifinfo(5), attr(IFLA_MASTER, u32(0))})));
}

BOOST_AUTO_TEST_CASE(rename_mtu_and_mac)
{
    BOOST_TEST(
        bytesOf(renameLinkRequest(6, "eth1")) ==
        message(RTM_NEWLINK, NLM_F_REQUEST, cat({ifinfo(6), attr(IFLA_IFNAME, str("eth1"))})));
    BOOST_TEST(bytesOf(setLinkMtuRequest(6, 9000)) ==
               message(RTM_NEWLINK, NLM_F_REQUEST, cat({ifinfo(6), attr(IFLA_MTU, u32(9000))})));
    MacAddress mac{0x02, 0x42, 0x0a, 0x4d, 0x00, 0x05};
    BOOST_TEST(
        bytesOf(setLinkMacRequest(6, mac)) ==
        message(RTM_NEWLINK, NLM_F_REQUEST,
                cat({ifinfo(6), attr(IFLA_ADDRESS, Bytes{0x02, 0x42, 0x0a, 0x4d, 0x00, 0x05})})));
}

BOOST_AUTO_TEST_CASE(hairpin_is_a_bridge_setlink)
{
    // AF_BRIDGE routes the request to the bridge; IFLA_PROTINFO must carry NLA_F_NESTED.
    BOOST_TEST(bytesOf(setHairpinRequest(8, true)) ==
               message(RTM_SETLINK, NLM_F_REQUEST,
                       cat({ifinfo(8, 0, 0, AF_BRIDGE),
                            nest(IFLA_PROTINFO, attr(IFLA_BRPORT_MODE, u8(1)))})));
    BOOST_TEST(bytesOf(setHairpinRequest(8, false)) ==
               message(RTM_SETLINK, NLM_F_REQUEST,
                       cat({ifinfo(8, 0, 0, AF_BRIDGE),
                            nest(IFLA_PROTINFO, attr(IFLA_BRPORT_MODE, u8(0)))})));
}

BOOST_AUTO_TEST_CASE(nests_close_in_pairs)
{
    Message m(RTM_NEWLINK, 0);
    m.putHeader<ifinfomsg>();
    {
        Nest outer = m.nest(1);
        m.putU8(2, 0xab);
        {
            Nest inner = m.nest(3);
            m.putU16(4, 0x1234);
        }
        m.putU32(5, 7);
    }
    Bytes inner = nest(3, attr(4, u16(0x1234)));
    Bytes want =
        message(RTM_NEWLINK, NLM_F_REQUEST,
                cat({ifinfo(0), nest(1, cat({attr(2, Bytes{0xab}), inner, attr(5, u32(7))}))}));
    BOOST_TEST(bytesOf(m) == want);
    BOOST_TEST(!m.overflowed());
}

BOOST_AUTO_TEST_CASE(overflow_is_flagged_not_written)
{
    Message m(RTM_NEWLINK, 0);
    m.putHeader<ifinfomsg>();
    std::string big(Message::kCapacity, 'x');
    m.putString(IFLA_IFALIAS, big);
    BOOST_TEST(m.overflowed());
    BOOST_TEST(m.bytes().size() == sizeof(nlmsghdr) + sizeof(ifinfomsg));
}

BOOST_AUTO_TEST_CASE(parses_a_link_reply)
{
    // What the kernel sends for a veth: the name, and a LINKINFO nest with the kind.
    Bytes reply = message(RTM_NEWLINK, 0,
                          cat({ifinfo(12, IFF_UP | IFF_BROADCAST), attr(IFLA_MTU, u32(1500)),
                               attr(IFLA_IFNAME, str("veth9")),
                               attr(IFLA_LINKINFO, attr(IFLA_INFO_KIND, str("veth")))}));
    Link link = parseLink(*reinterpret_cast<const nlmsghdr *>(reply.data())).value();
    BOOST_TEST(link.index == 12);
    BOOST_TEST(link.name == "veth9");
    BOOST_TEST(link.kind == "veth");
    BOOST_TEST((link.flags & IFF_UP) != 0u);

    Bytes wrong = message(RTM_NEWADDR, 0, ifinfo(1));
    auto r = parseLink(*reinterpret_cast<const nlmsghdr *>(wrong.data()));
    BOOST_TEST(!r);
    BOOST_TEST(r.error().code() == EBADMSG);
}

BOOST_AUTO_TEST_CASE(parses_a_bridge_port_reply)
{
    // A bridge port: master, MTU, MAC, and the port's mode in the bridge's slave data.
    Bytes reply = message(
        RTM_NEWLINK, 0,
        cat({ifinfo(7, IFF_UP), attr(IFLA_IFNAME, str("hkv0")), attr(IFLA_MTU, u32(1400)),
             attr(IFLA_MASTER, u32(3)), attr(IFLA_ADDRESS, Bytes{0x02, 0, 0, 0, 0, 0x07}),
             nest(IFLA_LINKINFO,
                  cat({attr(IFLA_INFO_KIND, str("veth")), attr(IFLA_INFO_SLAVE_KIND, str("bridge")),
                       nest(IFLA_INFO_SLAVE_DATA, cat({attr(IFLA_BRPORT_STATE, u8(3)),
                                                       attr(IFLA_BRPORT_MODE, u8(1))}))}))}));
    Link link = parseLink(header(reply)).value();
    BOOST_TEST(link.kind == "veth");
    BOOST_TEST(link.mtu == 1400u);
    BOOST_TEST(link.master == 3);
    BOOST_REQUIRE(link.mac.has_value());
    BOOST_TEST(formatMac(*link.mac) == "02:00:00:00:00:07");
    BOOST_TEST(link.hairpin);

    // A bond port's slave data numbers its attributes differently: attribute 4 is no hairpin.
    Bytes bond =
        message(RTM_NEWLINK, 0,
                cat({ifinfo(8), attr(IFLA_IFNAME, str("eth3")),
                     nest(IFLA_LINKINFO,
                          cat({attr(IFLA_INFO_SLAVE_KIND, str("bond")),
                               nest(IFLA_INFO_SLAVE_DATA, attr(IFLA_BRPORT_MODE, u8(1)))}))}));
    Link port = parseLink(header(bond)).value();
    BOOST_TEST(!port.hairpin);
    BOOST_TEST(port.master == 0);
    BOOST_TEST(!port.mac.has_value());
}

BOOST_AUTO_TEST_CASE(nftables_generation)
{
    // nfgenmsg (netfilter/nfnetlink.h): family, version, res_id in network order.
    Bytes body{AF_UNSPEC, NFNETLINK_V0, 0, 0};
    Bytes want = message((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN, NLM_F_REQUEST, body);
    BOOST_TEST(bytesOf(nftablesGenerationRequest()) == want);
}

BOOST_AUTO_TEST_CASE(open_in_a_bad_namespace_fd)
{
    auto r = Socket::openInNetns(-1);
    BOOST_TEST(!r);
    BOOST_TEST(r.error().code() == EBADF);
    // The same for a sysctl: nothing is written in the caller's namespace instead.
    auto w = writeNetSysctl(-1, "net.ipv4.ip_forward", "1");
    BOOST_TEST(!w);
    BOOST_TEST(w.error().code() == EBADF);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(addresses_and_routes)

BOOST_AUTO_TEST_CASE(new_ipv4_address_with_broadcast)
{
    // IFA_LOCAL and IFA_ADDRESS both the address; the broadcast is the prefix's last address.
    Bytes want = message(
        RTM_NEWADDR, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL,
        cat({ifaddr(AF_INET, 16, 4), attr(IFA_LOCAL, ip("10.77.0.5")),
             attr(IFA_ADDRESS, ip("10.77.0.5")), attr(IFA_BROADCAST, ip("10.77.255.255"))}));
    BOOST_TEST(bytesOf(newAddressRequest(4, prefix("10.77.0.5/16"))) == want);
    // /31 and /32 have no broadcast address.
    for (const char *text : {"10.77.0.4/31", "10.77.0.5/32"}) {
        IpPrefix p = prefix(text);
        Bytes bare = message(
            RTM_NEWADDR, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL,
            cat({ifaddr(AF_INET, static_cast<uint8_t>(p.length), 4),
                 attr(IFA_LOCAL, Bytes(p.address.bytes.begin(), p.address.bytes.begin() + 4)),
                 attr(IFA_ADDRESS, Bytes(p.address.bytes.begin(), p.address.bytes.begin() + 4))}));
        BOOST_TEST(bytesOf(newAddressRequest(4, p)) == bare, text);
    }
}

BOOST_AUTO_TEST_CASE(new_ipv6_address_without_dad)
{
    // No broadcast in IPv6; the flags travel in IFA_FLAGS (ifa_flags is only 8 bits).
    Bytes want =
        message(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL,
                cat({ifaddr(AF_INET6, 64, 4), attr(IFA_LOCAL, ip("fd00::5")),
                     attr(IFA_ADDRESS, ip("fd00::5")), attr(IFA_FLAGS, u32(IFA_F_NODAD))}));
    BOOST_TEST(bytesOf(newAddressRequest(4, prefix("fd00::5/64"), IFA_F_NODAD)) == want);
}

BOOST_AUTO_TEST_CASE(delete_addresses)
{
    BOOST_TEST(bytesOf(deleteAddressRequest(4, prefix("10.77.0.5/16"))) ==
               message(RTM_DELADDR, NLM_F_REQUEST,
                       cat({ifaddr(AF_INET, 16, 4), attr(IFA_LOCAL, ip("10.77.0.5")),
                            attr(IFA_ADDRESS, ip("10.77.0.5"))})));
    BOOST_TEST(bytesOf(deleteAddressRequest(4, prefix("fd00::5/64"))) ==
               message(RTM_DELADDR, NLM_F_REQUEST,
                       cat({ifaddr(AF_INET6, 64, 4), attr(IFA_LOCAL, ip("fd00::5")),
                            attr(IFA_ADDRESS, ip("fd00::5"))})));
}

BOOST_AUTO_TEST_CASE(list_addresses)
{
    BOOST_TEST(bytesOf(listAddressesRequest()) ==
               message(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, ifaddr(AF_UNSPEC, 0, 0)));
    BOOST_TEST(bytesOf(listAddressesRequest(AF_INET6, 3)) ==
               message(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, ifaddr(AF_INET6, 0, 3)));
}

BOOST_AUTO_TEST_CASE(parses_address_replies)
{
    // IPv4: IFA_LOCAL is the address (IFA_ADDRESS would be a point-to-point peer).
    Bytes v4 = message(RTM_NEWADDR, 0,
                       cat({ifaddr(AF_INET, 24, 2), attr(IFA_ADDRESS, ip("10.0.0.9")),
                            attr(IFA_LOCAL, ip("10.0.0.1")), attr(IFA_BROADCAST, ip("10.0.0.255")),
                            attr(IFA_FLAGS, u32(IFA_F_PERMANENT))}));
    Address a = parseAddress(header(v4)).value();
    BOOST_TEST(a.index == 2);
    BOOST_TEST(a.prefix.toString() == "10.0.0.1/24");
    BOOST_REQUIRE(a.broadcast.has_value());
    BOOST_TEST(a.broadcast->toString() == "10.0.0.255");
    BOOST_TEST(a.flags == uint32_t(IFA_F_PERMANENT));
    // IPv6: only IFA_ADDRESS.
    Bytes v6 =
        message(RTM_NEWADDR, 0, cat({ifaddr(AF_INET6, 64, 2), attr(IFA_ADDRESS, ip("fd00::5"))}));
    BOOST_TEST(parseAddress(header(v6)).value().prefix.toString() == "fd00::5/64");
    // An address of the wrong size is no address.
    Bytes bad =
        message(RTM_NEWADDR, 0, cat({ifaddr(AF_INET6, 64, 2), attr(IFA_ADDRESS, ip("10.0.0.1"))}));
    auto r = parseAddress(header(bad));
    BOOST_TEST(!r);
    BOOST_TEST(r.error().code() == EBADMSG);
}

BOOST_AUTO_TEST_CASE(default_routes_via_a_gateway)
{
    // dst_len 0 and no RTA_DST; main table, static, unicast, universe scope.
    RtmFields v4{AF_INET, 0, RT_TABLE_MAIN, RTPROT_STATIC, RT_SCOPE_UNIVERSE, RTN_UNICAST};
    BOOST_TEST(bytesOf(newRouteRequest(anyPrefix(AF_INET), address("10.77.0.1"), 0)) ==
               message(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL,
                       cat({rtm(v4), attr(RTA_GATEWAY, ip("10.77.0.1"))})));
    RtmFields v6{AF_INET6, 0, RT_TABLE_MAIN, RTPROT_STATIC, RT_SCOPE_UNIVERSE, RTN_UNICAST};
    BOOST_TEST(bytesOf(newRouteRequest(anyPrefix(AF_INET6), address("fd00::1"), 3)) ==
               message(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL,
                       cat({rtm(v6), attr(RTA_GATEWAY, ip("fd00::1")), attr(RTA_OIF, u32(3))})));
}

BOOST_AUTO_TEST_CASE(subnet_routes_on_a_device)
{
    // IPv4 without a gateway: link scope. IPv6 has no route scope to speak of.
    RtmFields v4{AF_INET, 16, RT_TABLE_MAIN, RTPROT_STATIC, RT_SCOPE_LINK, RTN_UNICAST};
    BOOST_TEST(bytesOf(newRouteRequest(prefix("10.78.0.0/16"), std::nullopt, 5)) ==
               message(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL,
                       cat({rtm(v4), attr(RTA_DST, ip("10.78.0.0")), attr(RTA_OIF, u32(5))})));
    RtmFields v6{AF_INET6, 48, RT_TABLE_MAIN, RTPROT_STATIC, RT_SCOPE_UNIVERSE, RTN_UNICAST};
    BOOST_TEST(bytesOf(newRouteRequest(prefix("fd01::/48"), std::nullopt, 5)) ==
               message(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL,
                       cat({rtm(v6), attr(RTA_DST, ip("fd01::")), attr(RTA_OIF, u32(5))})));
}

BOOST_AUTO_TEST_CASE(delete_routes_match_any_scope)
{
    // RT_SCOPE_NOWHERE, protocol and type 0: match whatever the route was added with.
    RtmFields v4{AF_INET, 0, RT_TABLE_MAIN, 0, RT_SCOPE_NOWHERE, 0};
    BOOST_TEST(
        bytesOf(deleteRouteRequest(anyPrefix(AF_INET), address("10.77.0.1"), 0)) ==
        message(RTM_DELROUTE, NLM_F_REQUEST, cat({rtm(v4), attr(RTA_GATEWAY, ip("10.77.0.1"))})));
    RtmFields v6{AF_INET6, 64, RT_TABLE_MAIN, 0, RT_SCOPE_NOWHERE, 0};
    BOOST_TEST(bytesOf(deleteRouteRequest(prefix("fd00::/64"), std::nullopt, 2)) ==
               message(RTM_DELROUTE, NLM_F_REQUEST,
                       cat({rtm(v6), attr(RTA_DST, ip("fd00::")), attr(RTA_OIF, u32(2))})));
}

BOOST_AUTO_TEST_CASE(list_routes)
{
    BOOST_TEST(bytesOf(listRoutesRequest(AF_INET6)) ==
               message(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, rtm({AF_INET6})));
}

BOOST_AUTO_TEST_CASE(parses_route_replies)
{
    Bytes reply = message(
        RTM_NEWROUTE, 0,
        cat({rtm({AF_INET, 0, RT_TABLE_MAIN, RTPROT_STATIC, RT_SCOPE_UNIVERSE, RTN_UNICAST}),
             attr(RTA_TABLE, u32(RT_TABLE_MAIN)), attr(RTA_GATEWAY, ip("10.77.0.1")),
             attr(RTA_OIF, u32(2))}));
    Route route = parseRoute(header(reply)).value();
    BOOST_TEST(route.destination.toString() == "0.0.0.0/0");
    BOOST_REQUIRE(route.gateway.has_value());
    BOOST_TEST(route.gateway->toString() == "10.77.0.1");
    BOOST_TEST(route.oif == 2);
    BOOST_TEST(route.table == uint32_t(RT_TABLE_MAIN));
    BOOST_TEST(route.protocol == RTPROT_STATIC);

    // A table past 255 is only in RTA_TABLE.
    Bytes big = message(RTM_NEWROUTE, 0,
                        cat({rtm({AF_INET6, 64, RT_TABLE_COMPAT, RTPROT_KERNEL}),
                             attr(RTA_DST, ip("fd00::")), attr(RTA_TABLE, u32(1000))}));
    Route subnet = parseRoute(header(big)).value();
    BOOST_TEST(subnet.destination.toString() == "fd00::/64");
    BOOST_TEST(subnet.table == 1000u);
    BOOST_TEST(!subnet.gateway.has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(parsing)

BOOST_AUTO_TEST_CASE(ipv4_and_ipv6_prefixes)
{
    IpPrefix v4 = parseIpPrefix("10.77.0.5/16").value();
    BOOST_TEST(v4.address.family == AF_INET);
    BOOST_TEST(Bytes(v4.address.bytes.begin(), v4.address.bytes.begin() + 4) == ip("10.77.0.5"));
    BOOST_TEST(v4.address.size() == 4u);
    BOOST_TEST(v4.length == 16u);
    BOOST_TEST(v4.toString() == "10.77.0.5/16");

    IpPrefix v6 = parseIpPrefix("fd00::5/64").value();
    BOOST_TEST(v6.address.family == AF_INET6);
    BOOST_TEST(Bytes(v6.address.bytes.begin(), v6.address.bytes.end()) == ip("fd00::5"));
    BOOST_TEST(v6.length == 64u);
    BOOST_TEST(v6.toString() == "fd00::5/64");

    BOOST_TEST((parseIpPrefix("0.0.0.0/0").value() == anyPrefix(AF_INET)));
    BOOST_TEST((parseIpPrefix("::/0").value() == anyPrefix(AF_INET6)));
    BOOST_TEST(parseIpPrefix("10.0.0.1/32").value().length == 32u);
    BOOST_TEST(parseIpPrefix("::1/128").value().length == 128u);
}

BOOST_AUTO_TEST_CASE(network_and_last_address)
{
    BOOST_TEST(prefix("10.77.3.5/16").network().toString() == "10.77.0.0/16");
    BOOST_TEST(prefix("10.77.3.5/16").last().toString() == "10.77.255.255");
    BOOST_TEST(prefix("10.77.3.5/23").network().toString() == "10.77.2.0/23");
    BOOST_TEST(prefix("10.77.3.5/23").last().toString() == "10.77.3.255");
    BOOST_TEST(prefix("fd00:1:2:3::5/60").network().toString() == "fd00:1:2::/60");
    BOOST_TEST(prefix("10.77.3.5/32").network().toString() == "10.77.3.5/32");
    BOOST_TEST(prefix("10.77.3.5/0").network().toString() == "0.0.0.0/0");
}

BOOST_AUTO_TEST_CASE(prefix_errors_say_what_is_wrong)
{
    struct Case {
        const char *text;
        const char *says;
    };
    for (Case c : {Case{"10.77.0.5", "\"10.77.0.5\": no prefix length (write ADDRESS/LENGTH"},
                   Case{"10.77.0.5/33", "prefix length 33 is more than the 32 bits of an IPv4"},
                   Case{"fd00::5/129", "prefix length 129 is more than the 128 bits of an IPv6"},
                   Case{"10.77.0.5/", "prefix length \"\" is not a number"},
                   Case{"10.77.0.5/1x", "prefix length \"1x\" is not a number"},
                   Case{"10.77.0.5/-1", "prefix length \"-1\" is not a number"},
                   Case{"10.77.0.5/+8", "prefix length \"+8\" is not a number"},
                   Case{"10.777.0.5/16", "\"10.777.0.5\" is not an IPv4 address"},
                   Case{"10.77.0/16", "\"10.77.0\" is not an IPv4 address"},
                   Case{" 10.77.0.5/16", "\" 10.77.0.5\" is not an IPv4 address"},
                   Case{"fd00::g/64", "\"fd00::g\" is not an IPv6 address"},
                   Case{"fe80::1%eth0/64", "\"fe80::1%eth0\" is not an IPv6 address"},
                   Case{"/16", "empty IP address"}}) {
        auto r = parseIpPrefix(c.text);
        BOOST_TEST_CONTEXT(c.text)
        {
            BOOST_REQUIRE(!r);
            BOOST_TEST(r.error().code() == EINVAL);
            BOOST_TEST(r.error().what().find(c.says) != std::string::npos, r.error().what());
        }
    }
    BOOST_TEST(parseIpAddress("").error().code() == EINVAL);
    BOOST_TEST(parseIpAddress("10.0.0.1").value().toString() == "10.0.0.1");
    BOOST_TEST(parseIpAddress("FD00:0::A").value().toString() == "fd00::a");
}

BOOST_AUTO_TEST_CASE(addresses_from_netlink_bytes)
{
    Bytes v4 = ip("192.0.2.7");
    auto a = ipAddressFromBytes(AF_INET, std::as_bytes(std::span(v4)));
    BOOST_REQUIRE(a.has_value());
    BOOST_TEST(a->toString() == "192.0.2.7");
    BOOST_TEST(!ipAddressFromBytes(AF_INET6, std::as_bytes(std::span(v4))).has_value());
    BOOST_TEST(!ipAddressFromBytes(AF_UNSPEC, {}).has_value());
    BOOST_TEST(address("fd00::1").wire().size() == 16u);
}

BOOST_AUTO_TEST_CASE(mac_addresses)
{
    MacAddress mac = parseMac("02:42:0A:4d:00:05").value();
    BOOST_TEST(Bytes(mac.begin(), mac.end()) == (Bytes{0x02, 0x42, 0x0a, 0x4d, 0x00, 0x05}));
    BOOST_TEST(formatMac(mac) == "02:42:0a:4d:00:05");
    for (const char *bad : {"", "02:42:0a:4d:00", "02:42:0a:4d:00:05:06", "02-42-0a-4d-00-05",
                            "02:42:0a:4d:00:0g", "2:42:0a:4d:00:05a", "+2:42:0a:4d:00:05"}) {
        auto r = parseMac(bad);
        BOOST_TEST(!r, bad);
        if (!r)
            BOOST_TEST(r.error().what().find("is not a MAC address") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(sysctl_keys_to_paths)
{
    BOOST_TEST(netSysctlPath("net.ipv4.ip_forward").value() == "/proc/sys/net/ipv4/ip_forward");
    // Slashes keep the dots of a device name.
    BOOST_TEST(netSysctlPath("net/ipv4/conf/eth0.100/forwarding").value() ==
               "/proc/sys/net/ipv4/conf/eth0.100/forwarding");
    BOOST_TEST(deviceSysctlKey("ipv4", "eth0", "route_localnet") ==
               "net/ipv4/conf/eth0/route_localnet");
    BOOST_TEST(netSysctlPath(deviceSysctlKey("ipv6", "eth0.7", "disable_ipv6")).value() ==
               "/proc/sys/net/ipv6/conf/eth0.7/disable_ipv6");
    for (const char *bad :
         {"", "kernel.hostname", "net", "net..ipv4", "net.ipv4.", "net/../kernel",
          "net/ipv4/conf/../../kernel/x", "net/ipv4//x", "netx.ipv4.ip_forward"}) {
        auto r = netSysctlPath(bad);
        BOOST_TEST_CONTEXT(bad)
        {
            BOOST_TEST(!r);
            if (!r)
                BOOST_TEST(r.error().code() == EINVAL);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(kernel, *boost::unit_test::precondition(needsRoot))

BOOST_AUTO_TEST_CASE(lists_and_finds_loopback)
{
    std::string err = inPrivateNetns([]() -> std::string {
        auto socket = Socket::open();
        if (!socket)
            return socket.error().what();
        auto links = listLinks(*socket);
        if (!links)
            return links.error().what();
        // A fresh namespace holds only lo (and whatever the kernel adds by default, like
        // sit0 or tunl0 when their modules are loaded).
        auto lo = std::find_if(links->begin(), links->end(),
                               [](const Link &l) { return l.name == "lo"; });
        if (lo == links->end())
            return "no lo in a fresh namespace";
        auto index = linkIndex(*socket, "lo");
        if (!index || *index != lo->index)
            return "linkIndex(lo) disagrees with the dump";
        if (auto r = setLinkUp(*socket, "lo", true); !r)
            return r.error().what();
        auto up = getLink(*socket, "lo");
        if (!up || !(up->flags & IFF_UP))
            return "lo is not up after setLinkUp";
        return {};
    });
    BOOST_CHECK_MESSAGE(err.empty(), err);
}

BOOST_AUTO_TEST_CASE(kernel_errors_carry_errno_and_context)
{
    std::string err = inPrivateNetns([]() -> std::string {
        auto socket = Socket::open();
        if (!socket)
            return socket.error().what();
        auto missing = linkIndex(*socket, "nosuch0");
        if (missing || missing.error().code() != ENODEV)
            return "missing link: wanted ENODEV";
        if (missing.error().what().find("link \"nosuch0\"") == std::string::npos)
            return "missing link error lacks the name: " + missing.error().what();
        // An unknown kind: the kernel refuses with EOPNOTSUPP and says why in its extended ack.
        auto r = createLink(*socket, "x0", "nosuchkind");
        if (r || r.error().code() != EOPNOTSUPP)
            return "unknown kind: wanted EOPNOTSUPP, got " + (r ? "success" : r.error().what());
        std::string text = r.error().what();
        if (text.find("create nosuchkind link \"x0\": kernel: ") != 0)
            return "no extended-ack text in: " + text;
        // The socket stays usable after an error.
        if (!linkIndex(*socket, "lo"))
            return "socket unusable after an error";
        return {};
    });
    BOOST_CHECK_MESSAGE(err.empty(), err);
}

BOOST_AUTO_TEST_CASE(create_exists_and_delete)
{
    std::string err = inPrivateNetns([]() -> std::string {
        auto socket = Socket::open();
        if (!socket)
            return socket.error().what();
        // dummy is the natural test link, but not every kernel has it (CONFIG_DUMMY): fall back
        // to a veth pair, which every container host has.
        bool dummy = true;
        if (auto r = createLink(*socket, "t0", "dummy"); !r) {
            if (r.error().code() != EOPNOTSUPP)
                return r.error().what();
            dummy = false;
            if (auto v = createVeth(*socket, "t0", "t0peer"); !v)
                return v.error().what();
        }
        auto again = dummy ? createLink(*socket, "t0", "dummy") : createVeth(*socket, "t0", "t1");
        if (again || again.error().code() != EEXIST)
            return "second create: wanted EEXIST";
        auto link = getLink(*socket, "t0");
        if (!link || link->kind != (dummy ? "dummy" : "veth"))
            return "t0 has the wrong kind";
        if (auto r = deleteLink(*socket, "t0"); !r)
            return r.error().what();
        if (linkIndex(*socket, "t0"))
            return "t0 still there after delete";
        return {};
    });
    BOOST_CHECK_MESSAGE(err.empty(), err);
}

BOOST_AUTO_TEST_CASE(socket_inside_another_namespace)
{
    std::string err = inPrivateNetns([]() -> std::string {
        UniqueFd other = newNetns();
        if (!other)
            return std::string("create second namespace: ") + std::strerror(errno);
        auto here = Socket::open();
        auto there = Socket::openInNetns(other.get());
        if (!here || !there)
            return "open sockets failed";
        if (auto r = createVeth(*there, "far0", "far1"); !r)
            return r.error().what();
        if (linkIndex(*here, "far0"))
            return "far0 leaked into the caller's namespace";
        if (!linkIndex(*there, "far0"))
            return "far0 not in the other namespace";
        // The calling thread never moved.
        UniqueFd self(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
        struct stat a, b;
        if (::fstat(self.get(), &a) < 0 || ::fstat(other.get(), &b) < 0 || a.st_ino == b.st_ino)
            return "the caller ended up in the other namespace";
        // Moving a link with the socket of its namespace, renamed on the way.
        if (auto r = moveLinkToNetns(*there, "far1", self.get(), "near1"); !r)
            return r.error().what();
        if (!linkIndex(*here, "near1") || linkIndex(*there, "far1"))
            return "far1 did not arrive as near1";
        return {};
    });
    BOOST_CHECK_MESSAGE(err.empty(), err);
}

BOOST_AUTO_TEST_CASE(nftables_answers_or_is_absent)
{
    std::string err = inPrivateNetns([]() -> std::string {
        auto socket = Socket::open(NETLINK_NETFILTER);
        if (!socket)
            return socket.error().what();
        // A malformed request would come back EINVAL; a kernel without nf_tables says
        // EOPNOTSUPP.
        if (auto r = probeNftables(*socket); !r && r.error().code() != EOPNOTSUPP)
            return r.error().what();
        return {};
    });
    BOOST_CHECK_MESSAGE(err.empty(), err);
}

BOOST_AUTO_TEST_CASE(bridge_is_idempotent_and_refuses_other_kinds)
{
    checkInPrivateNetns([]() -> std::string {
        TAKE(socket, Socket::open());
        const std::string br = hkt("br");
        TAKE(first, createBridge(socket, br, 1400));
        if (first.kind != "bridge" || first.mtu != 1400 || !(first.flags & IFF_UP))
            return "a new bridge has the wrong kind or MTU, or is down";
        TAKE(again, createBridge(socket, br, 1400));
        if (again.index != first.index)
            return "a second createBridge made another link";
        // An existing bridge is brought to what is asked: up, and the new MTU.
        STEP(setLinkUp(socket, br, false));
        STEP(createBridge(socket, br, 1450));
        TAKE(now, getLink(socket, br));
        if (now.index != first.index || now.mtu != 1450 || !(now.flags & IFF_UP))
            return "createBridge on a down bridge: MTU " + std::to_string(now.mtu) +
                   (now.flags & IFF_UP ? ", up" : ", down");
        // A veth where a bridge is wanted.
        const std::string veth = hkt("v");
        STEP(createVeth(socket, veth, veth + "p"));
        FAILS(createBridge(socket, veth), EEXIST,
              "create bridge \"" + veth + "\": link exists and is a veth, not a bridge");
        // The kernel gives no text when a new link's name is taken; the error names the link.
        FAILS(createLink(socket, br, "bridge"), EEXIST,
              "create bridge link \"" + br + "\": a link named \"" + br +
                  "\" already exists: File exists");
        return {};
    });
}

BOOST_AUTO_TEST_CASE(pod_wiring_with_the_peer_created_inside)
{
    checkWithPod([](int pod) -> std::string {
        TAKE(host, Socket::open());
        TAKE(inside, Socket::openInNetns(pod));
        const std::string br = hkt("br");
        const std::string veth = hkt("v");
        TAKE(bridge, createBridge(host, br, 1400));
        STEP(createVeth(host, veth, "eth0", pod, 1400));
        if (getLink(host, "eth0"))
            return "the peer was created in the caller's namespace";
        TAKE(eth0, getLink(inside, "eth0"));
        if (eth0.kind != "veth" || eth0.mtu != 1400)
            return "eth0 in the pod: kind " + eth0.kind + ", MTU " + std::to_string(eth0.mtu);

        STEP(setLinkMaster(host, veth, br));
        STEP(setHairpin(host, veth, true));
        STEP(setLinkUp(host, veth, true));
        TAKE(port, getLink(host, veth));
        if (port.master != bridge.index || !port.hairpin || port.mtu != 1400)
            return "bridge port: master " + std::to_string(port.master) + ", hairpin " +
                   std::to_string(port.hairpin);
        STEP(addAddress(host, br, prefix("10.77.0.1/16")));
        STEP(addAddress(host, br, prefix("fd77::1/64"), IFA_F_NODAD));

        // The pod's side, on a socket opened inside its namespace.
        STEP(withSocketInNetns(pod, [](Socket &s) -> Result<void> {
            HUSK_TRY(setLinkUp(s, "lo", true));
            HUSK_TRY(setLinkUp(s, "eth0", true));
            HUSK_TRY(addAddress(s, "eth0", prefix("10.77.0.5/16")));
            HUSK_TRY(addAddress(s, "eth0", prefix("fd77::5/64"), IFA_F_NODAD));
            HUSK_TRY(addDefaultRoute(s, address("10.77.0.1")));
            HUSK_TRY(addDefaultRoute(s, address("fd77::1"), "eth0"));
            return {};
        }));

        // Read back with the library's own dumps.
        TAKE(addresses, listAddresses(inside, "eth0"));
        auto has = [&](const std::string &text) {
            return std::any_of(addresses.begin(), addresses.end(), [&](const Address &a) {
                return a.index == eth0.index && a.prefix.toString() == text;
            });
        };
        if (!has("10.77.0.5/16") || !has("fd77::5/64"))
            return "eth0 lacks its addresses";
        for (const Address &a : addresses)
            if (a.prefix.toString() == "10.77.0.5/16" &&
                (!a.broadcast || a.broadcast->toString() != "10.77.255.255"))
                return "10.77.0.5/16 without broadcast 10.77.255.255";
        for (auto [family, gateway] : {std::pair{AF_INET, "10.77.0.1"}, {AF_INET6, "fd77::1"}}) {
            TAKE(routes, listRoutes(inside, family));
            bool found = std::any_of(routes.begin(), routes.end(), [&](const Route &r) {
                return r.table == RT_TABLE_MAIN && r.destination == anyPrefix(family) &&
                       r.gateway && r.gateway->toString() == gateway && r.oif == eth0.index &&
                       r.protocol == RTPROT_STATIC;
            });
            if (!found)
                return std::string("no default route via ") + gateway + " in the pod";
        }
        TAKE(hostRoutes, listRoutes(host, AF_INET));
        for (const Route &r : hostRoutes)
            if (r.destination.length == 0 && r.table == RT_TABLE_MAIN)
                return "a default route appeared in the caller's namespace";

        // ip(8) agrees (this is the test's private namespace).
        std::string shown = run("ip -o addr show dev " + br) + run("ip -d link show dev " + veth);
        for (const std::string &want :
             {std::string("inet 10.77.0.1/16 brd 10.77.255.255"), std::string("inet6 fd77::1/64"),
              "master " + br, std::string("hairpin on")})
            if (shown.find(want) == std::string::npos)
                return "ip(8) does not show \"" + want + "\" in:\n" + shown;

        // Traffic over the wiring, between the two namespaces this test made.
        if (std::string e = udpFromPod(pod, "10.77.0.1", "10.77.0.5"); !e.empty())
            return e;

        // Undo, piece by piece.
        STEP(deleteRoute(inside, anyPrefix(AF_INET), address("10.77.0.1")));
        TAKE(left, listRoutes(inside, AF_INET));
        for (const Route &r : left)
            if (r.destination.length == 0 && r.table == RT_TABLE_MAIN)
                return "the IPv4 default route survived its delete";
        STEP(deleteAddress(inside, "eth0", prefix("fd77::5/64")));
        FAILS(deleteAddress(inside, "eth0", prefix("fd77::5/64")), EADDRNOTAVAIL,
              "delete address fd77::5/64 from link \"eth0\"");
        STEP(setLinkNoMaster(host, veth));
        TAKE(freed, getLink(host, veth));
        if (freed.master != 0)
            return "still a bridge port after setLinkNoMaster";
        // The peer's name is taken inside the pod now: the error says where.
        FAILS(createVeth(host, hkt("w"), "eth0", pod), EEXIST,
              "a link named \"eth0\" already exists in the peer's namespace: File exists");
        return {};
    });
}

BOOST_AUTO_TEST_CASE(rename_mtu_mac_and_kernel_texts)
{
    checkInPrivateNetns([]() -> std::string {
        TAKE(socket, Socket::open());
        const std::string veth = hkt("r");
        const std::string renamed = hkt("n");
        STEP(createVeth(socket, veth, veth + "p"));
        STEP(setLinkMtu(socket, veth, 1280));
        TAKE(mac, parseMac("02:42:0a:4d:00:05"));
        STEP(setLinkMac(socket, veth, mac));
        TAKE(before, getLink(socket, veth));
        if (before.mtu != 1280 || before.mac != mac)
            return "MTU or MAC not set";
        STEP(renameLink(socket, veth, renamed));
        TAKE(after, getLinkByIndex(socket, before.index));
        if (after.name != renamed || getLink(socket, veth))
            return "rename: the index is now called " + after.name;

        // The kernel's extended-ack text, after what husk was doing.
        FAILS(setLinkMtu(socket, renamed, 70000), EINVAL,
              "set MTU of link \"" + renamed +
                  "\" to 70000: kernel: mtu greater than device maximum: Invalid argument");
        STEP(setLinkUp(socket, renamed, true));
        FAILS(addRoute(socket, prefix("10.1.0.5/16"), std::nullopt, renamed), EINVAL,
              "add route 10.1.0.5/16 dev \"" + renamed +
                  "\": kernel: Invalid prefix for given prefix length: Invalid argument");
        FAILS(deleteLink(socket, veth), ENODEV, "delete link \"" + veth + "\"");
        FAILS(addRoute(socket, prefix("10.1.0.0/16"), address("fd00::1")), EINVAL,
              "add route 10.1.0.0/16 via fd00::1: gateway fd00::1 is not of the destination's "
              "family");
        STEP(deleteLink(socket, renamed));
        return {};
    });
}

BOOST_AUTO_TEST_CASE(sysctls_land_in_the_right_namespace)
{
    checkWithPod([](int pod) -> std::string {
        TAKE(host, Socket::open());
        STEP(createVeth(host, hkt("s"), "eth0", pod));
        // Both ways round, so a value that was already there proves nothing.
        for (auto [own, inPod] : {std::pair{"0", "1"}, {"1", "0"}}) {
            STEP(writeNetSysctl("net.ipv4.ip_forward", own));
            STEP(writeNetSysctl(pod, "net.ipv4.ip_forward", inPod));
            TAKE(readOwn, readNetSysctl("net.ipv4.ip_forward"));
            TAKE(readPod, readNetSysctl(pod, "net.ipv4.ip_forward"));
            if (readOwn != own || readPod != inPod)
                return "ip_forward: caller " + readOwn + ", pod " + readPod;
        }
        for (std::string key : {deviceSysctlKey("ipv4", "eth0", "route_localnet"),
                                deviceSysctlKey("ipv6", "eth0", "disable_ipv6")}) {
            STEP(writeNetSysctl(pod, key, "1"));
            TAKE(value, readNetSysctl(pod, key));
            if (value != "1")
                return key + " reads " + value + " after writing 1";
            // eth0 lives in the pod alone.
            if (readNetSysctl(key))
                return key + " exists in the caller's namespace";
        }
        FAILS(writeNetSysctl(pod, "net.ipv4.conf.nosuch0.route_localnet", "1"), ENOENT,
              "set sysctl net.ipv4.conf.nosuch0.route_localnet=1: open "
              "/proc/sys/net/ipv4/conf/nosuch0/route_localnet");
        return {};
    });
}

BOOST_AUTO_TEST_CASE(run_in_netns_never_moves_the_caller)
{
    checkWithPod([](int pod) -> std::string {
        ino_t before = netnsInode("/proc/thread-self/ns/net");
        ino_t seen = 0;
        auto r = runInNetns(pod, [&]() -> Result<void> {
            seen = netnsInode("/proc/thread-self/ns/net");
            return fail("from inside", EPROTO);
        });
        struct stat podStat;
        if (::fstat(pod, &podStat) < 0 || seen != podStat.st_ino)
            return "the callable did not run in the pod's namespace";
        if (netnsInode("/proc/thread-self/ns/net") != before)
            return "the caller moved";
        FAILS(r, EPROTO, "from inside: Protocol error");
        return {};
    });
}

BOOST_AUTO_TEST_SUITE_END()
