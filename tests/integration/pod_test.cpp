// Integration tests: husk pods (none and host networking): the pause process, members joining
// its namespaces, stop and rm. Run in a private network namespace like every integration test.

#ifndef BOOST_TEST_DYN_LINK // meson's boost dependency may define it already
#define BOOST_TEST_DYN_LINK
#endif
#define BOOST_TEST_MODULE pod
#include <boost/test/unit_test.hpp>

#include <net/if.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <thread>

#include "tests/integration/harness.h"

using namespace husk::test;
using nlohmann::json;
namespace fs = std::filesystem;

BOOST_TEST_GLOBAL_FIXTURE(RunFixture);

namespace {

/// A pod made for one test, removed (--force) at the end, pass or fail.
struct Pod {
    std::string name = "husktest-pod-" + std::to_string(::getpid()) + "-" + std::to_string(next());
    json info;

    explicit Pod(const std::vector<std::string> &flags = {})
    {
        std::vector<std::string> args = {"pod", "create"};
        args.insert(args.end(), flags.begin(), flags.end());
        args.push_back(name);
        CommandResult r = runHusk(args, {.timeout = 30s});
        BOOST_REQUIRE_MESSAGE(r.ok(), r.describe());
        info = json::parse(r.out);
    }
    ~Pod() { runHusk({"pod", "rm", "--force", name}, {.timeout = 60s}); }
    int pid() const { return info["pausePid"].get<int>(); }
    std::string ns(const std::string &type) const
    {
        return namespaceId(type, "/proc/" + std::to_string(pid()) + "/ns/" + type);
    }
    static int next()
    {
        static int n = 0;
        return ++n;
    }
};

std::string readText(const fs::path &p)
{
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

BOOST_AUTO_TEST_SUITE(pods, *boost::unit_test::precondition(notRunc))

BOOST_FIXTURE_TEST_CASE(pause_process_holds_the_namespaces, Fixture)
{
    Pod pod({"--network", "none"});
    BOOST_TEST(pod.pid() > 0);
    BOOST_TEST(readText("/proc/" + std::to_string(pod.pid()) + "/comm") == "husk:pause\n");
    // The embedded pause image, not a fork of husk: a few pages, far below the 1 MiB target.
    std::string status = readText("/proc/" + std::to_string(pod.pid()) + "/status");
    size_t at = status.find("VmRSS:");
    BOOST_REQUIRE(at != std::string::npos);
    long rssKb = std::stol(status.substr(at + 6));
    BOOST_TEST(rssKb < 1024, "pause RSS " << rssKb << " kB");
    BOOST_TEST(fs::read_symlink("/proc/" + std::to_string(pod.pid()) + "/exe")
                   .string()
                   .find("husk-pause") != std::string::npos);
    for (const char *type : {"net", "ipc", "uts"})
        BOOST_TEST(pod.ns(type) != hostNamespace(type), type);
    BOOST_TEST(pod.info["network"]["mode"] == "none");
    // Only /dev/null and the pod's directory (O_PATH: how `pod rm --force` finds the pause
    // without pod.json) are open in the pause process; nothing else of husk's.
    fs::path podDir = fs::canonical(rootDir() / "pods" / pod.name);
    for (const auto &e : fs::directory_iterator("/proc/" + std::to_string(pod.pid()) + "/fd")) {
        int fd = std::stoi(e.path().filename().string());
        if (fd > 2)
            BOOST_TEST(fs::read_symlink(e.path()) == podDir, e.path());
    }
}

BOOST_FIXTURE_TEST_CASE(members_join_and_share_the_hostname, Fixture)
{
    Pod pod({"--network", "none", "--hostname", "podhost"});
    json a = probeDetached({"info"}, {"--pod", pod.name});
    for (const char *type : {"net", "ipc", "uts"})
        BOOST_TEST(a["namespaces"][type] == pod.ns(type), type);
    BOOST_TEST(a["hostname"] == "podhost");
    BOOST_TEST(a["interfaces"].size() == 1U, a["interfaces"].dump()); // lo only
    // A second member, by annotation this time.
    io.clear();
    bundle.config()["annotations"] = {{"run.husk.pod", pod.name}};
    json b = probeDetached({"info"});
    BOOST_TEST(b["namespaces"]["net"] == a["namespaces"]["net"]);
    BOOST_TEST(b["hostname"] == "podhost");
}

BOOST_FIXTURE_TEST_CASE(host_network_shares_the_callers, Fixture)
{
    Pod pod({"--network", "host"});
    BOOST_TEST(pod.ns("net") == hostNamespace("net"));
    json a = probeDetached({"info"}, {"--pod", pod.name});
    BOOST_TEST(a["namespaces"]["net"] == hostNamespace("net"));
    BOOST_TEST(a["namespaces"]["uts"] == pod.ns("uts"));
}

BOOST_FIXTURE_TEST_CASE(share_pid_makes_pause_pid_1, Fixture)
{
    Pod pod({"--network", "none", "--share-pid"});
    json a = probeDetached({"info"}, {"--pod", pod.name});
    BOOST_TEST(a["namespaces"]["pid"] == pod.ns("pid"));
    BOOST_TEST(a["pid"].get<int>() > 1, "the pause is PID 1, not the member");
}

BOOST_FIXTURE_TEST_CASE(stop_and_rm_leave_nothing, Fixture)
{
    auto pod = std::make_unique<Pod>(std::vector<std::string>{"--network", "none"});
    std::string name = pod->name;
    int pause = pod->pid();
    std::string id = newId();
    bundle.setProbeArgs({"wait-signal"});
    bundle.save();
    BOOST_REQUIRE(create(id, {"--pod", name}).ok());
    BOOST_REQUIRE(start(id).ok());
    BOOST_REQUIRE(io.waitForOut("ready"));
    CommandResult inspect = runHusk({"pod", "inspect", name});
    BOOST_REQUIRE(inspect.ok());
    BOOST_TEST(json::parse(inspect.out)["members"] == json::array({id}), inspect.out);
    CommandResult stop = runHusk({"pod", "stop", "--timeout", "5", name}, {.timeout = 30s});
    BOOST_TEST(stop.ok(), stop.describe());
    BOOST_TEST(waitForStatus(id, "stopped"));
    BOOST_TEST(io.waitForOut("\"name\":\"TERM\""), io.out()); // TERM first, as documented
    BOOST_TEST(!fs::exists("/proc/" + std::to_string(pause) + "/ns"), "the pause survived");
    CommandResult rm = runHusk({"pod", "rm", name}, {.timeout = 30s});
    BOOST_TEST(rm.ok(), rm.describe());
    BOOST_TEST(!state(id).has_value(), "the member was not removed");
    BOOST_TEST(!fs::exists(rootDir() / "pods" / name));
    // Idempotent with --force; an error without.
    BOOST_TEST(runHusk({"pod", "rm", "--force", name}).ok());
    BOOST_TEST(runHusk({"pod", "rm", name}).failed());
}

BOOST_FIXTURE_TEST_CASE(rm_force_cleans_a_pod_whose_creator_died, Fixture)
{
    // What a SIGKILLed `pod create` leaves right after its first state write: a record
    // without a pause process. And a pod whose pause was killed.
    Pod pod({"--network", "none"});
    ::kill(pod.pid(), SIGKILL);
    fs::path half = rootDir() / "pods" / "husktest-half";
    fs::create_directories(half);
    std::ofstream(half / "pod.json")
        << R"({"name": "husktest-half", "pausePid": 0, "network": {"mode": "none"}})";
    BOOST_TEST(runHusk({"pod", "rm", "--force", "husktest-half"}).ok());
    BOOST_TEST(!fs::exists(half));
    BOOST_TEST(runHusk({"pod", "rm", "--force", pod.name}).ok());
    BOOST_TEST(!fs::exists(rootDir() / "pods" / pod.name));
    // Joining a dead pod is refused.
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    BOOST_TEST(create(newId(), {"--pod", pod.name}).failed());
}

BOOST_FIXTURE_TEST_CASE(restart_recreates_one_member_from_its_bundle, Fixture)
{
    Pod pod({"--network", "none"});
    bundle.setProbeArgs({"wait-signal"});
    bundle.save();
    std::string keep = newId(), again = newId();
    BOOST_REQUIRE(create(keep, {"--pod", pod.name}).ok());
    BOOST_REQUIRE(start(keep).ok());
    BOOST_REQUIRE(create(again, {"--pod", pod.name}).ok());
    BOOST_REQUIRE(start(again).ok());
    json before = json::parse(runHusk({"state", again}).out);
    CommandResult r =
        runHusk({"pod", "restart", "--timeout", "5", pod.name, again}, {.timeout = 60s});
    BOOST_REQUIRE_MESSAGE(r.ok(), r.describe());
    json after = json::parse(runHusk({"state", again}).out);
    BOOST_TEST(after["status"] == "running");
    BOOST_TEST(after["pid"] != before["pid"]);
    // Gone, or a zombie of the test's (the test reaps orphans as a subreaper).
    std::string oldStat = readText("/proc/" + std::to_string(before["pid"].get<int>()) + "/stat");
    BOOST_TEST((oldStat.empty() || oldStat.find(") Z ") != std::string::npos), oldStat);
    // Back in the pod's namespaces; the other member was left alone.
    std::string ns =
        namespaceId("net", "/proc/" + std::to_string(after["pid"].get<int>()) + "/ns/net");
    BOOST_TEST(ns == pod.ns("net"));
    BOOST_TEST(json::parse(runHusk({"state", keep}).out)["status"] == "running");
    json info = json::parse(runHusk({"pod", "inspect", pod.name}).out);
    BOOST_TEST(info["members"] == json::array({keep, again}), info.dump());
    CommandResult stranger = runHusk({"pod", "restart", pod.name, "husktest-not-a-member"});
    BOOST_TEST(stranger.failed());
    BOOST_TEST(stranger.err.find("not a member") != std::string::npos, stranger.err);
}

BOOST_FIXTURE_TEST_CASE(bad_input, Fixture)
{
    BOOST_TEST(runHusk({"pod", "create", "--network", "wifi", "husktest-bad"}).failed());
    BOOST_TEST(runHusk({"pod", "create", "--network", "none", "bad/name"}).failed());
    Pod pod({"--network", "none"});
    CommandResult again = runHusk({"pod", "create", "--network", "none", pod.name});
    BOOST_TEST(again.failed());
    BOOST_TEST(again.err.find("already exists") != std::string::npos, again.err);
    BOOST_TEST(runHusk({"pod", "inspect", "husktest-nope"}).failed());
}

BOOST_AUTO_TEST_SUITE_END()

// Bridge networking, all inside the test's private network namespace (husk0 and every veth
// disappear with it): no traffic leaves the namespaces the test made.
BOOST_AUTO_TEST_SUITE(bridge, *boost::unit_test::precondition(notRunc))

namespace {

/// Runs `sh -c script` as a member of pod and returns what it printed (the container's stdout).
std::string runInPod(Fixture &f, const Pod &pod, const std::string &script)
{
    f.bundle.config()["process"]["args"] = {"sh", "-c", script};
    f.bundle.save();
    f.io.clear();
    std::string id = f.newId();
    CommandResult r = f.run(id, {"--pod", pod.name});
    BOOST_TEST(r.ok(), r.describe() << " " << f.io.err());
    return f.io.out();
}

std::string addressOf(const Pod &pod)
{
    return pod.info["network"]["address"].get<std::string>();
}

std::string hostOf(const std::string &cidr)
{
    return cidr.substr(0, cidr.find('/'));
}

} // namespace

BOOST_FIXTURE_TEST_CASE(pod_gets_an_address_and_a_default_route, Fixture)
{
    BOOST_REQUIRE(inPrivateNetns());
    Pod pod;
    std::string cidr = addressOf(pod);
    BOOST_TEST(cidr.starts_with("10.77."), pod.info.dump());
    BOOST_TEST(cidr.ends_with("/16"));
    BOOST_TEST(pod.info["network"]["gateway"] == "10.77.0.1");
    std::string out = runInPod(*this, pod, "ip -4 addr show dev eth0; ip route");
    BOOST_TEST(out.find("inet " + cidr) != std::string::npos, out);
    BOOST_TEST(out.find("default via 10.77.0.1 dev eth0") != std::string::npos, out);
    // The host end is a port of husk0.
    std::string veth = pod.info["network"]["hostVeth"];
    BOOST_TEST(::if_nametoindex(veth.c_str()) != 0U, veth);
}

/// Starts a member of pod that answers one TCP connection on port with reply, and returns
/// what a member of client printed after connecting to host:port (retrying until it listens).
std::string serveAndConnect(Fixture &f, const Pod &pod, const Pod &client, const std::string &host,
                            const std::string &port, const std::string &reply)
{
    std::ofstream(f.bundle.rootfs() / "reply.sh") << "#!/bin/sh\necho " << reply << "\n";
    fs::permissions(f.bundle.rootfs() / "reply.sh",
                    fs::perms::owner_all | fs::perms::others_exec | fs::perms::others_read);
    f.bundle.config()["process"]["args"] = {"nc", "-l", "-p", port, "-e", "/reply.sh"};
    f.bundle.save();
    std::string serverId = f.newId();
    ContainerIo serverIo(f.bundle.path(), "server");
    BOOST_REQUIRE(f.create(serverId, f.bundle, serverIo, {"--pod", pod.name}).ok());
    BOOST_REQUIRE(f.start(serverId).ok());
    return runInPod(f, client,
                    "for i in $(seq 1 30); do nc -w 2 " + host + " " + port +
                        " </dev/null && exit 0; sleep 0.2; done; exit 1");
}

BOOST_FIXTURE_TEST_CASE(two_pods_talk_over_the_bridge, Fixture)
{
    Pod server;
    Pod client;
    std::string out = serveAndConnect(*this, server, client, hostOf(addressOf(server)), "7777",
                                      "pong-from-server");
    BOOST_TEST(out.find("pong-from-server") != std::string::npos, out);
    // ICMP too: one ping from the client pod to the server pod's address (a raw socket: busybox
    // ping needs CAP_NET_RAW, which `husk spec` leaves out as runc's does).
    for (const char *set : {"bounding", "effective", "permitted"})
        bundle.config()["process"]["capabilities"][set].push_back("CAP_NET_RAW");
    std::string ping =
        runInPod(*this, client, "ping -c 1 -W 2 " + hostOf(addressOf(server)) + " && echo ping-ok");
    BOOST_TEST(ping.find("1 packets received") != std::string::npos, ping);
    BOOST_TEST(ping.find("ping-ok") != std::string::npos, ping);
}

BOOST_FIXTURE_TEST_CASE(members_of_one_pod_share_localhost, Fixture)
{
    Pod pod;
    std::string out = serveAndConnect(*this, pod, pod, "127.0.0.1", "7778", "pong-local");
    BOOST_TEST(out.find("pong-local") != std::string::npos, out);
}

BOOST_FIXTURE_TEST_CASE(static_address_honoured_or_refused, Fixture)
{
    Pod pod({"--ip", "10.77.200.9"});
    BOOST_TEST(addressOf(pod) == "10.77.200.9/16");
    CommandResult taken = runHusk({"pod", "create", "--ip", "10.77.200.9", "husktest-taken"});
    BOOST_TEST(taken.failed(), taken.describe());
    CommandResult outside = runHusk({"pod", "create", "--ip", "192.0.2.1", "husktest-outside"});
    BOOST_TEST(outside.failed(), outside.describe());
    BOOST_TEST(!fs::exists(rootDir() / "pods" / "husktest-taken"));
    BOOST_TEST(!fs::exists(rootDir() / "pods" / "husktest-outside"));
}

BOOST_FIXTURE_TEST_CASE(rm_leaves_no_veth_and_no_lease, Fixture)
{
    auto pod = std::make_unique<Pod>();
    std::string name = pod->name;
    std::string veth = pod->info["network"]["hostVeth"];
    BOOST_REQUIRE(::if_nametoindex(veth.c_str()) != 0U);
    BOOST_REQUIRE(runHusk({"pod", "rm", name}).ok());
    BOOST_TEST(::if_nametoindex(veth.c_str()) == 0U, veth << " is still there");
    CommandResult inspect = runHusk({"network", "inspect", "husk"});
    BOOST_REQUIRE_MESSAGE(inspect.ok(), inspect.describe());
    for (const json &l : json::parse(inspect.out)["leases"])
        BOOST_TEST(l["container"] != name, l.dump());
}

BOOST_FIXTURE_TEST_CASE(members_get_the_pods_resolv_conf_hosts_and_hostname, Fixture)
{
    Pod pod({"--dns", "192.0.2.53", "--dns", "2001:db8::53", "--hostname", "dnshost"});
    std::string ip = hostOf(addressOf(pod));
    std::string out = runInPod(*this, pod,
                               "cat /etc/resolv.conf; echo ---; cat /etc/hosts; echo ---; "
                               "cat /etc/hostname; echo ---; grep ' /etc/resolv.conf ' "
                               "/proc/self/mountinfo | wc -l");
    BOOST_TEST(out.starts_with("nameserver 192.0.2.53\nnameserver 2001:db8::53\n---\n"), out);
    BOOST_TEST(out.find(ip + "\tdnshost\n") != std::string::npos, out);
    BOOST_TEST(out.find("127.0.0.1\tlocalhost\n") != std::string::npos, out);
    BOOST_TEST(out.find("---\ndnshost\n---\n1\n") != std::string::npos, out);
    // The files live in the pod's state directory and go with it.
    fs::path dir = rootDir() / "pods" / pod.name;
    BOOST_TEST(readText(dir / "resolv.conf") == "nameserver 192.0.2.53\nnameserver 2001:db8::53\n");
    CommandResult bad = runHusk({"pod", "create", "--dns", "dns.example", "husktest-baddns"});
    BOOST_TEST(bad.failed());
    BOOST_TEST(bad.err.find("--dns dns.example") != std::string::npos, bad.err);
    BOOST_TEST(!fs::exists(rootDir() / "pods" / "husktest-baddns"));
}

BOOST_FIXTURE_TEST_CASE(annotations_give_a_plain_container_its_own_network, Fixture)
{
    bundle.config()["annotations"] = {{"run.husk.network", "bridge"},
                                      {"run.husk.ip", "10.77.201.7"},
                                      {"run.husk.dns", "192.0.2.54"}};
    bundle.config()["hostname"] = "annotated";
    bundle.config()["process"]["args"] = {
        "sh", "-c", "ip -4 addr show dev eth0; ip route; cat /etc/resolv.conf; hostname"};
    bundle.save();
    std::string id = newId();
    BOOST_REQUIRE(create(id).ok());
    // The container owns a pod of its own name, with the address asked for.
    CommandResult inspect = runHusk({"pod", "inspect", id});
    BOOST_REQUIRE_MESSAGE(inspect.ok(), inspect.describe());
    json info = json::parse(inspect.out);
    BOOST_TEST(info["owner"] == id);
    BOOST_TEST(info["network"]["address"] == "10.77.201.7/16");
    std::string veth = info["network"]["hostVeth"];
    BOOST_REQUIRE(start(id).ok());
    BOOST_REQUIRE(waitForStatus(id, "stopped"));
    std::string out = io.out();
    BOOST_TEST(out.find("inet 10.77.201.7/16") != std::string::npos, out);
    BOOST_TEST(out.find("default via 10.77.0.1 dev eth0") != std::string::npos, out);
    BOOST_TEST(out.find("nameserver 192.0.2.54\n") != std::string::npos, out);
    BOOST_TEST(out.find("annotated\n") != std::string::npos, out);
    // delete takes the pod, its veth and its lease with it.
    BOOST_REQUIRE(runHusk({"delete", id}).ok());
    BOOST_TEST(runHusk({"pod", "inspect", id}).failed());
    BOOST_TEST(::if_nametoindex(veth.c_str()) == 0U, veth << " is still there");
    CommandResult net = runHusk({"network", "inspect", "husk"});
    BOOST_REQUIRE(net.ok());
    for (const json &l : json::parse(net.out)["leases"])
        BOOST_TEST(l["container"] != id, l.dump());
}

BOOST_FIXTURE_TEST_CASE(a_failed_create_removes_the_containers_own_pod, Fixture)
{
    // Bridge and a forward, so there is a veth, a lease and a chain to undo; the create fails
    // after the pod is up (the rootfs is checked once the config joined it).
    bundle.config()["annotations"] = {{"run.husk.network", "bridge"},
                                      {"run.husk.ports", "18080:80"}};
    bundle.config()["root"]["path"] = "no-such-rootfs";
    bundle.save();
    std::string id = newId();
    CommandResult r = create(id);
    BOOST_TEST(r.failed(), r.describe());
    BOOST_TEST(r.err.find("no-such-rootfs") != std::string::npos, r.err);
    BOOST_TEST(runHusk({"pod", "inspect", id}).failed());
    BOOST_TEST(!fs::exists(rootDir() / "pods" / id));
    CommandResult nft = runCommand({"nft", "list", "table", "ip", "husk"});
    BOOST_TEST(nft.out.find("pod-" + id) == std::string::npos, nft.out);
    CommandResult net = runHusk({"network", "inspect", "husk"});
    BOOST_REQUIRE(net.ok());
    for (const json &l : json::parse(net.out)["leases"])
        BOOST_TEST(l["container"] != id, l.dump());
    // Asked together with run.husk.pod it is refused before anything is made.
    bundle.config()["annotations"] = {{"run.husk.network", "none"}, {"run.husk.pod", "other"}};
    bundle.config()["root"]["path"] = "rootfs";
    bundle.save();
    io.clear();
    r = create(newId());
    BOOST_TEST(r.failed());
    BOOST_TEST(r.err.find("run.husk.pod") != std::string::npos, r.err);
}

BOOST_FIXTURE_TEST_CASE(delete_takes_its_own_pod_even_when_pod_json_is_unreadable, Fixture)
{
    // The container asked for its own pod (run.husk.network): its annotations say the pod is
    // its, so delete removes the pod, pause included, although pod.json no longer can.
    bundle.config()["annotations"] = {{"run.husk.network", "none"}};
    bundle.save();
    std::string id = newId();
    BOOST_REQUIRE(create(id).ok());
    CommandResult inspect = runHusk({"pod", "inspect", id});
    BOOST_REQUIRE_MESSAGE(inspect.ok(), inspect.describe());
    int pause = json::parse(inspect.out)["pausePid"].get<int>();
    std::ofstream(rootDir() / "pods" / id / "pod.json", std::ios::trunc) << "garbage";
    CommandResult del = runHusk({"delete", "--force", id}, {.timeout = 30s});
    BOOST_TEST(del.ok(), del.describe());
    BOOST_TEST(!fs::exists(rootDir() / "pods" / id), "the container's own pod was left");
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
        reapOrphans(); // the pause was reparented to the test, a subreaper
        gone = !fs::exists("/proc/" + std::to_string(pause) + "/ns");
        if (!gone)
            std::this_thread::sleep_for(20ms);
    }
    BOOST_TEST(gone, "its pause " << pause << " still runs");
}

BOOST_FIXTURE_TEST_CASE(delete_force_cleans_an_own_pod_whose_container_state_is_gone, Fixture)
{
    // A husk killed in the middle of delete: the container's state is gone, its own pod (which
    // still lists it as a member) is not. delete --force must take the pod, and not loop.
    bundle.config()["annotations"] = {{"run.husk.network", "none"}};
    bundle.save();
    std::string id = newId();
    BOOST_REQUIRE(create(id).ok());
    BOOST_REQUIRE(fs::exists(rootDir() / "pods" / id));
    CommandResult killInit = runHusk({"kill", id, "KILL"});
    BOOST_REQUIRE(killInit.ok());
    BOOST_REQUIRE(waitForStatus(id, "stopped"));
    // The container's cgroups are recorded only in the state this test throws away, so no
    // delete can find them: the test removes them itself (empty, their init is dead).
    std::vector<std::string> cgroupDirs;
    std::ifstream stateFile(rootDir() / id / "state.json");
    const nlohmann::json state = nlohmann::json::parse(stateFile, nullptr, false);
    if (state.is_object() && state.contains("cgroup"))
        for (const auto &[key, dir] : state["cgroup"]["paths"].items())
            cgroupDirs.push_back(dir.get<std::string>());
    BOOST_TEST(!cgroupDirs.empty(), "no cgroup paths in the state: " << state.dump());
    fs::remove_all(rootDir() / id);
    CommandResult del = runHusk({"delete", "--force", id}, {.timeout = 30s});
    BOOST_TEST(del.ok(), del.describe());
    BOOST_TEST(!fs::exists(rootDir() / "pods" / id));
    for (const std::string &dir : cgroupDirs)
        BOOST_CHECK_MESSAGE(::rmdir(dir.c_str()) == 0 || errno == ENOENT,
                            "rmdir " << dir << ": " << std::strerror(errno));
}

/// What a TCP connection from this (the test's) namespace to host:port reads until EOF, retrying
/// for a few seconds while nobody listens yet.
std::string readFromTcp(const std::string &host, const std::string &port)
{
    for (int i = 0; i < 30; ++i) {
        CommandResult r = runCommand({"busybox", "nc", "-w", "2", host, port}, {.timeout = 5s});
        if (r.ok() && !r.out.empty())
            return r.out;
        std::this_thread::sleep_for(200ms);
    }
    return "";
}

BOOST_FIXTURE_TEST_CASE(port_forwards_reach_the_member, Fixture)
{
    Pod pod({"-p", "8080:80", "-p", "127.0.0.1:8081:80/tcp"});
    BOOST_TEST(pod.info["network"]["ports"] ==
                   json::array({"8080:80/tcp", "127.0.0.1:8081:80/tcp"}),
               pod.info.dump());
    std::string gateway = pod.info["network"]["gateway"];
    // A member that answers every connection on port 80.
    std::ofstream(bundle.rootfs() / "reply.sh") << "#!/bin/sh\necho pong-forwarded\n";
    fs::permissions(bundle.rootfs() / "reply.sh",
                    fs::perms::owner_all | fs::perms::others_exec | fs::perms::others_read);
    bundle.config()["process"]["args"] = {"nc", "-ll", "-p", "80", "-e", "/reply.sh"};
    bundle.save();
    std::string server = newId();
    ContainerIo serverIo(bundle.path(), "server");
    BOOST_REQUIRE(create(server, bundle, serverIo, {"--pod", pod.name}).ok());
    BOOST_REQUIRE(start(server).ok());
    // From the test's namespace (the "host"): its own address on the bridge, and loopback
    // (which a fresh `unshare --net` leaves down; a real host has it up).
    BOOST_REQUIRE(runCommand({"ip", "link", "set", "lo", "up"}).ok());
    BOOST_TEST(readFromTcp(gateway, "8080") == "pong-forwarded\n");
    BOOST_TEST(readFromTcp("127.0.0.1", "8080") == "pong-forwarded\n");
    BOOST_TEST(readFromTcp("127.0.0.1", "8081") == "pong-forwarded\n");
    // Hairpin: a member of the pod reaches its own forwarded port through the host.
    std::string out = runInPod(*this, pod,
                               "for i in $(seq 1 20); do nc -w 2 " + gateway +
                                   " 8080 </dev/null && exit 0; sleep 0.2; done; exit 1");
    BOOST_TEST(out == "pong-forwarded\n");
    // The rules read back from the kernel: the pod's chain, jumped to from husk-dnat.
    CommandResult nft = runCommand({"nft", "list", "table", "ip", "husk"});
    BOOST_REQUIRE_MESSAGE(nft.ok(), nft.describe());
    BOOST_TEST(nft.out.find("jump pod-" + pod.name) != std::string::npos, nft.out);
    std::string ip = hostOf(addressOf(pod));
    BOOST_TEST(nft.out.find("tcp dport 8080 dnat to " + ip + ":80") != std::string::npos, nft.out);
    BOOST_TEST(nft.out.find("ip daddr 127.0.0.1 tcp dport 8081 dnat to " + ip + ":80") !=
                   std::string::npos,
               nft.out);
    // rm takes exactly the pod's rules.
    BOOST_REQUIRE(runHusk({"pod", "rm", "--force", pod.name}, {.timeout = 60s}).ok());
    nft = runCommand({"nft", "list", "table", "ip", "husk"});
    BOOST_TEST(nft.out.find("pod-" + pod.name) == std::string::npos, nft.out);
    BOOST_TEST(nft.out.find("chain net-husk") != std::string::npos, nft.out);
}

BOOST_FIXTURE_TEST_CASE(bad_forwards_are_refused_before_anything_is_made, Fixture)
{
    for (const std::vector<std::string> &flags : {std::vector<std::string>{"-p", "80"},
                                                  {"-p", "x:80"},
                                                  {"-p", "8080:80/sctp"},
                                                  {"-p", "8080:80", "-p", "8080:81"},
                                                  {"--network", "none", "-p", "8080:80"}}) {
        std::vector<std::string> args = {"pod", "create"};
        args.insert(args.end(), flags.begin(), flags.end());
        args.push_back("husktest-badport");
        CommandResult r = runHusk(args);
        BOOST_TEST(r.failed(), r.describe());
        BOOST_TEST(r.err.find("--publish") != std::string::npos, r.err);
        BOOST_TEST(!fs::exists(rootDir() / "pods" / "husktest-badport"));
    }
}

BOOST_FIXTURE_TEST_CASE(hundred_pods_in_parallel_get_distinct_addresses, Fixture)
{
    constexpr int kPods = 100;
    std::vector<std::string> names(kPods);
    std::vector<CommandResult> results(kPods);
    for (int i = 0; i < kPods; ++i)
        names[i] = "husktest-par-" + std::to_string(::getpid()) + "-" + std::to_string(i);
    struct RemoveAll {
        std::vector<std::string> &names;
        ~RemoveAll()
        {
            for (const std::string &n : names)
                runHusk({"pod", "rm", "--force", n}, {.timeout = 60s});
        }
    } removeAll{names};
    std::vector<std::thread> threads;
    for (int t = 0; t < 10; ++t)
        threads.emplace_back([&, t] {
            for (int i = t; i < kPods; i += 10)
                results[i] =
                    runHusk({"pod", "create", "--network", "bridge", names[i]}, {.timeout = 120s});
        });
    for (std::thread &t : threads)
        t.join();
    std::set<std::string> addresses;
    for (int i = 0; i < kPods; ++i) {
        BOOST_REQUIRE_MESSAGE(results[i].ok(), results[i].describe());
        addresses.insert(json::parse(results[i].out)["network"]["address"].get<std::string>());
    }
    BOOST_TEST(addresses.size() == size_t{kPods});
}

// ---- husk-cni: the CNI plugin protocol, driven directly (env + stdin, as a runtime does) ----

namespace {

/// A process alone in a new network namespace, killed and reaped at the end of the scope.
struct NetnsHolder {
    pid_t pid = -1;
    NetnsHolder()
    {
        int ready[2];
        BOOST_REQUIRE(::pipe(ready) == 0);
        pid = ::fork();
        BOOST_REQUIRE(pid >= 0);
        if (pid == 0) {
            if (::unshare(CLONE_NEWNET) < 0)
                ::_exit(1);
            (void)!::write(ready[1], "x", 1);
            ::pause();
            ::_exit(0);
        }
        ::close(ready[1]);
        char c;
        BOOST_REQUIRE(::read(ready[0], &c, 1) == 1);
        ::close(ready[0]);
    }
    ~NetnsHolder()
    {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
    }
    std::string path() const { return "/proc/" + std::to_string(pid) + "/ns/net"; }
};

struct Cni {
    fs::path dir; // holds the husk-cni symlink and the stdin file
    json config;
    Cni(const fs::path &root, const std::string &tag) : dir(root / ("cni-" + tag))
    {
        fs::create_directories(dir);
        fs::create_symlink(fs::absolute(runtimePath()), dir / "husk-cni");
        config = {{"cniVersion", "1.0.0"},
                  {"name", "husktest"},
                  {"type", "husk-cni"},
                  {"root", root.string()}};
    }
    CommandResult run(const std::string &command, const std::string &id, const std::string &netns,
                      const std::string &ifname = "eth0")
    {
        std::ofstream(dir / "stdin", std::ios::trunc) << config.dump();
        int in = ::open((dir / "stdin").c_str(), O_RDONLY | O_CLOEXEC);
        CommandResult r = runCommand({"env", "CNI_COMMAND=" + command, "CNI_CONTAINERID=" + id,
                                      "CNI_NETNS=" + netns, "CNI_IFNAME=" + ifname,
                                      "CNI_PATH=" + dir.string(), (dir / "husk-cni").string()},
                                     {.timeout = 30s, .stdinFd = in});
        ::close(in);
        return r;
    }
};

/// `ip -j addr show DEV` inside the namespace at path, or "" when DEV is not there.
std::string addressesIn(const std::string &netns, const std::string &dev)
{
    CommandResult r =
        runCommand({"nsenter", "--net=" + netns, "ip", "-o", "-4", "addr", "show", "dev", dev});
    return r.ok() ? r.out : "";
}

} // namespace

BOOST_FIXTURE_TEST_CASE(husk_cni_add_check_del_gc_over_the_cni_protocol, Fixture)
{
    warmPodNetwork();
    const std::set<std::string> linksBefore = links();
    Cni cni(rootDir(), std::to_string(::getpid()));
    cni.config["runtimeConfig"] = {
        {"portMappings",
         json::array({{{"hostPort", 18080}, {"containerPort", 80}, {"protocol", "tcp"}}})}};
    NetnsHolder a, b;
    const std::string idA = "husktest-cni-a", idB = "husktest-cni-b";

    CommandResult version = cni.run("VERSION", "", "");
    BOOST_REQUIRE_MESSAGE(version.ok(), version.describe());
    BOOST_TEST(json::parse(version.out)["supportedVersions"].dump() ==
               R"(["0.4.0","1.0.0","1.1.0"])");

    // ADD: the result names both ends, the address and the route, as CNI 1.0 shapes them.
    CommandResult addA = cni.run("ADD", idA, a.path());
    BOOST_REQUIRE_MESSAGE(addA.ok(), addA.describe());
    json res = json::parse(addA.out);
    BOOST_TEST(res["cniVersion"] == "1.0.0");
    BOOST_TEST(res["interfaces"].size() == 2U);
    BOOST_TEST(res["interfaces"][1]["name"] == "eth0");
    BOOST_TEST(res["interfaces"][1]["sandbox"] == a.path());
    for (const json &i : res["interfaces"]) // "aa:bb:cc:dd:ee:ff", read back from the kernel
        BOOST_TEST(i["mac"].get<std::string>().size() == 17U, i.dump());
    const std::string addressA = res["ips"][0]["address"];
    BOOST_TEST(res["ips"][0]["interface"] == 1);
    BOOST_TEST(!res["ips"][0].contains("version")); // 0.4.0's field, not 1.0's
    BOOST_TEST(res["routes"][0]["dst"] == "0.0.0.0/0");
    BOOST_TEST(addressesIn(a.path(), "eth0").find(addressA) != std::string::npos,
               addressesIn(a.path(), "eth0"));
    BOOST_TEST(ruleset().find("18080") != std::string::npos); // the port mapping
    BOOST_TEST(fs::exists(rootDir() / "cni" / (idA + "@eth0")));
    // A second ADD of the same attachment is refused and leaves the first one as it was.
    CommandResult again = cni.run("ADD", idA, a.path());
    BOOST_TEST(again.failed(), again.describe());
    BOOST_TEST(addressesIn(a.path(), "eth0").find(addressA) != std::string::npos);

    // A second container on another interface name gets another address (0.4.0 this time).
    cni.config["cniVersion"] = "0.4.0";
    cni.config.erase("runtimeConfig");
    CommandResult addB = cni.run("ADD", idB, b.path(), "net1");
    BOOST_REQUIRE_MESSAGE(addB.ok(), addB.describe());
    json resB = json::parse(addB.out);
    BOOST_TEST(resB["ips"][0]["version"] == "4");
    BOOST_TEST(resB["ips"][0]["address"] != addressA);
    BOOST_TEST(addressesIn(b.path(), "net1") != "");

    // CHECK passes, then fails once the default route is gone.
    cni.config["cniVersion"] = "1.0.0";
    cni.config["prevResult"] = res;
    CommandResult check = cni.run("CHECK", idA, a.path());
    BOOST_TEST(check.ok(), check.describe());
    BOOST_REQUIRE(
        runCommand({"nsenter", "--net=" + a.path(), "ip", "route", "del", "default"}).ok());
    CommandResult broken = cni.run("CHECK", idA, a.path());
    BOOST_TEST(broken.failed(), broken.describe());
    BOOST_TEST(json::parse(broken.out)["msg"].get<std::string>().find("no default route") !=
                   std::string::npos,
               broken.out);
    cni.config.erase("prevResult");

    // Bad input: a clear error document and a non-zero exit, nothing made.
    cni.config["cniVersion"] = "9.9.9";
    CommandResult badVersion = cni.run("ADD", "husktest-cni-c", a.path());
    BOOST_TEST(badVersion.failed());
    BOOST_TEST(json::parse(badVersion.out)["code"] == 1);
    cni.config["cniVersion"] = "1.0.0";
    CommandResult badId = cni.run("ADD", "no/slash", a.path());
    BOOST_TEST(json::parse(badId.out)["code"] == 4);

    // GC: B is not among the valid attachments, so its lease and link go.
    cni.config["cni.dev/valid-attachments"] =
        json::array({{{"containerID", idA}, {"ifname", "eth0"}}});
    CommandResult gc = cni.run("GC", "", "");
    BOOST_TEST(gc.ok(), gc.describe());
    BOOST_TEST(addressesIn(b.path(), "net1") == "");
    BOOST_TEST(!fs::exists(rootDir() / "cni" / (idB + "@net1")));
    BOOST_TEST(fs::exists(rootDir() / "cni" / (idA + "@eth0")));
    cni.config.erase("cni.dev/valid-attachments");

    // DEL, twice: both succeed; nothing of A is left (links, lease, marker, port mapping).
    for (int i = 0; i < 2; ++i) {
        CommandResult del = cni.run("DEL", idA, a.path());
        BOOST_TEST(del.ok(), del.describe());
    }
    BOOST_TEST(addressesIn(a.path(), "eth0") == "");
    BOOST_TEST(!fs::exists(rootDir() / "cni" / (idA + "@eth0")));
    BOOST_TEST(ruleset().find("18080") == std::string::npos);
    BOOST_TEST(readText(rootDir() / "networks/husk/leases.json").find("cni:") == std::string::npos,
               readText(rootDir() / "networks/husk/leases.json"));
    BOOST_TEST((links() == linksBefore), "a link was left");
    // DEL of a namespace that is already gone succeeds too (CNI: DEL is idempotent).
    BOOST_TEST(cni.run("DEL", idB, "", "net1").ok());
}

BOOST_AUTO_TEST_SUITE_END()
