// libcontainer/network/: addresses and subnets, network definitions (JSON, checks, the
// built-in network), the network directory, IPAM (pure allocation, leases on disk, stale-lease
// reclaim, 100 parallel allocations from threads and from processes) and the `husk network`
// operations. No root: every state root and network directory is a temp dir.

#define BOOST_TEST_MODULE network
#include "tests/unit/libcontainer_test_helpers.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "libcontainer/network/address.h"
#include "libcontainer/network/config.h"
#include "libcontainer/network/ipam.h"
#include "libcontainer/network/manage.h"
#include "libcontainer/network/store.h"

using namespace husk;
using namespace husk::network;
using namespace lc_test;
namespace fs = std::filesystem;

namespace {

IpAddress ip(std::string_view text)
{
    return require(parseIpAddress(text));
}

std::string text(const IpAddress &a)
{
    return formatIpAddress(a);
}

// A network in a small subnet, so exhaustion and wrap-around take a few allocations.
Network smallNetwork(std::string_view subnet = "10.1.0.0/29")
{
    Network n;
    n.name = "small";
    n.bridge = "small0";
    n.ipv4.subnet = require(parseSubnet(subnet));
    n.ipv4.gateway = addressPlus(n.ipv4.subnet.network, 1);
    return n;
}

nlohmann::json dualStackDoc()
{
    return nlohmann::json::parse(R"({
        "bridge": "lab0",
        "ipv4": {"subnet": "10.60.0.0/24", "gateway": "10.60.0.254",
                 "range": {"start": "10.60.0.100", "end": "10.60.0.199"}},
        "ipv6": {"subnet": "fd60::/64", "gateway": "fd60::1"},
        "mtu": 9000,
        "masquerade": false,
        "dns": ["10.60.0.254", "fd60::53"]
    })");
}

// The error message of parsing doc as network "lab", after a change to it.
std::string docError(const std::function<void(nlohmann::json &)> &change)
{
    nlohmann::json doc = dualStackDoc();
    change(doc);
    return errorMessage(networkFromJson(doc, "lab"));
}

Lease take(LeaseTable &t, const Network &n, std::string id, std::optional<IpAddress> want = {})
{
    LeaseRequest req{std::move(id), "eth0", want};
    return require(assignLease(t, n, req));
}

// A state root with a state directory for each id (a container that exists).
void makeStateDirs(const TempDir &root, int count, const std::string &prefix)
{
    for (int i = 0; i < count; ++i)
        fs::create_directories(root / (prefix + std::to_string(i)));
}

} // namespace

BOOST_AUTO_TEST_SUITE(addresses)

BOOST_AUTO_TEST_CASE(ipv4_and_ipv6_parse_and_print_canonically)
{
    BOOST_TEST(text(ip("10.77.0.1")) == "10.77.0.1");
    BOOST_TEST((ip("10.77.0.1").value == Uint128(0x0a4d0001)));
    BOOST_TEST(text(ip("FD00:0:0::0:5")) == "fd00::5");
    BOOST_TEST((ip("fd00::5").family == IpFamily::V6));
    BOOST_TEST(contains(errorMessage(parseIpAddress("10.0.0.256")), "\"10.0.0.256\""));
    BOOST_TEST(contains(errorMessage(parseIpAddress("fe80::zz")), "not an IPv6 address"));
    BOOST_TEST(!parseIpAddress(""));
}

BOOST_AUTO_TEST_CASE(subnets_parse_contain_and_overlap)
{
    Subnet s = require(parseSubnet("10.77.0.0/16"));
    BOOST_TEST(text(s.last()) == "10.77.255.255");
    BOOST_TEST(s.contains(ip("10.77.200.3")));
    BOOST_TEST(!s.contains(ip("10.78.0.1")));
    BOOST_TEST(!s.contains(ip("::1")));
    BOOST_TEST(formatSubnet(require(parseSubnet("fd77::/64"))) == "fd77::/64");
    BOOST_TEST(contains(errorMessage(parseSubnet("10.77.0.1/16")), "did you mean 10.77.0.0/16"));
    BOOST_TEST(contains(errorMessage(parseSubnet("10.77.0.0/33")), "from 0 to 32"));
    BOOST_TEST(contains(errorMessage(parseSubnet("10.77.0.0")), "ADDRESS/PREFIX"));
    BOOST_TEST(!parseSubnet("10.77.0.0/1x"));

    BOOST_TEST(subnetsOverlap(require(parseSubnet("10.0.0.0/8")), s));
    BOOST_TEST(subnetsOverlap(s, require(parseSubnet("10.77.3.0/24"))));
    BOOST_TEST(!subnetsOverlap(s, require(parseSubnet("10.88.0.0/16"))));
    BOOST_TEST(!subnetsOverlap(s, require(parseSubnet("::/0"))));
}

