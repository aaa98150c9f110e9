// netlink/: request builders byte for byte (no root), and Socket exchanges against the kernel
// inside a network namespace the test creates (root; skipped otherwise).

#define BOOST_TEST_MODULE netlink
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "netlink/link.h"
#include "netlink/message.h"
#include "netlink/nftables.h"
#include "netlink/socket.h"

using namespace husk;
using namespace husk::netlink;

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

Bytes u32(uint32_t v)
{
    Bytes out;
    append(out, &v, 4);
    return out;
}

Bytes u16(uint16_t v)
{
    Bytes out;
    append(out, &v, 2);
    return out;
}

Bytes cat(std::initializer_list<Bytes> parts)
{
    Bytes out;
    for (const Bytes &p : parts)
        append(out, p.data(), p.size());
    return out;
}

Bytes ifinfo(int index, unsigned flags = 0, unsigned change = 0)
{
    ifinfomsg ifi{};
    ifi.ifi_family = AF_UNSPEC;
    ifi.ifi_index = index;
    ifi.ifi_flags = flags;
    ifi.ifi_change = change;
    Bytes out;
    append(out, &ifi, sizeof(ifi));
    return out;
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

bool isRoot()
{
    return ::geteuid() == 0;
}

// Skips a test that needs root, saying why (STYLE.md 13: never a silent pass).
boost::test_tools::assertion_result needsRoot(boost::unit_test::test_unit_id)
{
    boost::test_tools::assertion_result r(isRoot());
    r.message() << "skipped: needs root to create network namespaces";
    return r;
}

// Runs fn in a forked child that first unshares a fresh network namespace, so nothing the test
// does can reach the host's interfaces. Returns "" or what went wrong in the child.
std::string inPrivateNetns(const std::function<std::string()> &fn)
{
    int p[2];
    BOOST_REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    pid_t pid = ::fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(p[0]);
        std::string err = ::unshare(CLONE_NEWNET) == 0
                              ? fn()
                              : std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
        ssize_t w = ::write(p[1], err.data(), err.size());
        (void)w;
        ::_exit(err.empty() ? 0 : 1);
    }
    ::close(p[1]);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0)
        out.append(buf, static_cast<size_t>(n));
    ::close(p[0]);
    int status = 0;
    BOOST_REQUIRE(::waitpid(pid, &status, 0) == pid);
    if (out.empty() && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        out = "child died with status " + std::to_string(status);
    return out;
}

// A new network namespace held by an fd, the caller staying where it is.
UniqueFd newNetns()
{
    UniqueFd self(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!self || ::unshare(CLONE_NEWNET) < 0)
        return {};
    UniqueFd created(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (::setns(self.get(), CLONE_NEWNET) < 0)
        ::_exit(3); // stuck in the wrong namespace: never carry on
    return created;
}

} // namespace

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

BOOST_AUTO_TEST_SUITE_END()
