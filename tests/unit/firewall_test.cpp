// libcontainer/network/firewall and netlink/nftables: port forward parsing, the rules and the
// nf_tables batches planned for them (no root), and, in network namespaces the test makes
// itself (root; skipped otherwise), the rules installed and read back with nft(8), real TCP
// traffic through them, and their removal. The host's namespace is never touched: every
// kernel test runs in a forked child that first unshares its own network namespace, and the
// "container" and "outside" namespaces are made inside it; all of them, with their links and
// nf_tables tables, go away when the child exits, pass or fail. Links are named hkt...

#define BOOST_TEST_MODULE firewall
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/unique_fd.h"
#include "libcontainer/network/firewall.h"
#include "netlink/address.h"
#include "netlink/link.h"
#include "netlink/netns.h"
#include "netlink/nft_rule.h"
#include "netlink/nftables.h"
#include "netlink/route.h"
#include "netlink/socket.h"
#include "tests/unit/netns_test_helpers.h"

using namespace husk;
using namespace husk::network;
using netlink::NftBatch;
using netlink::NftFamily;
using netlink::NftRule;
using namespace netns_test;

namespace {

IpAddress ip(std::string_view text)
{
    return parsed(parseIpAddress(text));
}

Subnet subnet(std::string_view text)
{
    return parsed(parseSubnet(text));
}

PortForward forward(std::string_view text)
{
    auto f = parsePortForward(text);
    BOOST_REQUIRE_MESSAGE(f.has_value(), std::string(text) + ": " + (f ? "" : f.error().what()));
    return *f;
}

// The error of a parse that must fail, or a note that it did not.
template <typename T> std::string errorOf(const Result<T> &r)
{
    return r ? std::string("<succeeded>") : r.error().what();
}

bool contains(const std::string &haystack, const std::string &needle)
{
    return haystack.find(needle) != std::string::npos;
}

Network testNetwork(const std::string &bridge = "hktbr0")
{
    Network n;
    n.name = "hktnet";
    n.bridge = bridge;
    n.ipv4.subnet = subnet("10.99.0.0/24");
    n.ipv4.gateway = ip("10.99.0.1");
    n.masquerade = true;
    return n;
}

std::vector<std::string> texts(const std::vector<NftRule> &rules)
{
    std::vector<std::string> out;
    for (const NftRule &r : rules)
        out.push_back(r.text());
    return out;
}

// One message of a batch datagram.
struct Sent {
    uint16_t type = 0;
    uint16_t flags = 0;
    const nlmsghdr *nlh = nullptr;
};

std::vector<Sent> messagesOf(const std::vector<std::byte> &bytes)
{
    std::vector<Sent> out;
    int left = static_cast<int>(bytes.size());
    for (auto *nlh = reinterpret_cast<const nlmsghdr *>(bytes.data()); mnl_nlmsg_ok(nlh, left);
         nlh = mnl_nlmsg_next(nlh, &left))
        out.push_back({nlh->nlmsg_type, nlh->nlmsg_flags, nlh});
    BOOST_TEST(left == 0);
    return out;
}

uint16_t nft(int msg)
{
    return static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | msg);
}

// The names of a NEWRULE message's expressions, in order, with each payload load's
// "@base,offset,len" and each immediate's verdict chain: what the rule does, read back by
// libnftnl's decoder.
std::vector<std::string> expressionsOf(const nlmsghdr *nlh)
{
    std::vector<std::string> out;
    std::unique_ptr<nftnl_rule, void (*)(const nftnl_rule *)> r(nftnl_rule_alloc(),
                                                                nftnl_rule_free);
    BOOST_REQUIRE(nftnl_rule_nlmsg_parse(nlh, r.get()) >= 0);
    nftnl_expr_iter *it = nftnl_expr_iter_create(r.get());
    while (nftnl_expr *e = nftnl_expr_iter_next(it)) {
        std::string name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
        if (name == "payload")
            for (auto [sep, attr] : {std::pair{'@', NFTNL_EXPR_PAYLOAD_BASE},
                                     std::pair{',', NFTNL_EXPR_PAYLOAD_OFFSET},
                                     std::pair{',', NFTNL_EXPR_PAYLOAD_LEN}}) {
                name += sep;
                name += std::to_string(nftnl_expr_get_u32(e, attr));
            }
        if (name == "immediate" && nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN))
            name.append(":jump ").append(nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN));
        out.push_back(name);
    }
    nftnl_expr_iter_destroy(it);
    return out;
}

// The firewall state of one IPv4 table holding the given chains and dispatch rules.
FirewallState stateWith(std::vector<std::string> chains, std::vector<netlink::NftRuleInfo> dnat,
                        std::vector<netlink::NftRuleInfo> snat = {})
{
    FirewallState s;
    s.generation = 42;
    s.ip.table = true;
    s.ip.chains = {"prerouting", "output", "postrouting", "husk-dnat", "husk-snat"};
    s.ip.chains.insert(s.ip.chains.end(), chains.begin(), chains.end());
    s.ip.dnat = std::move(dnat);
    s.ip.snat = std::move(snat);
    return s;
}

netlink::NftRuleInfo jumpRule(const char *chain, uint64_t handle, const std::string &to)
{
    return {"husk", chain, handle, {to}};
}

} // namespace

BOOST_AUTO_TEST_SUITE(parsing)

BOOST_AUTO_TEST_CASE(forms_of_a_port_forward)
{
    PortForward a = forward("8080:80");
    BOOST_TEST(!a.hostIp.has_value());
    BOOST_TEST(a.hostPort == 8080);
    BOOST_TEST(a.containerPort == 80);
    BOOST_TEST((a.proto == Protocol::Tcp));

    PortForward b = forward("127.0.0.1:5353:53/udp");
    BOOST_TEST((b.hostIp == ip("127.0.0.1")));
    BOOST_TEST(b.hostPort == 5353);
    BOOST_TEST(b.containerPort == 53);
    BOOST_TEST((b.proto == Protocol::Udp));

    PortForward c = forward("[fd00::1]:443:8443/tcp");
    BOOST_TEST((c.hostIp == ip("fd00::1")));
    BOOST_TEST(c.hostPort == 443);
    BOOST_TEST(c.containerPort == 8443);

    BOOST_TEST((forward("0.0.0.0:1:65535").hostIp == ip("0.0.0.0")));
    BOOST_TEST((forward("[::]:80:80").hostIp->family == IpFamily::V6));
}

