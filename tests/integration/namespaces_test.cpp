// Integration tests: namespaces (new, shared, joined by path), hostname and domainname, the
// loopback device of a new network namespace, sysctls, and user namespace id maps.

#ifndef BOOST_TEST_DYN_LINK // meson's boost dependency may define it already
#define BOOST_TEST_DYN_LINK
#endif
#define BOOST_TEST_MODULE namespaces
#include <boost/test/unit_test.hpp>

#include <sched.h>

#include <fstream>

#include "tests/integration/harness.h"

using namespace husk::test;
using nlohmann::json;
namespace fs = std::filesystem;

BOOST_TEST_GLOBAL_FIXTURE(RunFixture);

namespace {

/// Reads a sysctl of the test process's own namespaces.
std::string hostSysctl(const std::string &path)
{
    std::ifstream in("/proc/sys/" + path);
    std::string value;
    std::getline(in, value);
    return value;
}

/// The interface names the probe saw.
std::vector<std::string> interfaceNames(const json &info)
{
    std::vector<std::string> out;
    for (const json &i : info["interfaces"])
        out.push_back(i["name"].get<std::string>());
    return out;
}

/// Precondition: runc 1.1 (Debian 12's) ignores the domainname field; runc 1.2 sets it.
boost::test_tools::assertion_result domainnameSupported(boost::unit_test::test_unit_id)
{
    boost::test_tools::assertion_result result(!isRunc());
    result.message() << "runc 1.1 ignores domainname";
    return result;
}

} // namespace

BOOST_AUTO_TEST_SUITE(isolation)

BOOST_FIXTURE_TEST_CASE(requested_namespaces_are_new, Fixture)
{
    bundle.setNamespace("cgroup");
    json info = probe({"info"});
    json &ns = info["namespaces"];
    for (const char *type : {"pid", "net", "mnt", "ipc", "uts", "cgroup"}) {
        BOOST_TEST(!ns[type].get<std::string>().empty(), type);
        BOOST_TEST(ns[type] != hostNamespace(type), type << " is the host's");
    }
    for (const char *type : {"user", "time"})
        BOOST_TEST(ns[type] == hostNamespace(type), type << " should be the host's");
}

BOOST_FIXTURE_TEST_CASE(unrequested_namespaces_are_shared, Fixture)
{
    bundle.removeNamespace("network");
    bundle.removeNamespace("ipc");
    json info = probe({"info"});
    BOOST_TEST(info["namespaces"]["net"] == hostNamespace("net"));
    BOOST_TEST(info["namespaces"]["ipc"] == hostNamespace("ipc"));
    BOOST_TEST(info["namespaces"]["pid"] != hostNamespace("pid"));
}

BOOST_FIXTURE_TEST_CASE(host_pid_namespace, Fixture)
{
    bundle.removeNamespace("pid");
    json info = probe({"info"});
    BOOST_TEST(info["namespaces"]["pid"] == hostNamespace("pid"));
    BOOST_TEST(info["pid"].get<int>() > 1);
}

BOOST_FIXTURE_TEST_CASE(join_named_network_namespace, Fixture)
{
    NamedNetns netns;
    std::string expected = namespaceId("net", netns.path());
    BOOST_REQUIRE(!expected.empty());
    bundle.setNamespace("network", netns.path());
    json info = probe({"info"});
    BOOST_TEST(info["namespaces"]["net"] == expected);
    BOOST_TEST(interfaceNames(info) == std::vector<std::string>{"lo"});
}

BOOST_FIXTURE_TEST_CASE(join_namespaces_by_proc_path, Fixture)
{
    NamespaceHolder holder(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS);
    bundle.setNamespace("network", holder.path("net"));
    bundle.setNamespace("ipc", holder.path("ipc"));
    bundle.setNamespace("uts", holder.path("uts"));
    json info = probe({"info"});
    BOOST_TEST(info["namespaces"]["net"] == namespaceId("net", holder.path("net")));
    BOOST_TEST(info["namespaces"]["ipc"] == namespaceId("ipc", holder.path("ipc")));
    BOOST_TEST(info["namespaces"]["uts"] == namespaceId("uts", holder.path("uts")));
}

BOOST_FIXTURE_TEST_CASE(join_missing_namespace_path_fails, Fixture)
{
    bundle.setNamespace("network", "/run/netns/husktest-no-such-netns");
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    CommandResult r = create(newId());
    BOOST_TEST(r.exitCode == 1, r.describe());
}

