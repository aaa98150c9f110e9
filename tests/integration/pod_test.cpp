// Integration tests: husk pods (none and host networking): the pause process, members joining
// its namespaces, stop and rm. Run in a private network namespace like every integration test.

#ifndef BOOST_TEST_DYN_LINK // meson's boost dependency may define it already
#define BOOST_TEST_DYN_LINK
#endif
#define BOOST_TEST_MODULE pod
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <unistd.h>

#include <fstream>

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
    for (const char *type : {"net", "ipc", "uts"})
        BOOST_TEST(pod.ns(type) != hostNamespace(type), type);
    BOOST_TEST(pod.info["network"]["mode"] == "none");
    // Only /dev/null and nothing of husk's is open in the pause process.
    for (const auto &e : fs::directory_iterator("/proc/" + std::to_string(pod.pid()) + "/fd"))
        BOOST_TEST(std::stoi(e.path().filename().string()) <= 2, e.path());
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
