// Integration tests: namespaces (new, shared, joined by path), hostname and domainname, the
// loopback device of a new network namespace, sysctls, and user namespace id maps.

#ifndef BOOST_TEST_DYN_LINK // meson's boost dependency may define it already
#define BOOST_TEST_DYN_LINK
#endif
#define BOOST_TEST_MODULE namespaces
#include <boost/test/unit_test.hpp>

#include <net/if.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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

/// Whether names holds name.
bool has(const std::vector<std::string> &names, const std::string &name)
{
    return std::find(names.begin(), names.end(), name) != names.end();
}

/// Precondition: runc 1.1 (Debian 12's) ignores the domainname field; runc 1.2 sets it.
boost::test_tools::assertion_result domainnameSupported(boost::unit_test::test_unit_id)
{
    boost::test_tools::assertion_result result(!isRunc());
    result.message() << "runc 1.1 ignores domainname";
    return result;
}

/// Maps the holder's user namespace (container 0-65535 to host 100000-165535) and has the
/// bundle join it; returns its path.
std::string joinMappedUserNamespace(Bundle &b, const NamespaceHolder &holder)
{
    std::string nsPath = holder.path("user");
    std::string pidDir = nsPath.substr(0, nsPath.rfind("/ns/"));
    std::ofstream(pidDir + "/uid_map") << "0 100000 65536\n";
    std::ofstream(pidDir + "/gid_map") << "0 100000 65536\n";
    b.setNamespace("user", nsPath);
    return nsPath;
}

