// Integration tests on this host's real cgroup hierarchies (v1 or hybrid here; the v2 paths
// run where a cgroup2 hierarchy has the controllers): resource limits seen from inside the
// container, pause/resume, update, ps, events and OOM reporting.

#ifndef BOOST_TEST_DYN_LINK // meson's boost dependency may define it already
#define BOOST_TEST_DYN_LINK
#endif
#define BOOST_TEST_MODULE cgroups
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/harness.h"

using namespace husk::test;
using nlohmann::json;
namespace fs = std::filesystem;
namespace utf = boost::unit_test;

BOOST_TEST_GLOBAL_FIXTURE(RunFixture);

namespace {

/// The container's directory in the v1 hierarchy of a controller, under husk's default
/// cgroup path /husk/<id>.
fs::path v1Dir(const std::string &controller, const std::string &id)
{
    return v1Hierarchy(controller) / "husk" / id;
}

/// Precondition: a v1 hierarchy for each controller (this machine has them; a v2-only host
/// skips with the reason).
utf::precondition v1(std::vector<std::string> controllers)
{
    return utf::precondition([controllers](utf::test_unit_id) {
        for (const std::string &c : controllers)
            if (v1Hierarchy(c).empty()) {
                boost::test_tools::assertion_result r(false);
                r.message() << "no v1 " << c << " hierarchy on this host";
                return r;
            }
        return boost::test_tools::assertion_result(true);
    });
}

/// Polls cond every 20 ms for up to 10 s; whether it became true.
template <typename F> bool waitUntil(F cond)
{
    for (int i = 0; i < 500; ++i) {
        if (cond())
            return true;
        std::this_thread::sleep_for(20ms);
    }
    return cond();
}

/// Removes the test's cgroup `name` (and its "ctr" child) from every hierarchy, pass or fail:
/// the reference runtime (runc) leaves the parents it made.
void removeEverywhere(const std::string &name)
{
    std::error_code ec;
    for (const auto &h : fs::directory_iterator("/sys/fs/cgroup", ec)) {
        ::rmdir((h.path() / name / "ctr").c_str());
        ::rmdir((h.path() / name).c_str());
    }
}

/// `husk ARGS...` with the test's root.
CommandResult cmd(const std::vector<std::string> &args)
{
    return runHusk(args, {.timeout = 30s});
}

/// A container running `sh -c script` in the background; returns its id.
std::string startShell(Fixture &f, const std::string &script)
{
    f.bundle.config()["process"]["args"] = {"sh", "-c", script};
    f.bundle.save();
    std::string id = f.newId();
    CommandResult c = f.create(id);
    BOOST_REQUIRE_MESSAGE(c.ok(), c.describe());
    CommandResult s = f.start(id);
    BOOST_REQUIRE_MESSAGE(s.ok(), s.describe());
    return id;
}

} // namespace

BOOST_AUTO_TEST_SUITE(limits)

BOOST_FIXTURE_TEST_CASE(init_is_in_every_hierarchy, Fixture)
{
    // v1 controllers by cgroup.procs writes; cgroup2 (the unified mount of this hybrid host,
    // or the only one on v2) by clone3's CLONE_INTO_CGROUP.
    std::string id = startWaiting();
    int pid = state(id)->at("pid").get<int>();
    std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
    int lines = 0;
    for (std::string line; std::getline(in, line);) {
        ++lines;
        std::string path = line.substr(line.find(':', line.find(':') + 1) + 1);
        BOOST_TEST(path == "/husk/" + id, line);
    }
    BOOST_TEST(lines > 0);
}

BOOST_FIXTURE_TEST_CASE(memory_limit_oom_kills_and_is_reported, Fixture, *v1({"memory"}))
{
    bundle.config()["linux"]["resources"]["memory"] = {{"limit", 32 << 20}, {"swap", 32 << 20}};
    // sh survives; the probe allocating twice the limit is the OOM killer's pick.
    std::string id =
        startShell(*this, "sleep 1; /bin/husk-probe alloc 64; echo probe-exit $?; sleep 30");
    CommandResult events = runHusk({"events", "--interval", "500ms", id}, {.timeout = 6s});
    BOOST_TEST(events.timedOut, "events ended by itself: " << events.describe());
    bool sawOom = false;
    for (const json &e : parseJsonLines(events.out))
        sawOom |= e["type"] == "oom" && e["id"] == id;
    BOOST_TEST(sawOom, events.out);
    BOOST_TEST(io.waitForOut("probe-exit 137"), io.out());
    std::optional<json> st = state(id);
    BOOST_REQUIRE(st.has_value());
    BOOST_TEST(st->value("annotations", json::object()).value("run.husk.oom-kills", "") != "",
               st->dump());
    BOOST_TEST(readTrimmed(v1Dir("memory", id) / "memory.limit_in_bytes") ==
               std::to_string(32 << 20));
}