BOOST_AUTO_TEST_CASE(errors_name_the_bad_part)
{
    struct Case {
        const char *text;
        const char *says;
    };
    for (const Case &c : {
             Case{"", "host port is required"},
             Case{"80", "host port is required"},
             Case{"x:80", "host port \"x\": not a port number"},
             Case{"8080:", "container port is empty"},
             Case{":80", "host port is empty"},
             Case{"8080:0", "container port \"0\": not a port number"},
             Case{"8080:65536", "container port \"65536\""},
             Case{"+80:80", "host port \"+80\""},
             Case{"8080:80/sctp", "protocol \"sctp\": want tcp or udp"},
             Case{"8080:80/", "protocol \"\""},
             Case{"8000-8010:80", "port ranges are not supported"},
             Case{"fd00::1:80:80", "IPv6 host address goes in brackets"},
             Case{"[fd00::1:80:80", "no \"]\""},
             Case{"[fd00::1]80:80", "want \":\" after the host address"},
             Case{"[fd00::1]:80", "want [HOSTIP:]HOSTPORT:CONTAINERPORT"},
             Case{":8080:80", "the host address is empty"},
             Case{"10.0.0.300:80:80", "host address: \"10.0.0.300\""},
         }) {
        std::string err = errorOf(parsePortForward(c.text));
        BOOST_TEST_CONTEXT(c.text)
        {
            BOOST_TEST(contains(err, "port forward \"" + std::string(c.text) + "\""), err);
            BOOST_TEST(contains(err, c.says), err);
        }
    }
}

BOOST_AUTO_TEST_CASE(lists)
{
    auto none = parsePortForwards("  ");
    BOOST_TEST_REQUIRE(none.has_value());
    BOOST_TEST(none->empty());

    auto two = parsePortForwards("8080:80, 127.0.0.1:5353:53/udp ,[::1]:8443:443");
    BOOST_TEST_REQUIRE(two.has_value(), errorOf(two));
    BOOST_TEST(two->size() == 3u);
    BOOST_TEST(((*two)[1] == forward("127.0.0.1:5353:53/udp")));

    BOOST_TEST(contains(errorOf(parsePortForwards("8080:80,,9090:90")), "entry 2 is empty"));
    BOOST_TEST(contains(errorOf(parsePortForwards("8080:80,9090")), "port forward \"9090\""));
    // The same host port and protocol on overlapping addresses.
    BOOST_TEST(contains(errorOf(parsePortForwards("8080:80,127.0.0.1:8080:81")),
                        "\"8080:80/tcp\" and \"127.0.0.1:8080:81/tcp\" both take tcp port 8080"));
    BOOST_TEST(contains(errorOf(parsePortForwards("10.0.0.1:53:53/udp,10.0.0.1:53:54/udp")),
                        "both take udp port 53"));
    // ...but not on different protocols, addresses or families.
    BOOST_TEST(parsePortForwards("8080:80/tcp,8080:80/udp").has_value());
    BOOST_TEST(parsePortForwards("127.0.0.1:8080:80,127.0.0.2:8080:80").has_value());
    BOOST_TEST(parsePortForwards("0.0.0.0:8080:80,[::1]:8080:80").has_value());
}

BOOST_AUTO_TEST_CASE(text_round_trip)
{
    for (const char *text : {"8080:80/tcp", "127.0.0.1:5353:53/udp", "[fd00::1]:443:8443/tcp"})
        BOOST_TEST(formatPortForward(forward(text)) == text);
    BOOST_TEST(formatPortForward(forward("8080:80")) == "8080:80/tcp");
}