/// Gives the bundle a new user namespace mapping container ids 0-65535 to host 100000-165535.
void inMappedUserNamespace(Bundle &b)
{
    json map = json::array({{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}});
    b.setNamespace("user");
    b.config()["linux"]["uidMappings"] = map;
    b.config()["linux"]["gidMappings"] = map;
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

namespace {

/// A veth pair in the test's own (private) network namespace, deleted at the end.
struct VethPair {
    std::string a = "hkt" + std::to_string(::getpid() % 100000) + "a";
    std::string b = "hkt" + std::to_string(::getpid() % 100000) + "b";
    VethPair()
    {
        BOOST_REQUIRE(inPrivateNetns());
        CommandResult r = runCommand({"ip", "link", "add", a, "type", "veth", "peer", "name", b});
        BOOST_REQUIRE_MESSAGE(r.ok(), r.describe());
    }
    ~VethPair() { runCommand({"ip", "link", "delete", b}); }
    /// Whether a link of this name is in the test's namespace.
    static bool present(const std::string &name)
    {
        return ::if_nametoindex(name.c_str()) != 0; // /sys/class/net shows the host's
    }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(net_device_moves_in_and_back, Fixture)
{
    VethPair veth;
    bundle.config()["linux"]["netDevices"] = {{veth.a, {{"name", "eth7"}}}};
    bundle.setProbeArgs({"info"});
    bundle.save();
    std::string id = newId();
    BOOST_REQUIRE_MESSAGE(create(id).ok(), io.err());
    BOOST_TEST(!VethPair::present(veth.a), "the device is still on the host side");
    BOOST_REQUIRE(start(id).ok());
    BOOST_REQUIRE(waitForStatus(id, "stopped"));
    json info = parseJson(io.out());
    BOOST_TEST(has(interfaceNames(info), "eth7"), info["interfaces"].dump());
    // Stopped, the container still holds the device until delete gives it back.
    BOOST_TEST(!VethPair::present(veth.a));
    BOOST_REQUIRE(remove(id).ok());
    BOOST_TEST(VethPair::present(veth.a), "delete did not return the device");
}

BOOST_FIXTURE_TEST_CASE(net_device_returned_when_create_fails, Fixture)
{
    VethPair veth;
    bundle.config()["linux"]["netDevices"] = {{veth.a, json::object()}};
    // A cwd that is a file fails the init late (a missing one would be made, as in runc).
    bundle.config()["process"]["cwd"] = "/bin/husk-probe";
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    std::string id = newId();
    CommandResult r = create(id);
    BOOST_TEST(r.failed(), r.describe());
    BOOST_TEST(VethPair::present(veth.a), "a failed create kept the device");
    BOOST_TEST(!state(id).has_value());
}

BOOST_FIXTURE_TEST_CASE(net_device_needs_a_network_namespace, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    VethPair veth;
    bundle.removeNamespace("network");
    bundle.config()["linux"]["netDevices"] = {{veth.a, json::object()}};
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    CommandResult r = create(newId());
    BOOST_TEST(r.failed(), r.describe());
    BOOST_TEST(r.err.find("linux.netDevices: requires a network namespace") != std::string::npos,
               r.err);
    BOOST_TEST(VethPair::present(veth.a));
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

BOOST_FIXTURE_TEST_CASE(join_user_namespace_by_path, Fixture)
{
    // A mapped user namespace held by a test process; the container joins it (and makes its
    // other namespaces inside it).
    NamespaceHolder holder(CLONE_NEWUSER);
    std::string nsPath = joinMappedUserNamespace(bundle, holder);
    json info = probe({"info"});
    BOOST_TEST(info["namespaces"]["user"] == namespaceId("user", nsPath));
    BOOST_TEST(info["uidMap"] == "         0     100000      65536\n", info["uidMap"].dump());
    BOOST_TEST(info["uid"] == 0);
}

BOOST_FIXTURE_TEST_CASE(join_user_namespace_with_the_hosts_network_and_time_namespaces, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    // (runc 1.1 knows no time namespace.)
    // A network and a time namespace the host's user namespace owns, joined together with
    // another user namespace: setns into them fails with EPERM once in that user namespace,
    // so they must be joined before it.
    NamespaceHolder holder(CLONE_NEWUSER);
    std::string userPath = joinMappedUserNamespace(bundle, holder);
    NamedNetns netns;
    bundle.setNamespace("network", netns.path());
    std::string timePath = "/proc/" + std::to_string(::getpid()) + "/ns/time";
    bundle.setNamespace("time", timePath);
    json info = probe({"info"});
    BOOST_TEST(info["namespaces"]["user"] == namespaceId("user", userPath), info.dump());
    BOOST_TEST(info["namespaces"]["net"] == namespaceId("net", netns.path()));
    BOOST_TEST(info["namespaces"]["time"] == namespaceId("time", timePath));
    BOOST_TEST(info["uid"] == 0);
}

BOOST_FIXTURE_TEST_CASE(bind_source_under_a_locked_host_directory, Fixture)
{
    // The container's root (host uid 100000) cannot search a root-owned mode-0000 directory,
    // but the bind's source is the host's business: husk opens it on the host side first, as
    // crun and runc do.
    fs::path locked = bundle.path() / "locked";
    fs::create_directories(locked / "inner");
    std::ofstream(locked / "inner/file") << "behind a locked door\n";
    BOOST_REQUIRE(::chmod((locked / "inner").c_str(), 0755) == 0);
    BOOST_REQUIRE(::chmod((locked / "inner/file").c_str(), 0644) == 0);
    BOOST_REQUIRE(::chmod(locked.c_str(), 0) == 0);
    inMappedUserNamespace(bundle);
    fs::create_directories(bundle.rootfs() / "data");
    bundle.config()["mounts"].push_back({{"destination", "/data"},
                                         {"type", "bind"},
                                         {"source", (locked / "inner").string()},
                                         {"options", {"bind", "ro"}}});
    json read = probe({"read", "/data/file"});
    BOOST_TEST(read["content"] == "behind a locked door\n", read.dump());
}

BOOST_FIXTURE_TEST_CASE(bind_source_inside_the_rootfs_sees_the_mounts_before_it, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    // (runc 1.1 in a user namespace fails this: /b is the image's empty /a.)
    // mounts[0] puts a host directory on /a; mounts[1] binds <rootfs>/a to /b, which must be
    // that mount (opened when its turn comes), not the image's empty /a.
    fs::path host = bundle.path() / "host-dir";
    fs::create_directories(host);
    std::ofstream(host / "marker") << "from mounts[0]\n";
    BOOST_REQUIRE(::chmod(host.c_str(), 0755) == 0);
    inMappedUserNamespace(bundle);
    fs::create_directories(bundle.rootfs() / "a");
    fs::create_directories(bundle.rootfs() / "b");
    bundle.config()["mounts"].push_back({{"destination", "/a"},
                                         {"type", "bind"},
                                         {"source", host.string()},
                                         {"options", {"bind"}}});
    bundle.config()["mounts"].push_back({{"destination", "/b"},
                                         {"type", "bind"},
                                         {"source", (bundle.rootfs() / "a").string()},
                                         {"options", {"bind"}}});
    json read = probe({"read", "/b/marker"});
    BOOST_TEST(read["content"] == "from mounts[0]\n", read.dump());
}

BOOST_FIXTURE_TEST_CASE(rootless_run_as_an_unprivileged_user, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    // `husk spec --rootless` and `husk run` by uid 1000 (no passwd entry needed): a user
    // namespace mapping that uid to root, no cgroup (not delegated here), state in a
    // directory of the user's.
    const std::string uid = "1000";
    const std::vector<std::string> asUser = {"setpriv", "--reuid=" + uid, "--regid=" + uid,
                                             "--clear-groups", "--"};
    fs::path state = bundle.path() / "user-state";
    fs::remove(bundle.path() / "config.json");
    BOOST_REQUIRE(runCommand({"chown", "-R", uid + ":" + uid, bundle.path().string()}).ok());
    auto asUserRun = [&](std::vector<std::string> args) {
        std::vector<std::string> argv = asUser;
        argv.push_back(runtimePath());
        argv.insert(argv.end(), args.begin(), args.end());
        return runCommand(argv, {.timeout = 30s});
    };
    CommandResult spec = asUserRun({"spec", "--rootless", "--bundle", bundle.path().string()});
    BOOST_REQUIRE_MESSAGE(spec.ok(), spec.describe());
    json config = json::parse(std::ifstream(bundle.path() / "config.json"));
    BOOST_TEST(config["linux"]["uidMappings"][0]["hostID"] == 1000, config["linux"].dump());
    config["process"]["terminal"] = false;
    config["process"]["args"] = {"/bin/husk-probe", "info"};
    std::ofstream(bundle.path() / "config.json") << config.dump();

    std::string id = "husktest-rootless-" + std::to_string(::getpid());
    CommandResult r =
        asUserRun({"--root", state.string(), "run", "--bundle", bundle.path().string(), id});
    BOOST_REQUIRE_MESSAGE(r.ok(), r.describe());
    BOOST_TEST(r.err.find("not delegated") != std::string::npos, r.err);
    json info = parseJson(r.out);
    BOOST_TEST(info["uid"] == 0);
    BOOST_TEST(info["uidMap"] == "         0       1000          1\n", info["uidMap"].dump());
    BOOST_TEST(info["namespaces"]["user"] != hostNamespace("user"));
    BOOST_TEST(fs::is_empty(state), "run left state behind");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(idmapped_mounts)

namespace {

/// A host directory with files owned by uid:gid 0:0 and 1000:1000, to bind into containers.
fs::path makeOwnedDir(const Bundle &b)
{
    fs::path dir = b.path() / "idmap-src";
    fs::create_directories(dir);
    std::ofstream(dir / "root-file") << "r\n";
    std::ofstream(dir / "user-file") << "u\n";
    BOOST_REQUIRE(::chown((dir / "user-file").c_str(), 1000, 1000) == 0);
    BOOST_REQUIRE(::chmod(dir.c_str(), 0777) == 0);
    return dir;
}

json bindMount(const fs::path &source, const std::string &destination,
               const std::vector<std::string> &options)
{
    return {{"destination", destination},
            {"type", "bind"},
            {"source", source.string()},
            {"options", options}};
}

json mapping(unsigned container, unsigned host, unsigned size)
{
    return json::array({{{"containerID", container}, {"hostID", host}, {"size", size}}});
}

/// Precondition: Debian 12's runc (1.1) has no idmapped mounts.
boost::test_tools::assertion_result idmapSupported(boost::unit_test::test_unit_id)
{
    boost::test_tools::assertion_result result(!isRunc());
    result.message() << "runc 1.1 has no idmapped mounts";
    return result;
}

} // namespace

BOOST_FIXTURE_TEST_CASE(mount_mappings_show_the_mapped_owner, Fixture,
                        *boost::unit_test::precondition(idmapSupported))
{
    // Without a user namespace the container sees the host ids through the mount's mapping:
    // on-disk 0 -> 100000, 1000 -> 101000 (uids) and 0 -> 200000, 1000 -> 201000 (gids).
    fs::path src = makeOwnedDir(bundle);
    json m = bindMount(src, "/data", {"bind", "idmap"});
    m["uidMappings"] = mapping(0, 100000, 65536);
    m["gidMappings"] = mapping(0, 200000, 65536);
    bundle.config()["mounts"].push_back(m);
    json user = probe({"stat", "/data/user-file"});
    BOOST_TEST(user["uid"] == 101000, user.dump());
    BOOST_TEST(user["gid"] == 201000, user.dump());
    json root = probe({"stat", "/data/root-file"});
    BOOST_TEST(root["uid"] == 100000, root.dump());
    BOOST_TEST(root["gid"] == 200000, root.dump());
}

BOOST_FIXTURE_TEST_CASE(idmap_option_uses_the_container_mapping, Fixture,
                        *boost::unit_test::precondition(idmapSupported))
{
    // The usual use: a user-namespaced container sees host-owned files as its own ids.
    fs::path src = makeOwnedDir(bundle);
    bundle.setNamespace("user");
    bundle.config()["linux"]["uidMappings"] = mapping(0, 100000, 65536);
    bundle.config()["linux"]["gidMappings"] = mapping(0, 100000, 65536);
    // The rootfs belongs to host root, outside the mapping: the mount points must exist.
    fs::create_directories(bundle.rootfs() / "mapped");
    fs::create_directories(bundle.rootfs() / "plain");
    bundle.config()["mounts"].push_back(bindMount(src, "/mapped", {"bind", "idmap"}));
    bundle.config()["mounts"].push_back(bindMount(src, "/plain", {"bind"}));
    json mapped = probe({"stat", "/mapped/user-file"});
    BOOST_TEST(mapped["uid"] == 1000, mapped.dump());
    BOOST_TEST(mapped["gid"] == 1000, mapped.dump());
    json mappedRoot = probe({"stat", "/mapped/root-file"});
    BOOST_TEST(mappedRoot["uid"] == 0, mappedRoot.dump());
    // The same directory without the idmap: host root is outside the mapping (overflow uid).
    json plain = probe({"stat", "/plain/root-file"});
    BOOST_TEST(plain["uid"] == 65534, plain.dump());

    // A file the container's root creates lands on disk as host root, not as 100000.
    json w = probe({"write", "/mapped/created", "from the container\n"});
    BOOST_TEST(w["ok"] == true, w.dump());
    struct stat st {};
    BOOST_REQUIRE(::stat((src / "created").c_str(), &st) == 0);
    BOOST_TEST(st.st_uid == 0U);
    BOOST_TEST(st.st_gid == 0U);
}

BOOST_FIXTURE_TEST_CASE(idmap_option_in_a_joined_user_namespace_uses_its_mapping, Fixture,
                        *boost::unit_test::precondition(idmapSupported))
{
    // No mappings on the mount and none in linux: the user namespace the container joins
    // supplies them (the implied mapping).
    fs::path src = makeOwnedDir(bundle);
    NamespaceHolder holder(CLONE_NEWUSER);
    std::string nsPath = joinMappedUserNamespace(bundle, holder);
    fs::create_directories(bundle.rootfs() / "mapped");
    bundle.config()["mounts"].push_back(bindMount(src, "/mapped", {"bind", "idmap"}));
    json mapped = probe({"stat", "/mapped/user-file"});
    BOOST_TEST(mapped["uid"] == 1000, mapped.dump());
    BOOST_TEST(mapped["gid"] == 1000, mapped.dump());
}

BOOST_FIXTURE_TEST_CASE(idmap_without_any_mapping_fails, Fixture)
{
    fs::path src = makeOwnedDir(bundle);
    bundle.config()["mounts"].push_back(bindMount(src, "/data", {"bind", "idmap"}));
    createMustFail();
}

BOOST_AUTO_TEST_SUITE_END()