BOOST_FIXTURE_TEST_CASE(pids_limit_stops_fork, Fixture, *v1({"pids"}))
{
    bundle.config()["linux"]["resources"]["pids"] = {{"limit", 5}};
    json out = probe({"fork", "20"});
    BOOST_TEST(out["ok"] == false, out.dump());
    BOOST_TEST(out["error"] == "EAGAIN", out.dump());
    BOOST_TEST(out["forked"].get<int>() < 5, out.dump());
}

BOOST_FIXTURE_TEST_CASE(cpuset_pins_the_container, Fixture, *v1({"cpuset"}))
{
    bundle.config()["linux"]["resources"]["cpu"] = {{"cpus", "0"}, {"mems", "0"}};
    json status = probe({"read", "/proc/self/status"});
    std::string text = status["content"];
    BOOST_TEST(text.find("Cpus_allowed_list:\t0\n") != std::string::npos, text);
}

BOOST_FIXTURE_TEST_CASE(cpu_shares_and_quota_are_written, Fixture, *v1({"cpu"}))
{
    bundle.config()["linux"]["resources"]["cpu"] = {
        {"shares", 512}, {"quota", 50000}, {"period", 100000}};
    std::string id = startWaiting();
    fs::path dir = v1Dir("cpu", id);
    BOOST_TEST(readTrimmed(dir / "cpu.shares") == "512");
    BOOST_TEST(readTrimmed(dir / "cpu.cfs_quota_us") == "50000");
    BOOST_TEST(readTrimmed(dir / "cpu.cfs_period_us") == "100000");
}

