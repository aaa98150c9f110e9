// libcontainer/net_devices.h: name checks (no root), and moving a device between two network
// namespaces the test creates itself (root; skipped otherwise). The host's interfaces are never
// touched: everything runs in a forked child that first unshares its own network namespace.

#define BOOST_TEST_MODULE net_devices
#include "tests/unit/libcontainer_test_helpers.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <string>

#include "common/unique_fd.h"
#include "libcontainer/network/net_devices.h"
#include "netlink/link.h"
#include "netlink/socket.h"
#include "tests/unit/netns_test_helpers.h"

using namespace husk;
using namespace lc_test;
using namespace netns_test;

namespace {

using Devices = std::map<std::string, spec::NetDevice>;

boost::test_tools::assertion_result needsRoot(boost::unit_test::test_unit_id)
{
    return skipUnless(::geteuid() == 0,
                      "skipped: needs root to create network namespaces and links");
}

// A movable test link in socket's namespace: a dummy where the kernel has them, otherwise one
// end of a veth pair (this CI kernel is built without CONFIG_DUMMY). Returns "" or the error.
std::string createTestLink(netlink::Socket &socket, const std::string &name)
{
    auto r = netlink::createLink(socket, name, "dummy");
    if (r)
        return {};
    if (r.error().code() != EOPNOTSUPP)
        return r.error().what();
    static int peers = 0; // a moved veth leaves its peer behind: never reuse a peer name
    auto v = netlink::createVeth(socket, name, "tpeer" + std::to_string(peers++));
    return v ? std::string() : v.error().what();
}

bool present(netlink::Socket &socket, const std::string &name)
{
    return netlink::linkIndex(socket, name).has_value();
}

} // namespace

BOOST_AUTO_TEST_SUITE(names)

BOOST_AUTO_TEST_CASE(valid_names)
{
    for (const char *name : {"eth0", "a", "enp0s31f6", "fifteen-chars15", "veth.100", "x@y"})
        BOOST_TEST(validateNetDeviceName(name, "f").has_value(), name);
}

BOOST_AUTO_TEST_CASE(invalid_names_say_why)
{
    BOOST_TEST(errorText(validateNetDeviceName("", "linux.netDevices.x")) ==
               "linux.netDevices.x: invalid network device name \"\" (empty)");
    BOOST_TEST(errorText(validateNetDeviceName("sixteen-chars-16", "f")) ==
               "f: invalid network device name \"sixteen-chars-16\" (longer than 15 bytes)");
    BOOST_TEST(contains(errorText(validateNetDeviceName(".", "f")), "(reserved)"));
    BOOST_TEST(contains(errorText(validateNetDeviceName("..", "f")), "(reserved)"));
    for (const char *bad : {"a/b", "a:b", "a b", "a\tb", "a\nb"})
        BOOST_TEST(contains(errorText(validateNetDeviceName(bad, "f")),
                            "contains '/', ':' or whitespace"));
}

BOOST_AUTO_TEST_CASE(the_whole_map)
{
    BOOST_TEST(validateNetDevices({}).has_value());
    BOOST_TEST(validateNetDevices({{"eth1", {"eth0"}}, {"eth2", {}}}).has_value());
    BOOST_TEST(errorText(validateNetDevices({{"eth1", {"bad/name"}}})) ==
               "linux.netDevices.eth1.name: invalid network device name \"bad/name\" (contains "
               "'/', ':' or whitespace)");
    BOOST_TEST(contains(errorText(validateNetDevices({{"way-too-long-host-name", {}}})),
                        "longer than 15 bytes"));
    // Two devices that would share a name inside.
    BOOST_TEST(errorText(validateNetDevices({{"eth1", {"eth0"}}, {"eth2", {"eth0"}}})) ==
               "linux.netDevices.eth2: \"eth2\" and \"eth1\" would both be named \"eth0\" in "
               "the container");
    BOOST_TEST(contains(errorText(validateNetDevices({{"eth0", {}}, {"eth1", {"eth0"}}})),
                        "would both be named \"eth0\""));
}

BOOST_AUTO_TEST_CASE(container_names)
{
    BOOST_TEST(containerDeviceName("eth1", {}) == "eth1");
    BOOST_TEST(containerDeviceName("eth1", {"eth0"}) == "eth0");
}