BOOST_FIXTURE_TEST_CASE(duplicate_namespace_fails, Fixture)
{
    bundle.config()["linux"]["namespaces"].push_back({{"type", "network"}});
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    CommandResult r = create(newId());
    BOOST_TEST(r.exitCode == 1, r.describe());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(uts)

BOOST_FIXTURE_TEST_CASE(hostname, Fixture)
{
    bundle.config()["hostname"] = "husk-host";
    json info = probe({"info"});
    BOOST_TEST(info["hostname"] == "husk-host");
}

BOOST_FIXTURE_TEST_CASE(domainname, Fixture, *boost::unit_test::precondition(domainnameSupported))
{
    bundle.config()["hostname"] = "husk-host";
    bundle.config()["domainname"] = "husk.test";
    json info = probe({"info"});
    BOOST_TEST(info["hostname"] == "husk-host");
    BOOST_TEST(info["domainname"] == "husk.test");
}

BOOST_FIXTURE_TEST_CASE(hostname_without_uts_namespace_fails, Fixture)
{
    bundle.removeNamespace("uts");
    bundle.config()["hostname"] = "husk-host";
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    std::string before = hostSysctl("kernel/hostname");
    CommandResult r = create(newId());
    BOOST_TEST(r.exitCode == 1, r.describe());
    BOOST_TEST(hostSysctl("kernel/hostname") == before);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(network)

BOOST_FIXTURE_TEST_CASE(loopback_up_in_new_netns, Fixture)
{
    json info = probe({"info"});
    BOOST_REQUIRE_EQUAL(info["interfaces"].size(), 1u);
    json &lo = info["interfaces"][0];
    BOOST_TEST(lo["name"] == "lo");
    BOOST_TEST(lo["up"] == true, lo.dump());
    BOOST_TEST(lo["loopback"] == true);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sysctl)

BOOST_FIXTURE_TEST_CASE(net_and_ipc_sysctls, Fixture)
{
    std::string forwardBefore = hostSysctl("net/ipv4/ip_forward");
    std::string shmmaxBefore = hostSysctl("kernel/shmmax");
    bundle.config()["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}, {"kernel.shmmax", "65536"}};
    json forward = probe({"sysctl", "net.ipv4.ip_forward"});
    BOOST_TEST(forward["value"] == "1", forward.dump());
    json shmmax = probe({"sysctl", "kernel.shmmax"});
    BOOST_TEST(shmmax["value"] == "65536", shmmax.dump());
    BOOST_TEST(hostSysctl("net/ipv4/ip_forward") == forwardBefore);
    BOOST_TEST(hostSysctl("kernel/shmmax") == shmmaxBefore);
}

BOOST_FIXTURE_TEST_CASE(net_sysctl_without_netns_fails, Fixture)
{
    std::string before = hostSysctl("net/ipv4/ip_forward");
    bundle.removeNamespace("network");
    bundle.config()["linux"]["sysctl"] = {{"net.ipv4.ip_forward", before == "1" ? "0" : "1"}};
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    CommandResult r = create(newId());
    BOOST_TEST(r.exitCode == 1, r.describe());
    BOOST_TEST(hostSysctl("net/ipv4/ip_forward") == before);
}

BOOST_FIXTURE_TEST_CASE(unknown_sysctl_fails, Fixture)
{
    bundle.config()["linux"]["sysctl"] = {{"net.husk.no_such_key", "1"}};
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    CommandResult r = create(newId());
    BOOST_TEST(r.failed(), r.describe());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(user_namespace)

BOOST_FIXTURE_TEST_CASE(id_maps, Fixture)
{
    bundle.setNamespace("user");
    bundle.config()["linux"]["uidMappings"] = {
        {{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    bundle.config()["linux"]["gidMappings"] = {
        {{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    json info = probe({"info"});
    BOOST_TEST(info["namespaces"]["user"] != hostNamespace("user"));
    BOOST_TEST(info["uidMap"] == "         0     100000      65536\n", info["uidMap"].dump());
    BOOST_TEST(info["gidMap"] == "         0     100000      65536\n", info["gidMap"].dump());
    BOOST_TEST(info["uid"] == 0);
    BOOST_TEST(info["gid"] == 0);
}

BOOST_AUTO_TEST_SUITE_END()