BOOST_FIXTURE_TEST_CASE(device_rules_deny_and_allow, Fixture, *v1({"devices"}))
{
    // /dev/fuse exists in the container (linux.devices) but the cgroup decides access
    // (opening it needs no capability, so EPERM can only come from the device rules).
    bundle.config()["linux"]["devices"] = {
        {{"path", "/dev/fuse"}, {"type", "c"}, {"major", 10}, {"minor", 229}, {"fileMode", 0666}}};
    json denied = probe({"open", "/dev/fuse", "rw"});
    BOOST_TEST(denied["ok"] == false, denied.dump());
    BOOST_TEST(denied["error"] == "EPERM", denied.dump());
    json &rules = bundle.config()["linux"]["resources"]["devices"];
    rules.push_back(
        {{"allow", true}, {"type", "c"}, {"major", 10}, {"minor", 229}, {"access", "rw"}});
    json allowed = probe({"open", "/dev/fuse", "rw"});
    BOOST_TEST(allowed["ok"] == true, allowed.dump());
    // /dev/null stays usable under the default rules.
    json null = probe({"open", "/dev/null", "rw"});
    BOOST_TEST(null["ok"] == true, null.dump());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(commands)

BOOST_FIXTURE_TEST_CASE(pause_freezes_and_resume_continues, Fixture, *v1({"freezer"}))
{
    bundle.config()["root"]["readonly"] = false; // the counter is read from the host
    // Written beside and renamed, so the host never reads a half-written counter.
    std::string id = startShell(
        *this, "i=0; while :; do i=$((i+1)); echo $i > /progress.new; mv /progress.new /progress; "
               "done");
    fs::path progress = bundle.rootfs() / "progress";
    auto value = [&] { return std::atol(readTrimmed(progress).c_str()); };
    std::this_thread::sleep_for(300ms);
    BOOST_REQUIRE(value() > 0);
    BOOST_REQUIRE(cmd({"pause", id}).ok());
    BOOST_TEST(status(id) == "paused");
    long frozen = value();
    std::this_thread::sleep_for(500ms);
    BOOST_TEST(value() == frozen, "the container made progress while paused");
    BOOST_TEST(cmd({"pause", id}).failed(), "pausing twice must fail");
    BOOST_REQUIRE(cmd({"resume", id}).ok());
    BOOST_TEST(status(id) == "running");
    std::this_thread::sleep_for(500ms);
    BOOST_TEST(value() > frozen, "no progress after resume");
    BOOST_TEST(cmd({"resume", id}).failed(), "resuming a running container must fail");
}

BOOST_FIXTURE_TEST_CASE(paused_container_can_be_force_deleted, Fixture, *v1({"freezer"}))
{
    std::string id = startWaiting();
    BOOST_REQUIRE(cmd({"pause", id}).ok());
    CommandResult d = cmd({"delete", "--force", id});
    BOOST_TEST(d.ok(), d.describe());
    BOOST_TEST(!state(id).has_value());
}

BOOST_FIXTURE_TEST_CASE(update_changes_live_limits, Fixture, *v1({"pids", "memory"}))
{
    std::string id = startWaiting();
    BOOST_REQUIRE(cmd({"update", "--pids-limit", "7", "--memory", "64m", id}).ok());
    BOOST_TEST(readTrimmed(v1Dir("pids", id) / "pids.max") == "7");
    BOOST_TEST(readTrimmed(v1Dir("memory", id) / "memory.limit_in_bytes") ==
               std::to_string(64 << 20));
    // -r with a resources document; the change is kept in the container's state.
    fs::path file = bundle.path() / "resources.json";
    std::ofstream(file) << R"({"pids": {"limit": 9}})";
    BOOST_REQUIRE(cmd({"update", "-r", file.string(), id}).ok());
    BOOST_TEST(readTrimmed(v1Dir("pids", id) / "pids.max") == "9");
    // A bad value is refused and changes nothing.
    BOOST_TEST(cmd({"update", "--memory", "lots", id}).failed());
    BOOST_TEST(readTrimmed(v1Dir("pids", id) / "pids.max") == "9");
}

// Not against runc: v1Dir is husk's default path, and runc words the RDT error differently.
BOOST_FIXTURE_TEST_CASE(update_takes_runc_s_flag_spellings, Fixture,
                        *v1({"cpu"}) * boost::unit_test::precondition(notRunc))
{
    std::string id = startWaiting();
    CommandResult share = cmd({"update", "--cpu-share", "512", id});
    BOOST_REQUIRE_MESSAGE(share.ok(), share.describe());
    BOOST_TEST(readTrimmed(v1Dir("cpu", id) / "cpu.shares") == "512");
    // The Intel RDT flags exist; without resctrl they fail, saying why, and change nothing.
    if (!fs::exists("/sys/fs/resctrl/schemata")) {
        for (const char *flag : {"--l3-cache-schema", "--mem-bw-schema"}) {
            CommandResult rdt = cmd({"update", flag, "L3:0=f", "--cpu-share", "256", id});
            BOOST_TEST(rdt.exitCode == 1, rdt.describe());
            BOOST_TEST(rdt.err.find("resctrl") != std::string::npos, rdt.err);
            BOOST_TEST(readTrimmed(v1Dir("cpu", id) / "cpu.shares") == "512");
        }
    }
}

BOOST_FIXTURE_TEST_CASE(ps_lists_exactly_the_containers_pids, Fixture)
{
    std::string id = startWaiting();
    int initPid = state(id)->at("pid").get<int>();
    fs::path pidFile = bundle.path() / "exec.pid";
    BOOST_REQUIRE(
        cmd({"exec", "-d", "--pid-file", pidFile.string(), id, "/bin/husk-probe", "sleep", "30"})
            .ok());
    int execPid = std::atoi(readTrimmed(pidFile).c_str());
    CommandResult ps = cmd({"ps", "--format", "json", id});
    BOOST_REQUIRE_MESSAGE(ps.ok(), ps.describe());
    std::vector<int> pids = json::parse(ps.out).get<std::vector<int>>();
    std::sort(pids.begin(), pids.end());
    std::vector<int> want = {initPid, execPid};
    std::sort(want.begin(), want.end());
    BOOST_TEST(pids == want, boost::test_tools::per_element());
    CommandResult table = cmd({"ps", id});
    BOOST_REQUIRE_MESSAGE(table.ok(), table.describe());
    BOOST_TEST(table.out.find("PID") != std::string::npos, table.out);
    BOOST_TEST(table.out.find("sleep 30") != std::string::npos, table.out);
    // ps(1) options right after the id, with no "--" (runc passes them on).
    CommandResult custom = cmd({"ps", id, "-o", "pid,args"});
    BOOST_REQUIRE_MESSAGE(custom.ok(), custom.describe());
    BOOST_TEST(custom.out.find("COMMAND") != std::string::npos, custom.out);
    BOOST_TEST(custom.out.find("UID") == std::string::npos, custom.out);
    BOOST_TEST(custom.out.find("sleep 30") != std::string::npos, custom.out);
}

BOOST_FIXTURE_TEST_CASE(delete_force_removes_the_cgroups_a_container_made_in_its_own, Fixture,
                        *v1({"pids"}) * utf::precondition(notRunc))
{
    // A container that makes sub-cgroups (systemd inside, a nested runtime) and puts
    // processes there: delete --force kills them and removes the sub-cgroups bottom-up.
    std::string id = startShell(*this, "sleep 300 & sleep 300 & wait");
    fs::path leaf = v1Dir("pids", id);
    // The shell and both sleeps (counted, not guessed from the file's length).
    std::vector<int> pids;
    BOOST_REQUIRE(waitUntil([&] {
        pids.clear();
        std::istringstream in(readTrimmed(leaf / "cgroup.procs"));
        for (int p; in >> p;)
            pids.push_back(p);
        return pids.size() >= 3U;
    }));
    fs::create_directories(leaf / "sub" / "deeper");
    std::ofstream(leaf / "sub" / "cgroup.procs") << pids[1];
    std::ofstream(leaf / "sub" / "deeper" / "cgroup.procs") << pids[2];
    CommandResult ps = cmd({"ps", "--format", "json", id});
    BOOST_TEST(json::parse(ps.out).size() == pids.size(), ps.out); // ps sees them all
    CommandResult d = cmd({"delete", "--force", id});
    BOOST_TEST(d.ok(), d.describe());
    BOOST_TEST(!fs::exists(leaf), leaf);
    for (int p : pids)
        BOOST_TEST(waitUntil([&] {
                       reapOrphans(); // the test is the subreaper of what the init leaves
                       return !fs::exists("/proc/" + std::to_string(p) + "/ns");
                   }),
                   "pid " << p << " lives");
}

BOOST_FIXTURE_TEST_CASE(a_frozen_cgroup_fails_create_instead_of_hanging, Fixture,
                        *v1({"freezer"}) * utf::precondition(notRunc))
{
    std::string parent = "husktest-frozen-" + std::to_string(::getpid());
    fs::path frozen = v1Hierarchy("freezer") / parent;
    fs::create_directories(frozen);
    std::ofstream(frozen / "freezer.state") << "FROZEN";
    bundle.config()["linux"]["cgroupsPath"] = "/" + parent + "/ctr";
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    std::string id = newId();
    CommandResult c = create(id);
    std::ofstream(frozen / "freezer.state") << "THAWED";
    BOOST_TEST(c.failed(), c.describe());
    BOOST_TEST(c.err.find("unexpectedly frozen") != std::string::npos, c.err);
    BOOST_TEST(!state(id).has_value());
    BOOST_TEST(!fs::exists(frozen / "ctr"), "the container's cgroup was left");
    ::rmdir(frozen.c_str());
    for (const char *c : {"pids", "memory", "cpu"})
        if (!v1Hierarchy(c).empty())
            BOOST_TEST(!fs::exists(v1Hierarchy(c) / parent), c << ": husk's parent was left");
    removeEverywhere(parent);
}

BOOST_FIXTURE_TEST_CASE(an_empty_cpuset_parent_gets_its_ancestors_cpus_and_mems, Fixture,
                        *v1({"cpuset"}))
{
    // A v1 cpuset made by someone else and left empty refuses every task below it; runc
    // copies cpus and mems down from the nearest ancestor that has them.
    std::string parent = "husktest-cpuset-" + std::to_string(::getpid());
    fs::path dir = v1Hierarchy("cpuset") / parent;
    fs::create_directories(dir);
    BOOST_REQUIRE(readTrimmed(dir / "cpuset.cpus").empty());
    bundle.config()["linux"]["cgroupsPath"] = "/" + parent + "/ctr";
    json info = probe({"info"});
    BOOST_TEST(readTrimmed(dir / "cpuset.cpus") ==
               readTrimmed(v1Hierarchy("cpuset") / "cpuset.cpus"));
    BOOST_TEST(!readTrimmed(dir / "cpuset.mems").empty());
    removeEverywhere(parent);
}

/// Precondition: a v1 cpu hierarchy with realtime group scheduling (cpu.rt_runtime_us).
boost::test_tools::assertion_result realtimeGroups(utf::test_unit_id)
{
    fs::path cpu = v1Hierarchy("cpu");
    boost::test_tools::assertion_result r(!cpu.empty() && fs::exists(cpu / "cpu.rt_runtime_us"));
    r.message() << "no v1 cpu hierarchy with realtime group scheduling on this host";
    return r;
}

BOOST_FIXTURE_TEST_CASE(a_realtime_policy_gets_a_realtime_budget, Fixture,
                        *utf::precondition(realtimeGroups) * utf::precondition(notRunc))
{
    // A new v1 cpu cgroup has cpu.rt_runtime_us 0, where sched_setattr(SCHED_FIFO) fails
    // with EPERM. Each new level gets what its parent has left. (runc 1.1 has no
    // process.scheduler.)
    std::string parent = "husktest-rt-" + std::to_string(::getpid());
    bundle.config()["linux"]["cgroupsPath"] = "/" + parent + "/ctr";
    bundle.config()["process"]["scheduler"] = {{"policy", "SCHED_FIFO"}, {"priority", 10}};
    json policy = probe({"syscall", "sched_getscheduler", "0"});
    BOOST_TEST(policy["ret"] == 1, policy.dump()); // SCHED_FIFO
    // realtimeRuntime given: the config's value for the leaf, a budget for the new parent.
    bundle.config()["linux"]["resources"]["cpu"]["realtimeRuntime"] = 20000;
    bundle.config()["process"]["scheduler"]["policy"] = "SCHED_RR";
    bundle.setProbeArgs({"sleep", "30"});
    bundle.save();
    std::string id = newId();
    CommandResult c = create(id);
    BOOST_REQUIRE_MESSAGE(c.ok(), c.describe());
    fs::path leaf = v1Hierarchy("cpu") / parent / "ctr";
    BOOST_TEST(readTrimmed(leaf / "cpu.rt_runtime_us") == "20000");
    BOOST_TEST(readTrimmed(leaf.parent_path() / "cpu.rt_runtime_us") != "0");
    remove(id, true);
    removeEverywhere(parent);
}

BOOST_FIXTURE_TEST_CASE(kill_all_reaches_every_process_without_a_pid_namespace, Fixture,
                        *v1({"pids"}))
{
    bundle.removeNamespace("pid");
    std::string id = startShell(*this, "sleep 300 & sleep 300 & wait");
    std::vector<int> pids;
    BOOST_REQUIRE(waitUntil([&] {
        CommandResult ps = cmd({"ps", "--format", "json", id});
        pids = ps.ok() ? json::parse(ps.out).get<std::vector<int>>() : std::vector<int>{};
        return pids.size() >= 3U;
    }));
    CommandResult k = cmd({"kill", "--all", id, "KILL"});
    BOOST_TEST(k.ok(), k.describe());
    BOOST_TEST(waitForStatus(id, "stopped"));
    CommandResult d = cmd({"delete", id});
    BOOST_TEST(d.ok(), d.describe());
    for (int p : pids)
        BOOST_TEST(waitUntil([&] {
                       reapOrphans();
                       return !fs::exists("/proc/" + std::to_string(p) + "/ns");
                   }),
                   "pid " << p << " lives");
}

BOOST_FIXTURE_TEST_CASE(kill_0_checks_the_init_is_alive, Fixture)
{
    // Signal 0 signals nothing: a liveness check callers use (runc accepts it).
    std::string id = startWaiting();
    CommandResult alive = cmd({"kill", id, "0"});
    BOOST_TEST(alive.ok(), alive.describe());
    BOOST_TEST(status(id) == "running");
    BOOST_REQUIRE(kill(id, "KILL").ok());
    BOOST_REQUIRE(waitForStatus(id, "stopped"));
    CommandResult dead = cmd({"kill", id, "0"});
    BOOST_TEST(dead.failed(), dead.describe());
}

BOOST_FIXTURE_TEST_CASE(events_stats_numbers_move, Fixture, *v1({"cpuacct", "memory"}))
{
    std::string id = startShell(*this, "while :; do :; done");
    auto sample = [&] {
        CommandResult r = cmd({"events", "--stats", id});
        BOOST_REQUIRE_MESSAGE(r.ok(), r.describe());
        // runc's key order: consumers match the text.
        BOOST_TEST(r.out.starts_with("{\"type\":\"stats\",\"id\":\"" + id + "\",\"data\":"), r.out);
        json e = parseJson(r.out);
        BOOST_REQUIRE(e["type"] == "stats");
        BOOST_REQUIRE(e["id"] == id);
        return e["data"];
    };
    json first = sample();
    std::this_thread::sleep_for(500ms);
    json second = sample();
    uint64_t a = first["cpu"]["usage"]["total"].get<uint64_t>();
    uint64_t b = second["cpu"]["usage"]["total"].get<uint64_t>();
    BOOST_TEST(b > a, "cpu usage did not move: " << a << " -> " << b);
    BOOST_TEST(second["memory"]["usage"]["usage"].get<uint64_t>() > 0U, second["memory"].dump());
    BOOST_TEST(second["pids"]["current"].get<uint64_t>() >= 1U, second["pids"].dump());
}

BOOST_AUTO_TEST_SUITE_END()
