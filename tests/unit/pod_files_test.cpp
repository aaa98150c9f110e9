// libcontainer/pod: the files a pod gives its members (resolv.conf, hosts, hostname mounts) and
// the pod a plain create asks for with run.husk.* annotations. Pure code, no root.

#define BOOST_TEST_MODULE pod_files
#include "tests/unit/libcontainer_test_helpers.h"

#include "libcontainer/pod/pod.h"
#include "libcontainer/pod/pod_files.h"

using namespace husk;
using namespace husk::pod;
using namespace lc_test;

namespace {

constexpr const char *kHostResolv = "# from DHCP\n"
                                    "nameserver 127.0.0.53\n"
                                    "nameserver 192.0.2.53\n"
                                    "nameserver ::1\n"
                                    "nameserver 2001:db8::53\n"
                                    "search example.test\n"
                                    "options edns0 trust-ad\n";

} // namespace

BOOST_AUTO_TEST_CASE(given_servers_replace_the_hosts)
{
    auto r = resolvConf({"192.0.2.1", "2001:db8:0:0::1"}, kHostResolv, true);
    BOOST_REQUIRE(r);
    BOOST_TEST(*r == "nameserver 192.0.2.1\nnameserver 2001:db8::1\n");
}

BOOST_AUTO_TEST_CASE(a_bad_server_is_named)
{
    auto r = resolvConf({"192.0.2.1", "not-an-ip"}, "", true);
    BOOST_TEST(errorMessage(r).find("\"not-an-ip\"") != std::string::npos, errorMessage(r));
}

BOOST_AUTO_TEST_CASE(host_file_loses_loopback_servers_in_a_netns_of_its_own)
{
    auto r = resolvConf({}, kHostResolv, true);
    BOOST_REQUIRE(r);
    BOOST_TEST(*r == "# from DHCP\n"
                     "nameserver 192.0.2.53\n"
                     "nameserver 2001:db8::53\n"
                     "search example.test\n"
                     "options edns0 trust-ad\n");
}

BOOST_AUTO_TEST_CASE(host_network_keeps_the_host_file)
{
    auto r = resolvConf({}, kHostResolv, false);
    BOOST_REQUIRE(r);
    BOOST_TEST(*r == kHostResolv);
    // A last line without its newline gets one.
    r = resolvConf({}, "nameserver 192.0.2.9", true);
    BOOST_REQUIRE(r);
    BOOST_TEST(*r == "nameserver 192.0.2.9\n");
}

BOOST_AUTO_TEST_CASE(hosts_maps_the_hostname_to_the_pod_address)
{
    BOOST_TEST(hostsFile("web", "10.77.0.5/16") == "127.0.0.1\tlocalhost\n"
                                                   "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                                   "10.77.0.5\tweb\n");
    BOOST_TEST(hostsFile("lonely", "").ends_with("127.0.1.1\tlonely\n"));
}

BOOST_AUTO_TEST_CASE(mounts_go_where_the_config_has_none)
{
    spec::Config c;
    c.mounts.push_back({"/etc/hosts", "/srv/my-hosts", "bind", {"rbind"}, {}, {}});
    addPodFileMounts(c, "/run/husk/pods/p");
    BOOST_REQUIRE(c.mounts.size() == 3U);
    BOOST_TEST(c.mounts[0].source == "/srv/my-hosts"); // the config's own wins
    BOOST_TEST(c.mounts[1].destination == "/etc/resolv.conf");
    BOOST_TEST(c.mounts[1].source == "/run/husk/pods/p/resolv.conf");
    BOOST_TEST(c.mounts[1].type == "bind");
    BOOST_TEST(c.mounts[2].destination == "/etc/hostname");
    BOOST_TEST(c.mounts[2].source == "/run/husk/pods/p/hostname");
}

BOOST_AUTO_TEST_CASE(no_annotation_no_pod)
{
    auto r = podFromAnnotations({{"org.example", "x"}}, "c1", "");
    BOOST_REQUIRE(r);
    BOOST_TEST(!r->has_value());
}

BOOST_AUTO_TEST_CASE(annotations_make_an_owned_pod)
{
    auto r = podFromAnnotations({{"run.husk.network", "bridge:lab"},
                                 {"run.husk.ip", "10.9.0.7"},
                                 {"run.husk.ports", "8080:80, 127.0.0.1:5353:53/udp,"},
                                 {"run.husk.dns", "192.0.2.1,192.0.2.2"}},
                                "c1", "web");
    BOOST_REQUIRE(r);
    BOOST_REQUIRE(r->has_value());
    const PodCreateOptions &o = **r;
    BOOST_TEST(o.name == "c1");
    BOOST_TEST(o.owner == "c1");
    BOOST_TEST(o.hostname == "web");
    BOOST_TEST(o.network == "bridge:lab");
    BOOST_TEST(o.ip == "10.9.0.7");
    BOOST_TEST(o.ports == (std::vector<std::string>{"8080:80", "127.0.0.1:5353:53/udp"}),
               boost::test_tools::per_element());
    BOOST_TEST(o.dns == (std::vector<std::string>{"192.0.2.1", "192.0.2.2"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(annotations_default_to_bridge_and_refuse_nonsense)
{
    auto r = podFromAnnotations({{"run.husk.dns", "192.0.2.1"}}, "c1", "");
    BOOST_REQUIRE(r);
    BOOST_REQUIRE(r->has_value());
    BOOST_TEST((*r)->network == "bridge");
    BOOST_TEST(errorMessage(podFromAnnotations({{"run.husk.network", "wifi"}}, "c1", ""))
                   .find("run.husk.network") != std::string::npos);
    BOOST_TEST(errorMessage(podFromAnnotations(
                                {{"run.husk.network", "none"}, {"run.husk.pod", "p"}}, "c1", ""))
                   .find("run.husk.pod") != std::string::npos);
}