BOOST_AUTO_TEST_CASE(nothing_to_move_touches_nothing)
{
    // No devices: no socket is opened, so even a bad fd is fine.
    BOOST_TEST(moveNetDevices({}, -1).has_value());
    BOOST_TEST(returnNetDevices({}, -1, -1).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(between_namespaces, *boost::unit_test::precondition(needsRoot))

BOOST_AUTO_TEST_CASE(move_in_renamed_and_back)
{
    std::string err = inPrivateNetns([]() -> std::string {
        // "host" is the child's private namespace; "container" a second one it creates.
        UniqueFd hostNs = currentNetns();
        UniqueFd containerNs = newNetns();
        if (!hostNs || !containerNs)
            return std::string("namespaces: ") + std::strerror(errno);
        auto host = netlink::Socket::open();
        auto container = netlink::Socket::openInNetns(containerNs.get());
        if (!host || !container)
            return "open sockets failed";
        if (std::string e = createTestLink(*host, "hdev0"); !e.empty())
            return e;

        Devices devices = {{"hdev0", {"ctr0"}}};
        if (auto r = moveNetDevices(devices, containerNs.get()); !r)
            return "move: " + r.error().what();
        if (present(*host, "hdev0"))
            return "hdev0 still in the host namespace after the move";
        if (!present(*container, "ctr0"))
            return "ctr0 not in the container namespace";
        if (present(*container, "hdev0"))
            return "the device kept its host name inside";

        if (auto r = returnNetDevices(devices, containerNs.get(), hostNs.get()); !r)
            return "return: " + r.error().what();
        if (!present(*host, "hdev0"))
            return "hdev0 not back in the host namespace";
        if (present(*container, "ctr0"))
            return "ctr0 still in the container namespace";
        return {};
    });
    BOOST_CHECK_MESSAGE(err.empty(), err);
}

BOOST_AUTO_TEST_CASE(move_without_rename)
{
    std::string err = inPrivateNetns([]() -> std::string {
        UniqueFd hostNs = currentNetns();
        UniqueFd containerNs = newNetns();
        auto host = netlink::Socket::open();
        auto container = netlink::Socket::openInNetns(containerNs.get());
        if (!host || !container)
            return "open sockets failed";
        if (std::string e = createTestLink(*host, "keep0"); !e.empty())
            return e;
        Devices devices = {{"keep0", {}}};
        if (auto r = moveNetDevices(devices, containerNs.get()); !r)
            return r.error().what();
        if (!present(*container, "keep0") || present(*host, "keep0"))
            return "keep0 did not move under its own name";
        if (auto r = returnNetDevices(devices, containerNs.get(), hostNs.get()); !r)
            return r.error().what();
        if (!present(*host, "keep0"))
            return "keep0 did not come back";
        return {};
    });
    BOOST_CHECK_MESSAGE(err.empty(), err);
}

BOOST_AUTO_TEST_CASE(missing_device_fails_before_anything_moves)
{
    std::string err = inPrivateNetns([]() -> std::string {
        UniqueFd containerNs = newNetns();
        auto host = netlink::Socket::open();
        auto container = netlink::Socket::openInNetns(containerNs.get());
        if (!host || !container)
            return "open sockets failed";
        if (std::string e = createTestLink(*host, "real0"); !e.empty())
            return e;
        // std::map orders "absent0" before "real0": the check must fail before real0 moves.
        Devices devices = {{"absent0", {}}, {"real0", {"c0"}}};
        auto r = moveNetDevices(devices, containerNs.get());
        if (r)
            return "moving a missing device succeeded";
        if (r.error().code() != ENODEV)
            return "wanted ENODEV, got " + r.error().what();
        if (r.error().what().find("linux.netDevices.absent0: link \"absent0\"") != 0)
            return "error does not name the device: " + r.error().what();
        if (!present(*host, "real0") || present(*container, "c0"))
            return "real0 moved although the request failed";
        return {};
    });
    BOOST_CHECK_MESSAGE(err.empty(), err);
}

BOOST_AUTO_TEST_CASE(name_taken_inside_fails_before_anything_moves)
{
    std::string err = inPrivateNetns([]() -> std::string {
        UniqueFd containerNs = newNetns();
        auto host = netlink::Socket::open();
        auto container = netlink::Socket::openInNetns(containerNs.get());
        if (!host || !container)
            return "open sockets failed";
        if (std::string e = createTestLink(*host, "a0"); !e.empty())
            return e;
        if (std::string e = createTestLink(*container, "taken0"); !e.empty())
            return e;
        auto r = moveNetDevices({{"a0", {"taken0"}}}, containerNs.get());
        if (r || r.error().code() != EEXIST)
            return "wanted EEXIST";
        if (r.error().message() != "linux.netDevices.a0: a device named \"taken0\" already "
                                   "exists in the container's network namespace")
            return "unexpected error: " + r.error().message();
        if (!present(*host, "a0"))
            return "a0 moved although its name is taken inside";
        return {};
    });
    BOOST_CHECK_MESSAGE(err.empty(), err);
}

BOOST_AUTO_TEST_CASE(return_keeps_a_device_whose_host_name_is_taken)
{
    std::string err = inPrivateNetns([]() -> std::string {
        UniqueFd hostNs = currentNetns();
        UniqueFd containerNs = newNetns();
        auto host = netlink::Socket::open();
        auto container = netlink::Socket::openInNetns(containerNs.get());
        if (!host || !container)
            return "open sockets failed";
        if (std::string e = createTestLink(*host, "b0"); !e.empty())
            return e;
        Devices devices = {{"b0", {"inner0"}}};
        if (auto r = moveNetDevices(devices, containerNs.get()); !r)
            return r.error().what();
        // Something else took the host name meanwhile.
        if (std::string e = createTestLink(*host, "b0"); !e.empty())
            return e;
        auto r = returnNetDevices(devices, containerNs.get(), hostNs.get());
        if (r || r.error().code() != EEXIST)
            return "wanted EEXIST";
        if (r.error().what().find("linux.netDevices.b0: move back: ") != 0)
            return "unexpected error: " + r.error().what();
        if (!present(*container, "inner0"))
            return "inner0 left the container although it could not be renamed back";
        return {};
    });
    BOOST_CHECK_MESSAGE(err.empty(), err);
}

BOOST_AUTO_TEST_SUITE_END()