BOOST_AUTO_TEST_CASE(chain_names)
{
    BOOST_TEST(portForwardChain("web") == "pod-web");
    BOOST_TEST(networkChain("husk") == "net-husk");
    std::string a(1000, 'a');
    std::string b = a;
    b.back() = 'b';
    BOOST_TEST(portForwardChain(a).size() <= netlink::kNftMaxNameLength);
    BOOST_TEST(portForwardChain(a) != portForwardChain(b));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(rules)

BOOST_AUTO_TEST_CASE(port_forward_rules_as_nft_prints_them)
{
    std::vector<PortForward> fs = {forward("192.0.2.1:8080:8000"), forward("5353:53/udp"),
                                   forward("[fd00::1]:8443:443")};
    auto rules = portForwardRules("web", {ip("10.99.0.2"), ip("fd00:99::2")}, fs);
    BOOST_TEST_REQUIRE(rules.has_value(), errorOf(rules));
    std::vector<std::string> want = {
        "ip daddr 192.0.2.1 tcp dport 8080 dnat to 10.99.0.2:8000",
        "udp dport 5353 dnat to 10.99.0.2:53",
        "udp dport 5353 dnat to [fd00:99::2]:53",
        "ip6 daddr fd00::1 tcp dport 8443 dnat to [fd00:99::2]:443",
    };
    BOOST_TEST(texts(*rules) == want, boost::test_tools::per_element());
    for (const NftRule &r : *rules) {
        BOOST_TEST(r.chain() == "pod-web");
        BOOST_TEST(r.table() == "husk");
        BOOST_TEST(r.error().empty(), r.error());
    }
    BOOST_TEST(((*rules)[2].family() == NftFamily::Ip6));

    // 0.0.0.0 means every IPv4 address: no address match, and no IPv6 rule.
    auto any = portForwardRules("web", {ip("10.99.0.2"), ip("fd00:99::2")},
                                std::vector<PortForward>{forward("0.0.0.0:80:80")});
    BOOST_TEST_REQUIRE(any.has_value());
    BOOST_TEST(texts(*any) == std::vector<std::string>{"tcp dport 80 dnat to 10.99.0.2:80"},
               boost::test_tools::per_element());

    auto noV6 = portForwardRules("web", {ip("10.99.0.2"), std::nullopt},
                                 std::vector<PortForward>{forward("[::1]:80:80")});
    BOOST_TEST(contains(errorOf(noV6), "web has no IPv6 address"), errorOf(noV6));
    BOOST_TEST(!portForwardRules("", {ip("10.99.0.2"), std::nullopt}, {}).has_value());
}

BOOST_AUTO_TEST_CASE(network_rules_as_nft_prints_them)
{
    Network n = testNetwork();
    std::vector<std::string> want = {
        "ip saddr 10.99.0.0/24 ip daddr != 10.99.0.0/24 masquerade",
        "ct status dnat ip saddr 10.99.0.0/24 ip daddr 10.99.0.0/24 masquerade",
        "ct status dnat ip saddr 127.0.0.0/8 ip daddr 10.99.0.0/24 masquerade",
    };
    BOOST_TEST(texts(networkRules(n, NftFamily::Ip)) == want, boost::test_tools::per_element());
    BOOST_TEST(networkRules(n, NftFamily::Ip6).empty());

    n.masquerade = false;
    want.erase(want.begin());
    BOOST_TEST(texts(networkRules(n, NftFamily::Ip)) == want, boost::test_tools::per_element());

    n.masquerade = true;
    n.ipv4.subnet = subnet("10.76.0.0/15");
    n.ipv6 = AddressPool{subnet("fd00:99::/64"), ip("fd00:99::1"), std::nullopt};
    BOOST_TEST(networkRules(n, NftFamily::Ip)[0].text() ==
               "ip saddr 10.76.0.0/15 ip daddr != 10.76.0.0/15 masquerade");
    std::vector<std::string> want6 = {
        "ip6 saddr fd00:99::/64 ip6 daddr != fd00:99::/64 masquerade",
        "ct status dnat ip6 saddr fd00:99::/64 ip6 daddr fd00:99::/64 masquerade",
    };
    BOOST_TEST(texts(networkRules(n, NftFamily::Ip6)) == want6, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(expressions_of_the_rules)
{
    // Read back by libnftnl from the encoded batch: loads of the right header fields, a mask
    // only where a prefix ends inside a byte, immediates feeding the nat statement.
    Network n = testNetwork();
    n.ipv4.subnet = subnet("10.76.0.0/15");
    NftBatch batch(std::nullopt);
    for (const NftRule &r : networkRules(n, NftFamily::Ip))
        batch.addRule(r);
    auto fwd = portForwardRules("web", {ip("10.99.0.2"), std::nullopt},
                                std::vector<PortForward>{forward("192.0.2.1:8080:8000")});
    BOOST_TEST_REQUIRE(fwd.has_value());
    batch.addRule((*fwd)[0]);
    NftRule jump(NftFamily::Ip, "husk", "prerouting");
    jump.matchLocalDestination().jump("husk-dnat");
    batch.addRule(jump);
    BOOST_TEST_REQUIRE(batch.error().empty(), batch.error());

    auto bytes = batch.datagram();
    std::vector<std::vector<std::string>> got;
    for (const Sent &m : messagesOf(bytes))
        if (m.type == nft(NFT_MSG_NEWRULE))
            got.push_back(expressionsOf(m.nlh));
    BOOST_TEST_REQUIRE(got.size() == 5u);
    // base 1 = network header: saddr at 12, daddr at 16, two bytes of a /15.
    std::vector<std::string> masq = {"payload@1,12,2", "bitwise", "cmp", "payload@1,16,2",
                                     "bitwise",        "cmp",     "masq"};
    BOOST_TEST(got[0] == masq, boost::test_tools::per_element());
    std::vector<std::string> hairpin = {
        "ct",      "bitwise", "cmp", "payload@1,12,2", "bitwise", "cmp", "payload@1,16,2",
        "bitwise", "cmp",     "masq"};
    BOOST_TEST(got[1] == hairpin, boost::test_tools::per_element());
    // 127.0.0.0/8: one byte, no mask.
    BOOST_TEST(got[2][3] == "payload@1,12,1");
    BOOST_TEST(got[2][4] == "cmp");
    // base 2 = transport header: the destination port at offset 2.
    std::vector<std::string> dnat = {
        "payload@1,16,4", "cmp",       "meta", "cmp", "payload@2,2,2", "cmp",
        "immediate",      "immediate", "nat"};
    BOOST_TEST(got[3] == dnat, boost::test_tools::per_element());
    std::vector<std::string> local = {"fib", "cmp", "immediate:jump husk-dnat"};
    BOOST_TEST(got[4] == local, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_bad_rule_is_refused_with_its_reason)
{
    NftRule r(NftFamily::Ip, "husk", "pod-web");
    netlink::IpAddress v6;
    v6.family = AF_INET6;
    r.dnat(v6, 80);
    BOOST_TEST(contains(r.error(), "not an address of family ip"), r.error());
    NftBatch batch;
    batch.addRule(r);
    BOOST_TEST(contains(batch.error(), "add rule ip husk pod-web"), batch.error());

    NftBatch names;
    names.addChain(NftFamily::Ip, "husk", std::string(300, 'x'));
    BOOST_TEST(contains(names.error(), "is not a name nf_tables takes"), names.error());

    NftRule many(NftFamily::Ip, "husk", "c");
    for (int i = 0; i < 20; ++i)
        many.matchLocalDestination();
    BOOST_TEST(contains(many.error(), "more than"), many.error());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(plans)

BOOST_AUTO_TEST_CASE(adding_forwards_to_an_empty_ruleset)
{
    FirewallState empty;
    empty.generation = 7;
    auto batch = planAddPortForwards(empty, "web", {ip("10.99.0.2"), std::nullopt},
                                     std::vector<PortForward>{forward("8080:80")});
    BOOST_TEST_REQUIRE(batch.has_value(), errorOf(batch));
    std::vector<std::string> want = {
        "add table ip husk",
        "add chain ip husk husk-dnat",
        "add chain ip husk husk-snat",
        "add chain ip husk prerouting { type nat hook prerouting priority -100; }",
        "flush chain ip husk prerouting",
        "add rule ip husk prerouting fib daddr type local jump husk-dnat",
        "add chain ip husk output { type nat hook output priority -100; }",
        "flush chain ip husk output",
        "add rule ip husk output fib daddr type local jump husk-dnat",
        "add chain ip husk postrouting { type nat hook postrouting priority 100; }",
        "flush chain ip husk postrouting",
        "add rule ip husk postrouting jump husk-snat",
        "add chain ip husk pod-web",
        "flush chain ip husk pod-web",
        "add rule ip husk pod-web tcp dport 8080 dnat to 10.99.0.2:80",
        "add rule ip husk husk-dnat jump pod-web",
    };
    BOOST_TEST(batch->commands() == want, boost::test_tools::per_element());

    // On the wire: BEGIN (with the generation, for the nftables subsystem), one message per
    // command each asking for an ack, END; no message asks for a reply other than the ack.
    auto bytes = batch->datagram();
    auto sent = messagesOf(bytes);
    BOOST_TEST_REQUIRE(sent.size() == want.size() + 2);
    BOOST_TEST(sent.front().type == NFNL_MSG_BATCH_BEGIN);
    BOOST_TEST(sent.back().type == NFNL_MSG_BATCH_END);
    BOOST_TEST(!(sent.front().flags & NLM_F_ACK));
    const auto *begin = static_cast<const nfgenmsg *>(mnl_nlmsg_get_payload(sent.front().nlh));
    BOOST_TEST(ntohs(begin->res_id) == NFNL_SUBSYS_NFTABLES);
    std::optional<uint32_t> genid;
    mnl_attr_parse(
        sent.front().nlh, sizeof(nfgenmsg),
        [](const nlattr *a, void *data) -> int {
            if (mnl_attr_get_type(a) == NFNL_BATCH_GENID)
                *static_cast<std::optional<uint32_t> *>(data) = ntohl(mnl_attr_get_u32(a));
            return MNL_CB_OK;
        },
        &genid);
    BOOST_TEST((genid == 7u));
    std::vector<uint16_t> types;
    for (size_t i = 1; i + 1 < sent.size(); ++i) {
        BOOST_TEST((sent[i].flags & NLM_F_ACK));
        types.push_back(sent[i].type);
    }
    BOOST_TEST(types[0] == nft(NFT_MSG_NEWTABLE));
    BOOST_TEST(types[1] == nft(NFT_MSG_NEWCHAIN));
    BOOST_TEST(types[4] == nft(NFT_MSG_DELRULE)); // the flush
    BOOST_TEST(types[5] == nft(NFT_MSG_NEWRULE));
    BOOST_TEST(types.back() == nft(NFT_MSG_NEWRULE));
    BOOST_TEST((sent[6].flags & NLM_F_APPEND));
}

BOOST_AUTO_TEST_CASE(re_adding_forwards_keeps_one_jump_in_place)
{
    FirewallState s = stateWith({"pod-web", "pod-db"}, {jumpRule("husk-dnat", 5, "pod-web"),
                                                        jumpRule("husk-dnat", 6, "pod-db")});
    auto batch = planAddPortForwards(s, "web", {ip("10.99.0.2"), std::nullopt},
                                     std::vector<PortForward>{forward("9090:90")});
    BOOST_TEST_REQUIRE(batch.has_value());
    const auto &c = batch->commands();
    std::vector<std::string> tail(c.end() - 3, c.end());
    std::vector<std::string> want = {
        "add chain ip husk pod-web", "flush chain ip husk pod-web",
        "add rule ip husk pod-web tcp dport 9090 dnat to 10.99.0.2:90"};
    BOOST_TEST(tail == want, boost::test_tools::per_element());
    BOOST_TEST(std::none_of(c.begin(), c.end(), [](const std::string &x) {
        return x.starts_with("delete rule") || x == "add rule ip husk husk-dnat jump pod-web";
    }));

    // Two jumps (something went wrong before): the first stays, the second goes.
    s.ip.dnat.push_back(jumpRule("husk-dnat", 8, "pod-web"));
    auto fixed = planAddPortForwards(s, "web", {ip("10.99.0.2"), std::nullopt},
                                     std::vector<PortForward>{forward("9090:90")});
    BOOST_TEST_REQUIRE(fixed.has_value());
    const auto &f = fixed->commands();
    BOOST_TEST(std::count(f.begin(), f.end(), "delete rule ip husk husk-dnat handle 8") == 1);
    BOOST_TEST(std::count_if(f.begin(), f.end(), [](const std::string &x) {
                   return x.starts_with("delete rule");
               }) == 1);
}

BOOST_AUTO_TEST_CASE(removing_forwards_removes_exactly_theirs)
{
    FirewallState s =
        stateWith({"pod-web", "pod-db", "net-hktnet"},
                  {jumpRule("husk-dnat", 5, "pod-web"), jumpRule("husk-dnat", 9, "pod-db")},
                  {jumpRule("husk-snat", 11, "net-hktnet")});
    auto batch = planRemovePortForwards(s, "web");
    BOOST_TEST_REQUIRE(batch.has_value());
    std::vector<std::string> want = {"delete rule ip husk husk-dnat handle 5",
                                     "flush chain ip husk pod-web", "delete chain ip husk pod-web"};
    BOOST_TEST(batch->commands() == want, boost::test_tools::per_element());

    // Nothing of the owner there: nothing to send.
    auto none = planRemovePortForwards(s, "cache");
    BOOST_TEST_REQUIRE(none.has_value());
    BOOST_TEST(none->empty());
    auto nothing = planRemovePortForwards(FirewallState{}, "web");
    BOOST_TEST_REQUIRE(nothing.has_value());
    BOOST_TEST(nothing->empty());
}

BOOST_AUTO_TEST_CASE(removing_the_last_removes_the_table)
{
    FirewallState s = stateWith({"pod-web"}, {jumpRule("husk-dnat", 5, "pod-web")});
    auto batch = planRemovePortForwards(s, "web");
    BOOST_TEST_REQUIRE(batch.has_value());
    BOOST_TEST(batch->commands() == std::vector<std::string>{"delete table ip husk"},
               boost::test_tools::per_element());

    FirewallState n = stateWith({"net-hktnet"}, {}, {jumpRule("husk-snat", 3, "net-hktnet")});
    auto net = planRemoveNetwork(n, "hktnet");
    BOOST_TEST_REQUIRE(net.has_value());
    BOOST_TEST(net->commands() == std::vector<std::string>{"delete table ip husk"},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_network_in_place_is_left_alone)
{
    // Its chain and the jump to it are there: no transaction at all (a rewrite would flush a
    // chain and make the commit wait for an RCU grace period, on every pod).
    Network n = testNetwork();
    FirewallState s = stateWith({"net-hktnet"}, {}, {jumpRule("husk-snat", 3, "net-hktnet")});
    auto batch = planAddNetwork(s, n);
    BOOST_TEST_REQUIRE(batch.has_value(), errorOf(batch));
    BOOST_TEST(batch->empty());
    // The chain without its jump (or the other way round) is repaired.
    auto chainOnly = planAddNetwork(stateWith({"net-hktnet"}, {}), n);
    BOOST_TEST_REQUIRE(chainOnly.has_value(), errorOf(chainOnly));
    BOOST_TEST(!chainOnly->empty());
    auto jumpOnly = planAddNetwork(stateWith({}, {}, {jumpRule("husk-snat", 3, "net-hktnet")}), n);
    BOOST_TEST_REQUIRE(jumpOnly.has_value(), errorOf(jumpOnly));
    BOOST_TEST(!jumpOnly->empty());
}

BOOST_AUTO_TEST_CASE(adding_a_network)
{
    Network n = testNetwork();
    n.ipv6 = AddressPool{subnet("fd00:99::/64"), ip("fd00:99::1"), std::nullopt};
    FirewallState s = stateWith({}, {}, {jumpRule("husk-snat", 3, "net-hktnet")});
    auto batch = planAddNetwork(s, n);
    BOOST_TEST_REQUIRE(batch.has_value(), errorOf(batch));
    const auto &c = batch->commands();
    for (const char *want : {
             "add rule ip husk net-hktnet ip saddr 10.99.0.0/24 ip daddr != 10.99.0.0/24 "
             "masquerade",
             "add table ip6 husk",
             "add rule ip6 husk net-hktnet ip6 saddr fd00:99::/64 ip6 daddr != fd00:99::/64 "
             "masquerade",
             "add rule ip6 husk husk-snat jump net-hktnet",
         })
        BOOST_TEST((std::find(c.begin(), c.end(), want) != c.end()), want);
    // The ip table has its jump already: it stays, and is not added twice.
    BOOST_TEST(std::none_of(c.begin(), c.end(), [](const std::string &x) {
        return x.starts_with("delete rule") || x == "add rule ip husk husk-snat jump net-hktnet";
    }));
}

BOOST_AUTO_TEST_SUITE_END()

// ---- kernel tests ----------------------------------------------------------------------------

namespace {

// Skips a test that needs root, saying why.
boost::test_tools::assertion_result needsRoot(boost::unit_test::test_unit_id)
{
    return skipUnless(::geteuid() == 0,
                      "skipped: needs root to create network namespaces and nf_tables rules");
}

// Also needs busybox (the echo server) and nft (reading the rules back).
boost::test_tools::assertion_result needsTools(boost::unit_test::test_unit_id)
{
    bool found = std::system("command -v busybox >/dev/null 2>&1 && "
                             "command -v nft >/dev/null 2>&1") == 0;
    return skipUnless(::geteuid() == 0 && found, "skipped: needs root, busybox and nft(8)");
}

// A process the test started in another namespace, in a process group of its own; killed (the
// group: busybox nc forks a child per connection) and reaped when this goes away.
class Spawned
{
public:
    Spawned(int netnsFd, std::vector<std::string> argv)
    {
        pid_ = ::fork();
        if (pid_ != 0)
            return;
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, 1);
        ::dup2(null, 2);
        if (::setns(netnsFd, CLONE_NEWNET) < 0)
            ::_exit(126);
        std::vector<char *> args;
        for (std::string &a : argv)
            args.push_back(a.data());
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    Spawned(const Spawned &) = delete;
    Spawned &operator=(const Spawned &) = delete;
    ~Spawned()
    {
        if (pid_ <= 0)
            return;
        ::kill(-pid_, SIGKILL);
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    bool started() const { return pid_ > 0; }

private:
    pid_t pid_ = -1;
};

sockaddr_storage endpoint(const std::string &address, uint16_t port, socklen_t &len)
{
    sockaddr_storage ss{};
    if (address.find(':') == std::string::npos) {
        auto *in = reinterpret_cast<sockaddr_in *>(&ss);
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        ::inet_pton(AF_INET, address.c_str(), &in->sin_addr);
        len = sizeof(sockaddr_in);
    } else {
        auto *in6 = reinterpret_cast<sockaddr_in6 *>(&ss);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        ::inet_pton(AF_INET6, address.c_str(), &in6->sin6_addr);
        len = sizeof(sockaddr_in6);
    }
    return ss;
}

// A TCP socket connected to address:port within 2 seconds, from the caller's namespace.
Result<UniqueFd> connectTo(const std::string &address, uint16_t port)
{
    socklen_t len = 0;
    sockaddr_storage to = endpoint(address, port, len);
    UniqueFd s(::socket(to.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    timeval timeout{2, 0};
    if (!s || ::setsockopt(s.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout)) < 0 ||
        ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) < 0)
        return failErrno("socket");
    if (::connect(s.get(), reinterpret_cast<sockaddr *>(&to), len) < 0)
        return failErrno("connect to " + address + ":" + std::to_string(port));
    return s;
}

// Sends text to address:port and returns what comes back before the other side closes.
Result<std::string> echo(const std::string &address, uint16_t port, const std::string &text)
{
    UniqueFd s = HUSK_TRY(connectTo(address, port));
    if (::send(s.get(), text.data(), text.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(text.size()))
        return failErrno("send to " + address);
    ::shutdown(s.get(), SHUT_WR);
    std::string out;
    char buf[512];
    for (;;) {
        ssize_t n = ::recv(s.get(), buf, sizeof buf, 0);
        if (n < 0)
            return failErrno("receive from " + address + " after \"" + out + "\"");
        if (n == 0)
            return out;
        out.append(buf, static_cast<size_t>(n));
    }
}

// As echo(), from inside the namespace netnsFd refers to.
Result<std::string> echoFrom(int netnsFd, const std::string &address, uint16_t port,
                             const std::string &text)
{
    std::optional<Result<std::string>> out;
    HUSK_TRY(netlink::runInNetns(netnsFd, [&]() -> Result<void> {
        out = echo(address, port, text);
        return {};
    }));
    return std::move(*out);
}

// "" when address:port echoes text back (asked from netnsFd's namespace, or the caller's for
// -1), else what went wrong.
std::string checkEcho(int netnsFd, const std::string &address, uint16_t port,
                      const std::string &text)
{
    auto got = netnsFd < 0 ? echo(address, port, text) : echoFrom(netnsFd, address, port, text);
    if (!got)
        return "echo through " + address + ":" + std::to_string(port) + " (" + text +
               "): " + got.error().what();
    if (*got != text)
        return "echo through " + address + ":" + std::to_string(port) + ": got \"" + *got +
               "\", wanted \"" + text + "\"";
    return {};
}

// The test's three namespaces: "host" (the child's own, where husk's table goes), a
// "container" on the host's bridge, and an "outside" machine on a veth of the host's.
//
//   container 10.99.0.2/24 eth0 --- hktc<pid> [bridge hktb<pid> 10.99.0.1/24]   host
//   outside 192.0.2.2/24 eth0   --- hkto<pid> 192.0.2.1/24                       host
//
// The outside namespace has no route to 10.99.0.0/24: only DNAT gets it to the container, and
// only masquerade gets the container's answers back to it.
struct Topology {
    UniqueFd container;
    UniqueFd outside;
    std::string bridge = hkt("b");
};

std::string buildTopology(Topology &t)
{
    t.container = newNetns();
    t.outside = newNetns();
    if (!t.container || !t.outside)
        return std::string("create namespaces: ") + std::strerror(errno);
    auto prefix = [](const char *text) { return netlink::parseIpPrefix(text).value(); };
    auto address = [](const char *text) { return netlink::parseIpAddress(text).value(); };
    auto r = [&]() -> Result<void> {
        netlink::Socket host = HUSK_TRY(netlink::Socket::open());
        HUSK_TRY(netlink::setLinkUp(host, "lo", true));
        HUSK_TRY(netlink::createBridge(host, t.bridge));
        HUSK_TRY(netlink::addAddress(host, t.bridge, prefix("10.99.0.1/24")));
        HUSK_TRY(netlink::createVeth(host, hkt("c"), "eth0", t.container.get()));
        HUSK_TRY(netlink::setLinkMaster(host, hkt("c"), t.bridge));
        // As a pod's host veth: with br_netfilter, a DNAT back into the bridge is bridged, out
        // of the port the packet came in by when a pod reaches its own forward.
        HUSK_TRY(netlink::setHairpin(host, hkt("c"), true));
        HUSK_TRY(netlink::setLinkUp(host, hkt("c"), true));
        HUSK_TRY(netlink::createVeth(host, hkt("o"), "eth0", t.outside.get()));
        HUSK_TRY(netlink::addAddress(host, hkt("o"), prefix("192.0.2.1/24")));
        HUSK_TRY(netlink::setLinkUp(host, hkt("o"), true));
        HUSK_TRY(
            netlink::withSocketInNetns(t.container.get(), [&](netlink::Socket &s) -> Result<void> {
                HUSK_TRY(netlink::setLinkUp(s, "lo", true));
                HUSK_TRY(netlink::addAddress(s, "eth0", prefix("10.99.0.2/24")));
                HUSK_TRY(netlink::setLinkUp(s, "eth0", true));
                return netlink::addDefaultRoute(s, address("10.99.0.1"), "eth0");
            }));
        return netlink::withSocketInNetns(t.outside.get(), [&](netlink::Socket &s) -> Result<void> {
            HUSK_TRY(netlink::setLinkUp(s, "lo", true));
            HUSK_TRY(netlink::addAddress(s, "eth0", prefix("192.0.2.2/24")));
            return netlink::setLinkUp(s, "eth0", true);
        });
    }();
    return r ? std::string() : "build the test network: " + r.error().what();
}

// nft's JSON listing of a table, or null when there is no such table.
nlohmann::json listTable(const std::string &family, const std::string &table)
{
    std::string out = run("nft -j list table " + family + " " + table);
    auto j = nlohmann::json::parse(out, nullptr, false);
    if (j.is_discarded() || !j.contains("nftables"))
        return nullptr;
    return j["nftables"];
}

// Chain name -> the chains its rules jump to, one entry per rule (what nft -j shows).
std::map<std::string, std::vector<std::string>> rulesByChain(const nlohmann::json &items)
{
    std::map<std::string, std::vector<std::string>> out;
    for (const auto &item : items) {
        if (item.contains("chain"))
            out[item["chain"]["name"].get<std::string>()];
        if (!item.contains("rule"))
            continue;
        std::string target;
        for (const auto &e : item["rule"]["expr"])
            if (e.contains("jump"))
                target = e["jump"]["target"].get<std::string>();
        out[item["rule"]["chain"].get<std::string>()].push_back(target);
    }
    return out;
}

// The rule lines of nft's text listing, trimmed ("chain", "type", braces left out).
std::vector<std::string> ruleLines(const std::string &listing)
{
    std::vector<std::string> out;
    size_t start = 0;
    while (start < listing.size()) {
        size_t end = listing.find('\n', start);
        if (end == std::string::npos)
            end = listing.size();
        std::string line = listing.substr(start, end - start);
        start = end + 1;
        line.erase(0, line.find_first_not_of(" \t"));
        line.erase(line.find_last_not_of(" \t") + 1);
        if (line.empty() || line == "}" || line.starts_with("table ") ||
            line.starts_with("chain ") || line.starts_with("type "))
            continue;
        out.push_back(line);
    }
    return out;
}

bool hasLine(const std::vector<std::string> &lines, const std::string &line)
{
    return std::find(lines.begin(), lines.end(), line) != lines.end();
}

} // namespace

// In a kernel test's child: ends the test with the message when it is not empty.
#define CHECK(expr)                                                                                \
    do {                                                                                           \
        if (std::string check_ = (expr); !check_.empty())                                          \
            return check_;                                                                         \
    } while (0)

BOOST_AUTO_TEST_SUITE(kernel, *boost::unit_test::precondition(needsRoot))

BOOST_AUTO_TEST_CASE(errors_name_the_command_and_teardown_is_idempotent)
{
    std::string err = inPrivateNetns([]() -> std::string {
        TAKE(socket, netlink::Socket::open(NETLINK_NETFILTER));
        // A rule for a chain that is not there: the kernel's ENOENT, naming the command.
        NftBatch batch;
        batch.addTable(NftFamily::Ip, "hktother");
        NftRule r(NftFamily::Ip, "hktother", "nochain");
        r.masquerade();
        batch.addRule(r);
        auto sent = netlink::sendBatch(socket, batch);
        if (sent || sent.error().code() != ENOENT ||
            !contains(sent.error().what(), "add rule ip hktother nochain masquerade"))
            return "wanted ENOENT naming the rule, got " + errorOf(sent);
        // All or nothing: the table of the same batch was not created either.
        TAKE(tables, netlink::listNftTables(socket, NftFamily::Ip));
        if (!tables.empty())
            return "a refused batch left a table behind";

        TAKE(fw, Firewall::open());
        STEP(fw.removePortForwards("web"));
        STEP(fw.removeNetwork("hktnet"));
        STEP(fw.removeAll());
        STEP(netlink::deleteNftChain(socket, NftFamily::Ip, "husk", "nochain"));
        TAKE(rules, netlink::listNftRules(socket, NftFamily::Ip, "husk", "husk-dnat"));
        if (!rules.empty())
            return "rules listed from a table that is not there";
        return {};
    });
    BOOST_CHECK_MESSAGE(err.empty(), err);
}

BOOST_AUTO_TEST_CASE(forwards_and_masquerade_carry_traffic,
                     *boost::unit_test::precondition(needsTools))
{
    std::string err = inPrivateNetns([]() -> std::string {
        Topology t;
        CHECK(buildTopology(t));
        Network net = testNetwork(t.bridge);
        net.ipv6 = AddressPool{subnet("fd00:99::/64"), ip("fd00:99::1"), std::nullopt};

        // A table that is not husk's, to see it is never touched.
        TAKE(nfSocket, netlink::Socket::open(NETLINK_NETFILTER));
        {
            NftBatch other;
            other.addTable(NftFamily::Ip, "hktother");
            other.addChain(NftFamily::Ip, "hktother", "c");
            NftRule r(NftFamily::Ip, "hktother", "c");
            r.matchAddress(netlink::NftAddr::Source, netlink::parseIpPrefix("10.0.0.0/8").value());
            other.addRule(r);
            STEP(netlink::sendBatch(nfSocket, other));
        }

        STEP(enableForwarding(net));
        TAKE(forwarding, netlink::readNetSysctl("net.ipv4.ip_forward"));
        TAKE(localnet,
             netlink::readNetSysctl(netlink::deviceSysctlKey("ipv4", t.bridge, "route_localnet")));
        if (forwarding != "1" || localnet != "1")
            return "sysctls not set: ip_forward=" + forwarding + " route_localnet=" + localnet;

        TAKE(fw, Firewall::open());
        std::vector<PortForward> web = {forward("8080:8000"), forward("192.0.2.1:8081:8000"),
                                        forward("5353:53/udp")};
        std::vector<PortForward> db = {forward("127.0.0.1:5432:8000")};
        ForwardTarget container{ip("10.99.0.2"), ip("fd00:99::2")};
        STEP(fw.addNetwork(net));
        STEP(fw.addPortForwards("web", container, web));
        STEP(fw.addPortForwards("db", {ip("10.99.0.2"), std::nullopt}, db));
        // Again: idempotent, nothing doubles.
        STEP(fw.addNetwork(net));
        STEP(fw.addPortForwards("web", container, web));

        // (a) What nft reads back: the chains, one jump per pod and network, and every rule
        // exactly as the code describes it.
        auto items = listTable("ip", "husk");
        if (items.is_null())
            return "no table ip husk: " + run("nft list ruleset");
        auto chains = rulesByChain(items);
        using Jumps = std::vector<std::string>;
        std::map<std::string, Jumps> want = {
            {"prerouting", {"husk-dnat"}},
            {"output", {"husk-dnat"}},
            {"postrouting", {"husk-snat"}},
            {"husk-dnat", {"pod-web", "pod-db"}},
            {"husk-snat", {"net-hktnet"}},
            {"pod-web", {"", "", ""}},
            {"pod-db", {""}},
            {"net-hktnet", {"", "", ""}},
        };
        if (chains != want)
            return "unexpected chains or rules in ip husk:\n" + run("nft list table ip husk");
        for (const auto &item : items) {
            if (!item.contains("chain") || !item["chain"].contains("hook"))
                continue;
            const auto &c = item["chain"];
            const std::string name = c["name"];
            int prio = c["prio"];
            if (c["type"] != "nat" || c["hook"] != name ||
                prio != (name == "postrouting" ? 100 : -100))
                return "base chain " + name + " is " + c.dump();
        }
        auto lines = ruleLines(run("nft list table ip husk"));
        std::vector<std::string> described = {"fib daddr type local jump husk-dnat",
                                              "jump husk-snat", "jump pod-web", "jump pod-db",
                                              "jump net-hktnet"};
        for (const NftRule &r : networkRules(net, NftFamily::Ip))
            described.push_back(r.text());
        TAKE(webRules, portForwardRules("web", container, web));
        TAKE(dbRules, portForwardRules("db", {ip("10.99.0.2"), std::nullopt}, db));
        for (const auto *rules : {&webRules, &dbRules})
            for (const NftRule &r : *rules)
                if (r.family() == NftFamily::Ip)
                    described.push_back(r.text());
        for (const std::string &d : described)
            if (!hasLine(lines, d))
                return "nft does not list \"" + d + "\":\n" + run("nft list table ip husk");
        if (lines.size() != described.size() + 1) // fib...jump appears in prerouting and output
            return "ip husk has other rules than described:\n" + run("nft list table ip husk");
        // The IPv6 side: the network's masquerade and web's forwards to the container's IPv6.
        auto lines6 = ruleLines(run("nft list table ip6 husk"));
        for (const NftRule &r : networkRules(net, NftFamily::Ip6))
            if (!hasLine(lines6, r.text()))
                return "nft does not list \"" + r.text() + "\":\n" + run("nft list table ip6 husk");
        if (!hasLine(lines6, "tcp dport 8080 dnat to [fd00:99::2]:8000"))
            return "no ip6 forward:\n" + run("nft list table ip6 husk");

        // (b) Traffic. An echo server at the container's address...
        Spawned server(t.container.get(),
                       {"busybox", "nc", "-ll", "-p", "8000", "-e", "busybox", "cat"});
        if (!server.started())
            return "start busybox nc";
        std::string direct;
        for (int i = 0; i < 50; ++i) {
            direct = checkEcho(-1, "10.99.0.2", 8000, "ready");
            if (direct.empty())
                break;
            ::usleep(100'000);
        }
        if (!direct.empty())
            return "the echo server never answered directly: " + direct;
        // ...reached from the host through its own addresses (the output hook), 127.0.0.1
        // included (route_localnet and the loopback masquerade)...
        CHECK(checkEcho(-1, "192.0.2.1", 8080, "host to its address"));
        CHECK(checkEcho(-1, "192.0.2.1", 8081, "host to the forward's address"));
        CHECK(checkEcho(-1, "10.99.0.1", 8080, "host to the gateway"));
        CHECK(checkEcho(-1, "127.0.0.1", 8080, "host to loopback"));
        CHECK(checkEcho(-1, "127.0.0.1", 5432, "host to db's loopback-only forward"));
        // ...from outside (prerouting, forwarding and back)...
        CHECK(checkEcho(t.outside.get(), "192.0.2.1", 8080, "outside in"));
        CHECK(checkEcho(t.outside.get(), "192.0.2.1", 8081, "outside in, by address"));
        // ...and from the container to its own forwarded port (hairpin masquerade), both
        // with br_netfilter handing bridged frames to the ip hooks (the DNAT then happens on
        // the bridge) and without (the packet is routed by the host).
        CHECK(checkEcho(t.container.get(), "192.0.2.1", 8080, "container to itself"));
        const char *brnf = "net.bridge.bridge-nf-call-iptables";
        if (auto was = netlink::readNetSysctl(brnf)) {
            STEP(netlink::writeNetSysctl(brnf, *was == "1" ? "0" : "1"));
            CHECK(checkEcho(t.container.get(), "192.0.2.1", 8080, "container to itself, again"));
            STEP(netlink::writeNetSysctl(brnf, *was));
        }
        // A forward bound to 127.0.0.1 is not reachable from outside.
        if (echoFrom(t.outside.get(), "192.0.2.1", 5432, "x"))
            return "db's 127.0.0.1 forward answered from outside";

        // Masquerade: the outside machine sees the container's connection come from the host.
        {
            std::optional<UniqueFd> listener;
            STEP(netlink::runInNetns(t.outside.get(), [&]() -> Result<void> {
                UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
                int one = 1;
                socklen_t len = 0;
                sockaddr_storage at = endpoint("0.0.0.0", 9000, len);
                if (!s || ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
                    ::bind(s.get(), reinterpret_cast<sockaddr *>(&at), len) < 0 ||
                    ::listen(s.get(), 4) < 0)
                    return failErrno("listen on the outside");
                listener = std::move(s);
                return {};
            }));
            std::optional<UniqueFd> client;
            STEP(netlink::runInNetns(t.container.get(), [&]() -> Result<void> {
                client = HUSK_TRY(connectTo("192.0.2.2", 9000));
                return {};
            }));
            pollfd p{listener->get(), POLLIN, 0};
            if (::poll(&p, 1, 3000) != 1)
                return "the container's connection never reached the outside";
            sockaddr_in peer{};
            socklen_t peerLen = sizeof(peer);
            UniqueFd accepted(
                ::accept4(listener->get(), reinterpret_cast<sockaddr *>(&peer), &peerLen, 0));
            char from[INET_ADDRSTRLEN] = {};
            ::inet_ntop(AF_INET, &peer.sin_addr, from, sizeof from);
            if (std::string(from) != "192.0.2.1")
                return std::string("the outside saw the container as ") + from +
                       ", not the host's 192.0.2.1";
        }

        // (c) Removing web's forwards removes its chain and jump, and nothing else.
        STEP(fw.removePortForwards("web"));
        STEP(fw.removePortForwards("web"));
        chains = rulesByChain(listTable("ip", "husk"));
        want.erase("pod-web");
        want["husk-dnat"] = {"pod-db"};
        if (chains != want)
            return "after removing web:\n" + run("nft list table ip husk");
        auto after6 = rulesByChain(listTable("ip6", "husk"));
        if (after6.contains("pod-web") || !after6["husk-dnat"].empty() ||
            after6["husk-snat"] != Jumps{"net-hktnet"})
            return "after removing web, ip6:\n" + run("nft list table ip6 husk");
        if (echo("127.0.0.1", 8080, "gone"))
            return "web's forward still answers";
        CHECK(checkEcho(-1, "127.0.0.1", 5432, "db still forwarded"));

        // (d) Removing the rest removes husk's tables, and only them.
        STEP(fw.removePortForwards("db"));
        STEP(fw.removeNetwork("hktnet"));
        std::string tables = run("nft list tables");
        if (contains(tables, "husk"))
            return "husk's tables are still there:\n" + tables;
        if (!contains(tables, "table ip hktother"))
            return "another table went missing:\n" + tables;
        TAKE(otherRules, netlink::listNftRules(nfSocket, NftFamily::Ip, "hktother", "c"));
        if (otherRules.size() != 1)
            return "the other table's rule went missing";
        STEP(fw.removeAll());
        return {};
    });
    BOOST_CHECK_MESSAGE(err.empty(), err);
}

BOOST_AUTO_TEST_CASE(concurrent_changes_neither_duplicate_nor_lose_rules)
{
    // Three processes changing the ruleset at once: each plans from what it read and commits
    // only if nobody committed meanwhile, planning again otherwise.
    std::string err = inPrivateNetns([]() -> std::string {
        Network net = testNetwork();
        std::vector<pid_t> pids;
        for (int k = 0; k < 3; ++k) {
            pid_t pid = ::fork();
            if (pid < 0)
                return "fork";
            if (pid == 0) {
                auto fw = Firewall::open();
                bool ok = fw.has_value();
                for (int i = 0; ok && i < 10; ++i) {
                    std::vector<PortForward> f = {
                        {std::nullopt, static_cast<uint16_t>(8000 + k), 80, Protocol::Tcp}};
                    auto a = fw->addNetwork(net);
                    auto b = fw->addPortForwards("pod" + std::to_string(k),
                                                 {ip("10.99.0.2"), std::nullopt}, f);
                    if (!a || !b) {
                        std::fprintf(stderr, "%s\n", (!a ? a : b).error().what().c_str());
                        ok = false;
                    }
                }
                ::_exit(ok ? 0 : 1);
            }
            pids.push_back(pid);
        }
        bool allOk = true;
        for (pid_t pid : pids) {
            int status = 0;
            ::waitpid(pid, &status, 0);
            allOk = allOk && WIFEXITED(status) && WEXITSTATUS(status) == 0;
        }
        if (!allOk)
            return "a concurrent change failed";
        TAKE(socket, netlink::Socket::open(NETLINK_NETFILTER));
        TAKE(snat, netlink::listNftRules(socket, NftFamily::Ip, "husk", "husk-snat"));
        TAKE(dnat, netlink::listNftRules(socket, NftFamily::Ip, "husk", "husk-dnat"));
        if (snat.size() != 1 || dnat.size() != 3)
            return "wanted 1 jump to the network and 3 to pods, got " +
                   std::to_string(snat.size()) + " and " + std::to_string(dnat.size());
        std::vector<std::string> targets;
        for (const auto &r : dnat)
            targets.insert(targets.end(), r.jumps.begin(), r.jumps.end());
        std::sort(targets.begin(), targets.end());
        if (targets != std::vector<std::string>{"pod-pod0", "pod-pod1", "pod-pod2"})
            return "the pods' jumps are wrong";
        for (int k = 0; k < 3; ++k) {
            TAKE(rules, netlink::listNftRules(socket, NftFamily::Ip, "husk",
                                              "pod-pod" + std::to_string(k)));
            if (rules.size() != 1)
                return "pod" + std::to_string(k) + " has " + std::to_string(rules.size()) +
                       " rules";
        }
        return {};
    });
    BOOST_CHECK_MESSAGE(err.empty(), err);
}

BOOST_AUTO_TEST_SUITE_END()