BOOST_AUTO_TEST_CASE(address_arithmetic_wraps_within_the_family)
{
    BOOST_TEST(text(addressPlus(ip("10.0.0.255"), 1)) == "10.0.1.0");
    BOOST_TEST(text(addressPlus(ip("255.255.255.255"), 1)) == "0.0.0.0");
    BOOST_TEST(text(addressPlus(ip("fd00::ffff"), 1)) == "fd00::1:0");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(definitions)

BOOST_AUTO_TEST_CASE(builtin_network_is_valid_and_clear_of_podman)
{
    Network n = defaultNetwork();
    requireOk(validateNetwork(n));
    BOOST_TEST(n.name == "husk");
    BOOST_TEST(n.bridge == "husk0");
    BOOST_TEST(formatSubnet(n.ipv4.subnet) == "10.77.0.0/16");
    BOOST_TEST(text(n.ipv4.gateway) == "10.77.0.1");
    BOOST_TEST(n.masquerade);
    BOOST_TEST(!subnetsOverlap(n.ipv4.subnet, require(parseSubnet("10.88.0.0/16"))));
}

BOOST_AUTO_TEST_CASE(document_round_trips)
{
    Network n = require(networkFromJson(dualStackDoc(), "lab"));
    BOOST_TEST(n.name == "lab");
    BOOST_TEST(n.bridge == "lab0");
    BOOST_TEST(text(n.ipv4.gateway) == "10.60.0.254");
    BOOST_REQUIRE(n.ipv4.range.has_value());
    BOOST_TEST(text(n.ipv4.range->start) == "10.60.0.100");
    BOOST_REQUIRE(n.ipv6.has_value());
    BOOST_TEST(formatSubnet(n.ipv6->subnet) == "fd60::/64");
    BOOST_TEST(n.mtu == 9000);
    BOOST_TEST(!n.masquerade);
    BOOST_TEST(n.dns.size() == 2u);
    BOOST_TEST((require(networkFromJson(networkToJson(n), "lab")) == n));
    BOOST_TEST(networkToJson(n)["name"] == "lab");
}

BOOST_AUTO_TEST_CASE(defaults_fill_gateway_mtu_and_masquerade)
{
    auto doc = nlohmann::json::parse(R"({"bridge": "b1", "ipv4": {"subnet": "10.5.0.0/24"}})");
    Network n = require(networkFromJson(doc, "plain"));
    BOOST_TEST(text(n.ipv4.gateway) == "10.5.0.1");
    BOOST_TEST(!n.ipv4.range.has_value());
    BOOST_TEST(!n.ipv6.has_value());
    BOOST_TEST(n.mtu == kDefaultMtu);
    BOOST_TEST(n.masquerade);
    BOOST_TEST(n.dns.empty());
}

BOOST_AUTO_TEST_CASE(errors_name_the_field)
{
    using J = nlohmann::json;
    auto err = docError;
    BOOST_TEST(contains(err([](J &d) { d["ipv4"]["gateway"] = "10.61.0.1"; }),
                        "ipv4.gateway: 10.61.0.1 is not inside the subnet 10.60.0.0/24"));
    BOOST_TEST(contains(err([](J &d) { d["ipv4"]["gateway"] = "10.60.0.255"; }),
                        "ipv4.gateway: 10.60.0.255 is the broadcast address"));
    BOOST_TEST(contains(err([](J &d) { d["ipv4"]["gateway"] = "10.60.0.0"; }),
                        "ipv4.gateway: 10.60.0.0 is the network address"));
    BOOST_TEST(contains(err([](J &d) { d["ipv4"]["range"]["end"] = "10.60.1.5"; }),
                        "ipv4.range: 10.60.1.5 is not inside the subnet"));
    BOOST_TEST(contains(err([](J &d) { d["ipv4"]["range"]["start"] = "10.60.0.250"; }),
                        "ipv4.range: the start 10.60.0.250 is after the end 10.60.0.199"));
    BOOST_TEST(contains(err([](J &d) {
                            d["ipv4"]["range"] = {{"start", "10.60.0.254"}, {"end", "10.60.0.254"}};
                        }),
                        "ipv4.range: no address is left"));
    BOOST_TEST(contains(err([](J &d) { d["ipv4"]["gatway"] = "10.60.0.1"; }),
                        "ipv4.gatway: unknown field"));
    BOOST_TEST(contains(err([](J &d) { d["ipv4"]["subnet"] = "10.60.0.0/31"; }),
                        "ipv4.subnet: 10.60.0.0/31: the prefix length must be from /8 to /30"));
    BOOST_TEST(contains(err([](J &d) { d["ipv4"]["subnet"] = "fd61::/64"; }),
                        "ipv4.subnet: fd61::/64 is not an IPv4 subnet"));
    BOOST_TEST(contains(err([](J &d) { d["ipv4"]["subnet"] = "10.60.0.9/24"; }),
                        "ipv4.subnet: \"10.60.0.9/24\" has host bits set"));
    BOOST_TEST(contains(err([](J &d) { d.erase("ipv4"); }), "ipv4: missing"));
    BOOST_TEST(contains(err([](J &d) { d["ipv6"]["gateway"] = "fd61::1"; }),
                        "ipv6.gateway: fd61::1 is not inside the subnet fd60::/64"));
    BOOST_TEST(contains(err([](J &d) { d["bridge"] = "a-very-long-bridge"; }),
                        "bridge: \"a-very-long-bridge\" must be 1 to 15 characters"));
    BOOST_TEST(contains(err([](J &d) { d["bridge"] = "br/0"; }),
                        "bridge: \"br/0\" is not a valid interface name"));
    BOOST_TEST(contains(err([](J &d) { d.erase("bridge"); }), "bridge: missing"));
    BOOST_TEST(contains(err([](J &d) { d["mtu"] = 1000; }), "mtu: 1000 is out of range (1280"));
    BOOST_TEST(contains(err([](J &d) { d["mtu"] = "big"; }), "mtu: must be an integer"));
    BOOST_TEST(contains(err([](J &d) { d["masquerade"] = "yes"; }), "masquerade: must be true"));
    BOOST_TEST(contains(err([](J &d) { d["dns"][1] = "resolver"; }), "dns[1]: \"resolver\""));
    BOOST_TEST(contains(err([](J &d) { d["name"] = "other"; }),
                        "name: \"other\" does not match the file name lab.json"));
    BOOST_TEST(contains(errorMessage(networkFromJson(nlohmann::json::array(), "lab")),
                        "must be a JSON object"));
    BOOST_TEST(contains(errorMessage(networkFromJson(dualStackDoc(), "-lab")),
                        "name: \"-lab\" is not a valid network name"));
}

BOOST_AUTO_TEST_CASE(a_small_ipv4_mtu_is_fine_without_ipv6)
{
    nlohmann::json doc = dualStackDoc();
    doc.erase("ipv6");
    doc["mtu"] = 576;
    BOOST_TEST(require(networkFromJson(doc, "lab")).mtu == 576);
    doc["mtu"] = 67;
    BOOST_TEST(contains(errorMessage(networkFromJson(doc, "lab")), "mtu: 67 is out of range (68"));
}

BOOST_AUTO_TEST_CASE(conflicts_with_other_networks)
{
    Network husk = defaultNetwork();
    Network lab = require(networkFromJson(dualStackDoc(), "lab"));
    std::vector<Network> others{husk, lab};

    Network n = smallNetwork("10.77.8.0/24");
    BOOST_TEST(errorMessage(checkConflicts(n, others)) ==
               "ipv4.subnet: 10.77.8.0/24 overlaps network husk's 10.77.0.0/16");
    n = smallNetwork("10.0.0.0/8");
    BOOST_TEST(contains(errorMessage(checkConflicts(n, others)), "overlaps network husk's"));
    n = smallNetwork("10.9.0.0/24");
    n.bridge = "husk0";
    BOOST_TEST(errorMessage(checkConflicts(n, others)) ==
               "bridge: husk0 is already the bridge of network husk");
    n = smallNetwork("10.9.0.0/24");
    n.name = "lab";
    BOOST_TEST(errorMessage(checkConflicts(n, others)) ==
               "name: a network named lab already exists");
    n = smallNetwork("10.9.0.0/24");
    n.ipv6 = AddressPool{require(parseSubnet("fd60::/48")), ip("fd60::1"), std::nullopt};
    BOOST_TEST(errorMessage(checkConflicts(n, others)) ==
               "ipv6.subnet: fd60::/48 overlaps network lab's fd60::/64");
    n.ipv6 = AddressPool{require(parseSubnet("fd61::/64")), ip("fd61::1"), std::nullopt};
    requireOk(checkConflicts(n, others));
}

BOOST_AUTO_TEST_CASE(free_bridge_names_skip_used_ones)
{
    std::vector<Network> nets{defaultNetwork()};
    BOOST_TEST(freeBridgeName(nets) == "husk1");
    nets.push_back(smallNetwork());
    nets.back().bridge = "husk1";
    BOOST_TEST(freeBridgeName(nets) == "husk2");
}

BOOST_AUTO_TEST_CASE(create_flags_become_a_checked_network)
{
    std::vector<Network> existing{defaultNetwork()};
    NetworkCreateOptions o;
    o.name = "web";
    o.subnet = "10.90.0.0/24";
    o.range = "10.90.0.10-10.90.0.20";
    o.ipv6Subnet = "fd90::/64";
    o.masquerade = false;
    o.dns = {"1.1.1.1"};
    Network n = require(networkFromOptions(o, existing));
    BOOST_TEST(n.bridge == "husk1");
    BOOST_TEST(text(n.ipv4.gateway) == "10.90.0.1");
    BOOST_TEST(text(n.ipv4.range->end) == "10.90.0.20");
    BOOST_TEST(text(n.ipv6->gateway) == "fd90::1");
    BOOST_TEST(!n.masquerade);
    BOOST_TEST(text(n.dns.at(0)) == "1.1.1.1");

    o.range = "10.90.0.10";
    BOOST_TEST(contains(errorMessage(networkFromOptions(o, existing)), "--range: \"10.90.0.10\""));
    o.range.clear();
    o.ipv6Subnet.clear();
    o.ipv6Gateway = "fd90::1";
    BOOST_TEST(contains(errorMessage(networkFromOptions(o, existing)), "needs --ipv6-subnet"));
    o.ipv6Gateway.clear();
    o.subnet = "10.77.5.0/24";
    BOOST_TEST(contains(errorMessage(networkFromOptions(o, existing)), "overlaps network husk"));
    o.subnet = "10.90.0.0/24";
    o.name = "husk";
    BOOST_TEST(contains(errorMessage(networkFromOptions(o, existing)), "already exists"));
}

BOOST_AUTO_TEST_CASE(allocatable_range_leaves_out_network_and_broadcast)
{
    Network n = smallNetwork("10.1.0.0/29");
    AddressRange r = allocatableRange(n.ipv4);
    BOOST_TEST(text(r.start) == "10.1.0.1");
    BOOST_TEST(text(r.end) == "10.1.0.6");
    n.ipv4.range = AddressRange{ip("10.1.0.0"), ip("10.1.0.3")};
    BOOST_TEST(text(allocatableRange(n.ipv4).start) == "10.1.0.1");
    BOOST_TEST(text(allocatableRange(n.ipv4).end) == "10.1.0.3");
    BOOST_TEST(reservedAddressReason(n.ipv4, ip("10.1.0.1")) == std::string("the gateway"));
    BOOST_TEST(reservedAddressReason(n.ipv4, ip("10.1.0.7")) ==
               std::string("the broadcast address"));
    BOOST_TEST((reservedAddressReason(n.ipv4, ip("10.1.0.2")) == nullptr));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(network_directory)

BOOST_AUTO_TEST_CASE(missing_directory_holds_only_the_builtin_network)
{
    TempDir tmp;
    NetworkDir dir = require(NetworkDir::open(tmp / "absent", NetworkDir::Access::Read));
    std::vector<Network> all = require(dir.load());
    BOOST_TEST(all.size() == 1u);
    BOOST_TEST(all[0].name == "husk");
    BOOST_TEST(!fs::exists(tmp / "absent"));
    BOOST_TEST(errorCode(findNetwork(all, "nope")) == ENOENT);
}

BOOST_AUTO_TEST_CASE(files_load_sorted_and_checked_together)
{
    TempDir tmp;
    {
        NetworkDir dir = require(NetworkDir::open(tmp / "nets", NetworkDir::Access::Change));
        requireOk(dir.write(require(networkFromJson(dualStackDoc(), "lab"))));
        requireOk(dir.write(smallNetwork()));
    }
    BOOST_TEST(((fs::status(tmp / "nets/lab.json").permissions() & fs::perms::others_read) !=
                fs::perms::none));
    NetworkDir dir = require(NetworkDir::open(tmp / "nets", NetworkDir::Access::Read));
    std::vector<Network> all = require(dir.load());
    BOOST_REQUIRE(all.size() == 3u);
    BOOST_TEST(all[0].name == "husk");
    BOOST_TEST(all[1].name == "lab");
    BOOST_TEST(all[2].name == "small");
    BOOST_TEST(require(findNetwork(all, "lab")).mtu == 9000);

    std::ofstream(tmp / "nets/clash.json")
        << R"({"bridge": "c0", "ipv4": {"subnet": "10.1.0.0/24"}})";
    std::string err = errorMessage(dir.load());
    // Files load in name order, so the later one is reported, naming the earlier.
    BOOST_TEST(err == tmp / "nets/small.json: ipv4.subnet: 10.1.0.0/29 overlaps network clash's " +
                          "10.1.0.0/24");
    std::ofstream(tmp / "nets/clash.json") << "{not json";
    BOOST_TEST(contains(errorMessage(dir.load()), "clash.json: syntax error"));
}

BOOST_AUTO_TEST_CASE(a_husk_file_replaces_the_builtin_definition)
{
    TempDir tmp;
    fs::create_directories(tmp / "nets");
    std::ofstream(tmp / "nets/husk.json")
        << R"({"bridge": "husk0", "ipv4": {"subnet": "10.79.0.0/16"}})";
    NetworkDir dir = require(NetworkDir::open(tmp / "nets", NetworkDir::Access::Read));
    std::vector<Network> all = require(dir.load());
    BOOST_REQUIRE(all.size() == 1u);
    BOOST_TEST(formatSubnet(all[0].ipv4.subnet) == "10.79.0.0/16");
}

BOOST_AUTO_TEST_CASE(environment_moves_the_directory)
{
    ::setenv(kNetworkDirEnv, "/tmp/husk-nets", 1);
    BOOST_TEST(networkDir() == "/tmp/husk-nets");
    ::unsetenv(kNetworkDirEnv);
    BOOST_TEST(networkDir() == "/etc/husk/networks");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(allocation)

// "c0", "c1", ...: built by append, as `"c" + std::to_string(i)` trips GCC 12's -Wrestrict
// false positive (bug 105651) at -O2 and above.
std::string memberId(int i)
{
    std::string id = "c";
    id += std::to_string(i);
    return id;
}

BOOST_AUTO_TEST_CASE(never_hands_out_network_gateway_or_broadcast_and_exhausts_clearly)
{
    Network n = smallNetwork("10.1.0.0/29"); // .0 network, .1 gateway, .7 broadcast
    LeaseTable t;
    std::vector<std::string> got;
    for (int i = 0; i < 5; ++i)
        got.push_back(text(take(t, n, memberId(i)).ipv4));
    BOOST_TEST((got == std::vector<std::string>{"10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5",
                                                "10.1.0.6"}));
    std::string err = errorMessage(assignLease(t, n, LeaseRequest{"c5"}));
    BOOST_TEST(err == "network small: no free IPv4 address left in 10.1.0.1-10.1.0.6 (5 leases)");
    BOOST_TEST(t.leases.size() == 5u);
}

BOOST_AUTO_TEST_CASE(a_gateway_inside_the_range_is_skipped)
{
    Network n = smallNetwork("10.1.0.0/29");
    n.ipv4.gateway = ip("10.1.0.4");
    LeaseTable t;
    std::set<std::string> got;
    for (int i = 0; i < 5; ++i)
        got.insert(text(take(t, n, memberId(i)).ipv4));
    BOOST_TEST(
        (got == std::set<std::string>{"10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.5", "10.1.0.6"}));
    BOOST_TEST(!assignLease(t, n, LeaseRequest{"c5"}));
}

BOOST_AUTO_TEST_CASE(round_robin_continues_after_the_last_and_wraps)
{
    Network n = smallNetwork("10.1.0.0/29");
    LeaseTable t;
    take(t, n, "a"); // .2
    take(t, n, "b"); // .3
    take(t, n, "c"); // .4
    std::erase_if(t.leases, [](const Lease &l) { return l.container == "a"; });
    // .2 is free again, but allocation goes on from .4 rather than reusing it at once.
    BOOST_TEST(text(take(t, n, "d").ipv4) == "10.1.0.5");
    BOOST_TEST(text(take(t, n, "e").ipv4) == "10.1.0.6");
    BOOST_TEST(text(take(t, n, "f").ipv4) == "10.1.0.2");
    BOOST_TEST(text(*t.lastIpv4) == "10.1.0.2");
}

BOOST_AUTO_TEST_CASE(the_range_bounds_automatic_allocation)
{
    Network n = smallNetwork("10.1.0.0/24");
    n.ipv4.range = AddressRange{ip("10.1.0.100"), ip("10.1.0.101")};
    LeaseTable t;
    BOOST_TEST(text(take(t, n, "a").ipv4) == "10.1.0.100");
    BOOST_TEST(text(take(t, n, "b").ipv4) == "10.1.0.101");
    BOOST_TEST(contains(errorMessage(assignLease(t, n, LeaseRequest{"c"})),
                        "no free IPv4 address left in 10.1.0.100-10.1.0.101"));
    // A static address outside the range, inside the subnet, is still honoured.
    BOOST_TEST(text(take(t, n, "c", ip("10.1.0.7")).ipv4) == "10.1.0.7");
}

BOOST_AUTO_TEST_CASE(static_requests_are_honoured_or_refused_clearly)
{
    Network n = smallNetwork("10.1.0.0/29");
    LeaseTable t;
    BOOST_TEST(text(take(t, n, "a", ip("10.1.0.5")).ipv4) == "10.1.0.5");
    BOOST_TEST(!t.lastIpv4.has_value()); // a static address does not move the cursor
    BOOST_TEST(text(take(t, n, "b").ipv4) == "10.1.0.2");

    auto refuse = [&](const char *want) {
        return errorMessage(assignLease(t, n, LeaseRequest{"z", "eth0", ip(want)}));
    };
    BOOST_TEST(refuse("10.1.0.5") == "network small: 10.1.0.5 is already leased to a (eth0)");
    BOOST_TEST(refuse("10.1.0.1") == "network small: 10.1.0.1 is the gateway, never handed out");
    BOOST_TEST(refuse("10.1.0.7") ==
               "network small: 10.1.0.7 is the broadcast address, never handed out");
    BOOST_TEST(refuse("10.1.0.0") ==
               "network small: 10.1.0.0 is the network address, never handed out");
    BOOST_TEST(refuse("10.1.0.9") ==
               "network small: 10.1.0.9 is not inside the subnet 10.1.0.0/29");
    BOOST_TEST(refuse("fd00::5") == "network small: fd00::5 is not an IPv4 address");
    BOOST_TEST(
        contains(errorMessage(assignLease(t, n, LeaseRequest{"z", "eth0", {}, ip("fd00::5")})),
                 "has no IPv6 subnet"));
    BOOST_TEST(t.leases.size() == 2u);
}

BOOST_AUTO_TEST_CASE(an_interface_keeps_its_lease)
{
    Network n = smallNetwork("10.1.0.0/29");
    LeaseTable t;
    Lease first = take(t, n, "a");
    BOOST_TEST((take(t, n, "a") == first));
    BOOST_TEST((take(t, n, "a", first.ipv4) == first));
    BOOST_TEST(contains(errorMessage(assignLease(t, n, LeaseRequest{"a", "eth0", ip("10.1.0.6")})),
                        "a (eth0 10.1.0.2) already holds a lease"));
    // Another interface of the same container is another lease.
    BOOST_TEST(text(require(assignLease(t, n, LeaseRequest{"a", "eth1"})).ipv4) == "10.1.0.3");
    BOOST_TEST(contains(errorMessage(assignLease(t, n, LeaseRequest{"../etc"})),
                        "\"../etc\" is not a valid container id"));
    BOOST_TEST(contains(errorMessage(assignLease(t, n, LeaseRequest{"a", "eth0:1"})),
                        "interface: \"eth0:1\""));
}

BOOST_AUTO_TEST_CASE(dual_stack_leases_both_families)
{
    Network n = smallNetwork("10.1.0.0/29");
    n.ipv6 = AddressPool{require(parseSubnet("fd01::/120")), ip("fd01::1"), std::nullopt};
    LeaseTable t;
    Lease a = take(t, n, "a");
    BOOST_REQUIRE(a.ipv6.has_value());
    BOOST_TEST(text(*a.ipv6) == "fd01::2");
    LeaseRequest req{"b", "eth0", {}, ip("fd01::80")};
    Lease b = require(assignLease(t, n, req));
    BOOST_TEST(text(b.ipv4) == "10.1.0.3");
    BOOST_TEST(text(*b.ipv6) == "fd01::80");
    BOOST_TEST(
        contains(errorMessage(assignLease(t, n, LeaseRequest{"c", "eth0", {}, ip("fd01::")})),
                 "fd01:: is the network address"));
    // The last IPv6 address is an ordinary one: IPv6 has no broadcast.
    BOOST_TEST(text(*take(t, n, "d", {}).ipv6) == "fd01::3");
    req = {"e", "eth0", {}, ip("fd01::ff")};
    BOOST_TEST(text(*require(assignLease(t, n, req)).ipv6) == "fd01::ff");
}

BOOST_AUTO_TEST_CASE(a_failure_in_one_family_changes_nothing)
{
    Network n = smallNetwork("10.1.0.0/29");
    n.ipv6 = AddressPool{require(parseSubnet("fd01::/120")), ip("fd01::1"), std::nullopt};
    LeaseTable t;
    take(t, n, "a");
    LeaseRequest req{"b", "eth0", {}, ip("fd01::2")}; // held by a
    BOOST_TEST(!assignLease(t, n, req));
    BOOST_TEST(t.leases.size() == 1u);
    BOOST_TEST(text(*t.lastIpv4) == "10.1.0.2");
}

BOOST_AUTO_TEST_CASE(lease_table_round_trips)
{
    LeaseTable t;
    t.leases.push_back(Lease{"web", "eth0", ip("10.77.0.2"), ip("fd77::2"), 42, 777});
    t.leases.push_back(Lease{"db", "eth1", ip("10.77.0.3")});
    t.lastIpv4 = ip("10.77.0.3");
    LeaseTable back = require(leaseTableFromJson(leaseTableToJson(t)));
    BOOST_TEST((back.leases == t.leases));
    BOOST_TEST((back.lastIpv4 == t.lastIpv4));
    BOOST_TEST(!back.lastIpv6.has_value());
    BOOST_TEST(!leaseToJson(t.leases[0], false).contains("holderPid"));

    auto bad = nlohmann::json::parse(R"({"leases": [{"container": "a", "interface": "eth0",
                                                    "ipv4": "nope"}]})");
    BOOST_TEST(contains(errorMessage(leaseTableFromJson(bad)), "leases[0].ipv4"));
    BOOST_TEST(!leaseTableFromJson(nlohmann::json::object()));
}

BOOST_AUTO_TEST_CASE(drop_leases_keeps_the_live_ones)
{
    LeaseTable t;
    t.leases = {Lease{"a", "eth0", ip("10.0.0.2")}, Lease{"b", "eth0", ip("10.0.0.3")}};
    BOOST_TEST(dropLeases(t, [](const Lease &l) { return l.container == "b"; }) == 1u);
    BOOST_REQUIRE(t.leases.size() == 1u);
    BOOST_TEST(t.leases[0].container == "b");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(leases_on_disk)

BOOST_AUTO_TEST_CASE(allocate_release_and_nothing_created_before_the_first_lease)
{
    TempDir root;
    Network n = smallNetwork();
    Ipam ipam(root.path(), n.name);
    BOOST_TEST(require(ipam.leases()).empty());
    requireOk(ipam.release("nobody", "eth0"));
    requireOk(ipam.releaseAll("nobody"));
    requireOk(ipam.removeState());
    BOOST_TEST(!fs::exists(root / "networks"));

    Lease a = require(ipam.allocate(n, LeaseRequest{"a"}));
    BOOST_TEST(a.holderPid == ::getpid());
    BOOST_TEST(a.holderStartTime > 0u);
    BOOST_TEST(fs::exists(root / "networks/small/leases.json"));
    require(ipam.allocate(n, LeaseRequest{"a", "eth1"}));
    require(ipam.allocate(n, LeaseRequest{"b"}));
    BOOST_TEST(require(ipam.leases()).size() == 3u);
    requireOk(ipam.release("b", "eth0"));
    requireOk(ipam.release("b", "eth0"));
    requireOk(ipam.releaseAll("a"));
    requireOk(ipam.releaseAll("a"));
    BOOST_TEST(require(ipam.leases()).empty());
    BOOST_TEST(contains(errorMessage(ipam.allocate(defaultNetwork(), LeaseRequest{"a"})),
                        "given to the IPAM of network small"));
}

BOOST_AUTO_TEST_CASE(a_corrupt_leases_file_is_an_error_not_a_fresh_start)
{
    TempDir root;
    fs::create_directories(root / "networks/small");
    std::ofstream(root / "networks/small/leases.json") << "{\"leases\": [";
    Ipam ipam(root.path(), "small");
    BOOST_TEST(contains(errorMessage(ipam.allocate(smallNetwork(), LeaseRequest{"a"})),
                        "leases.json: syntax error"));
}

BOOST_AUTO_TEST_CASE(stale_leases_are_reclaimed)
{
    TempDir root;
    Network n = smallNetwork();
    fs::create_directories(root / "ghost");
    fs::create_directories(root / "pods/podded");
    // Taken by husk processes that have exited, as after a crash.
    for (const char *id : {"ghost", "podded", "gone"}) {
        pid_t pid = ::fork();
        BOOST_REQUIRE(pid >= 0);
        if (pid == 0)
            ::_exit(Ipam(root.path(), n.name).allocate(n, LeaseRequest{id}) ? 0 : 1);
        int status = 0;
        BOOST_REQUIRE(::waitpid(pid, &status, 0) == pid);
        BOOST_REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    Ipam ipam(root.path(), n.name);
    // "gone" has neither a container nor a pod directory and its holder is dead: reclaimed.
    std::vector<Lease> live = require(ipam.leases());
    BOOST_REQUIRE(live.size() == 2u);
    BOOST_TEST(live[0].container == "ghost");
    BOOST_TEST(live[1].container == "podded");

    fs::remove(root / "ghost");
    BOOST_TEST(require(ipam.allocate(n, LeaseRequest{"new", "eth0", ip("10.1.0.2")})).container ==
               "new");
    live = require(ipam.leases());
    BOOST_REQUIRE(live.size() == 2u);
    BOOST_TEST(live[0].container == "podded");
    // A lease whose container directory is not there yet stays while its holder runs.
    BOOST_TEST(live[1].container == "new");
}

BOOST_AUTO_TEST_CASE(state_is_removed_only_without_leases)
{
    TempDir root;
    Network n = smallNetwork();
    Ipam ipam(root.path(), n.name);
    require(ipam.allocate(n, LeaseRequest{"web"}));
    auto r = ipam.removeState();
    BOOST_TEST(errorCode(r) == EBUSY);
    BOOST_TEST(contains(errorMessage(r), "network small still has leases: web (eth0 10.1.0.2)"));
    requireOk(ipam.releaseAll("web"));
    requireOk(ipam.removeState());
    BOOST_TEST(!fs::exists(root / "networks/small"));
    // The next allocation starts afresh.
    BOOST_TEST(text(require(ipam.allocate(n, LeaseRequest{"web"})).ipv4) == "10.1.0.2");
}

BOOST_AUTO_TEST_CASE(hundred_threads_get_distinct_addresses)
{
    TempDir root;
    Network n = smallNetwork("10.1.0.0/24");
    std::vector<std::optional<Lease>> got(100);
    std::vector<std::thread> threads;
    for (int i = 0; i < 100; ++i)
        threads.emplace_back([&, i] {
            auto r = Ipam(root.path(), n.name).allocate(n, LeaseRequest{"t" + std::to_string(i)});
            if (r)
                got[i] = *r;
        });
    for (std::thread &t : threads)
        t.join();
    std::set<IpAddress> distinct;
    for (const auto &l : got) {
        BOOST_REQUIRE(l.has_value());
        distinct.insert(l->ipv4);
    }
    BOOST_TEST(distinct.size() == 100u);
    BOOST_TEST(require(Ipam(root.path(), n.name).leases()).size() == 100u);
}

BOOST_AUTO_TEST_CASE(hundred_processes_get_distinct_addresses)
{
    TempDir root;
    Network n = smallNetwork("10.1.0.0/24");
    n.ipv6 = AddressPool{require(parseSubnet("fd01::/64")), ip("fd01::1"), std::nullopt};
    // The containers exist, so no child's lease is reclaimed as stale once that child exits.
    makeStateDirs(root, 100, "p");
    int fds[2];
    BOOST_REQUIRE(::pipe(fds) == 0);
    std::vector<pid_t> pids;
    for (int i = 0; i < 100; ++i) {
        pid_t pid = ::fork();
        BOOST_REQUIRE(pid >= 0);
        if (pid == 0) {
            ::close(fds[0]);
            auto r = Ipam(root.path(), n.name).allocate(n, LeaseRequest{"p" + std::to_string(i)});
            if (!r)
                ::_exit(1);
            // One write of at most PIPE_BUF bytes is atomic, so lines never interleave.
            std::string line = text(r->ipv4) + " " + text(*r->ipv6) + "\n";
            ::_exit(::write(fds[1], line.data(), line.size()) == ssize_t(line.size()) ? 0 : 1);
        }
        pids.push_back(pid);
    }
    ::close(fds[1]);
    int failed = 0;
    for (pid_t pid : pids) {
        int status = 0;
        BOOST_REQUIRE(::waitpid(pid, &status, 0) == pid);
        failed += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    BOOST_TEST(failed == 0);
    std::string out;
    char buf[4096];
    for (ssize_t k; (k = ::read(fds[0], buf, sizeof buf)) > 0;)
        out.append(buf, size_t(k));
    ::close(fds[0]);
    std::set<std::string> v4, v6;
    std::istringstream lines(out);
    for (std::string a, b; lines >> a >> b;) {
        v4.insert(a);
        v6.insert(b);
    }
    BOOST_TEST(v4.size() == 100u);
    BOOST_TEST(v6.size() == 100u);
    BOOST_TEST(!v4.contains("10.1.0.1"));
    BOOST_TEST(!v6.contains("fd01::1"));
    BOOST_TEST(require(Ipam(root.path(), n.name).leases()).size() == 100u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(network_commands)

BOOST_AUTO_TEST_CASE(create_inspect_list_and_remove)
{
    TempDir tmp;
    NetworkPaths p{tmp / "root", tmp / "etc/networks"};
    NetworkCreateOptions o;
    o.name = "web";
    o.subnet = "10.90.0.0/24";
    o.dns = {"10.90.0.1"};
    Network web = require(createNetwork(p, o));
    BOOST_TEST(web.bridge == "husk1");
    BOOST_TEST(fs::exists(tmp / "etc/networks/web.json"));
    BOOST_TEST(contains(errorMessage(createNetwork(p, o)), "a network named web already exists"));

    std::vector<NetworkInfo> all = require(listNetworks(p));
    BOOST_REQUIRE(all.size() == 2u);
    BOOST_TEST(all[0].builtin);
    BOOST_TEST(!all[1].builtin);
    BOOST_TEST((all[1].network == web));

    // A container on it blocks its removal.
    fs::create_directories(tmp / "root/c1");
    auto [net, lease] = require(allocateAddress(p, "web", LeaseRequest{"c1"}));
    BOOST_TEST(net.name == "web");
    BOOST_TEST(text(lease.ipv4) == "10.90.0.2");
    NetworkInfo info = require(inspectNetwork(p, "web"));
    BOOST_REQUIRE(info.leases.size() == 1u);
    nlohmann::json j = networkInfoToJson(info);
    BOOST_TEST(j["leases"][0]["container"] == "c1");
    BOOST_TEST(!j["leases"][0].contains("holderPid"));
    BOOST_TEST(j["builtin"] == false);
    BOOST_TEST(j["dns"][0] == "10.90.0.1");
    BOOST_TEST(contains(errorMessage(removeNetwork(p, "web")), "still has leases: c1"));
    BOOST_TEST(fs::exists(tmp / "etc/networks/web.json"));

    requireOk(Ipam(p.root, "web").releaseAll("c1"));
    requireOk(removeNetwork(p, "web"));
    BOOST_TEST(!fs::exists(tmp / "etc/networks/web.json"));
    BOOST_TEST(!fs::exists(tmp / "root/networks/web"));
    BOOST_TEST(errorCode(removeNetwork(p, "web")) == ENOENT);
    BOOST_TEST(errorCode(inspectNetwork(p, "web")) == ENOENT);
    BOOST_TEST(errorCode(allocateAddress(p, "web", LeaseRequest{"c1"})) == ENOENT);
}

BOOST_AUTO_TEST_CASE(the_builtin_network_cannot_be_removed_or_redefined)
{
    TempDir tmp;
    NetworkPaths p{tmp / "root", tmp / "nets"};
    BOOST_TEST(contains(errorMessage(removeNetwork(p, "husk")), "built in and cannot be removed"));
    NetworkCreateOptions o;
    o.name = "husk";
    o.subnet = "10.91.0.0/24";
    BOOST_TEST(contains(errorMessage(createNetwork(p, o)), "already exists"));
    BOOST_TEST(contains(errorMessage(removeNetwork(p, "../husk")), "not a valid network name"));
    NetworkInfo info = require(inspectNetwork(p, "husk"));
    BOOST_TEST(info.builtin);
    BOOST_TEST(info.leases.empty());
    BOOST_TEST(!fs::exists(tmp / "root")); // looking creates nothing
}

BOOST_AUTO_TEST_SUITE_END()
