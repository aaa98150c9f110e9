// Integration tests: husk run many times at once. 100 lifecycles of distinct ids in parallel,
// and 20 threads throwing mixed commands at one id: every command ends (no crash, no hang),
// every state read is a whole, valid record, and nothing is left. (Parallel pod creates getting
// distinct addresses is pod_test's hundred_pods_in_parallel_get_distinct_addresses.)

#ifndef BOOST_TEST_DYN_LINK // meson's boost dependency may define it already
#define BOOST_TEST_DYN_LINK
#endif
#define BOOST_TEST_MODULE concurrency
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "tests/integration/harness.h"
#include "tests/integration/mountinfo.h"

using namespace husk::test;
using nlohmann::json;
namespace fs = std::filesystem;

BOOST_TEST_GLOBAL_FIXTURE(RunFixture);

namespace {

/// Problems seen by worker threads (Boost.Test assertions are not thread-safe).
struct Findings {
    std::mutex m;
    std::vector<std::string> problems;
    void add(const std::string &p)
    {
        std::lock_guard<std::mutex> lock(m);
        if (problems.size() < 20)
            problems.push_back(p);
    }
};

/// A command that crashed or hung, rather than succeeding or failing properly.
bool broke(const CommandResult &r)
{
    return r.timedOut || r.signaled || r.exitCode < 0 || r.exitCode > 1;
}

/// The husk cgroup directories of ids in the set that still exist.
std::vector<std::string> cgroupsLeft(const std::set<std::string> &ids)
{
    std::vector<std::string> left;
    for (const MountInfo &m : readMountInfo())
        if (m.fstype == "cgroup" || m.fstype == "cgroup2")
            for (const std::string &id : ids)
                if (fs::exists(fs::path(m.mountPoint) / "husk" / id))
                    left.push_back(m.mountPoint + "/husk/" + id);
    return left;
}

} // namespace

BOOST_AUTO_TEST_SUITE(parallel, *boost::unit_test::precondition(notRunc))

BOOST_FIXTURE_TEST_CASE(hundred_lifecycles_of_distinct_ids_at_once, Fixture)
{
    constexpr int kContainers = 100;
    bundle.setProbeArgs({"echo", "hi"});
    bundle.save();
    std::vector<std::string> ids;
    for (int i = 0; i < kContainers; ++i)
        ids.push_back(newId());
    Findings findings;
    std::vector<std::thread> threads;
    for (const std::string &id : ids)
        threads.emplace_back([&, id] {
            CommandOptions quiet{.timeout = 120s, .stdinFd = -1};
            CommandResult c = runHusk({"create", "--bundle", bundle.path().string(), id}, quiet);
            if (!c.ok())
                return findings.add("create: " + c.describe());
            CommandResult s = runHusk({"start", id}, quiet);
            if (!s.ok())
                return findings.add("start: " + s.describe());
            // The probe echoes and exits: wait for stopped, then a plain delete.
            std::string status;
            for (int i = 0; i < 600; ++i) {
                CommandResult st = runHusk({"state", id}, quiet);
                if (!st.ok())
                    return findings.add("state: " + st.describe());
                json j = json::parse(st.out, nullptr, false);
                if (j.is_discarded() || !j.contains("status"))
                    return findings.add("state is not a whole record: " + st.out);
                status = j["status"];
                if (status == "stopped")
                    break;
                if (status != "running" && status != "created")
                    return findings.add("illegal status after start: " + status);
                std::this_thread::sleep_for(50ms);
            }
            CommandResult d = runHusk({"delete", id}, quiet);
            if (!d.ok())
                findings.add("delete (" + status + "): " + d.describe());
        });
    for (std::thread &t : threads)
        t.join();
    reapOrphans();
    BOOST_TEST(findings.problems.empty(),
               findings.problems.size()
                   << " problems, first: "
                   << (findings.problems.empty() ? std::string() : findings.problems.front()));
    std::set<std::string> idSet(ids.begin(), ids.end());
    for (const std::string &id : ids)
        BOOST_TEST(!fs::exists(rootDir() / id), id);
    std::vector<std::string> left = cgroupsLeft(idSet);
    BOOST_TEST(left.empty(), left.size() << " cgroup directories left, first: "
                                         << (left.empty() ? std::string() : left.front()));
}

BOOST_FIXTURE_TEST_CASE(twenty_threads_of_mixed_commands_on_one_id, Fixture)
{
    bundle.setProbeArgs({"wait-signal"});
    bundle.save();
    const std::string id = newId();
    const std::vector<std::vector<std::string>> commands = {
        {"create", "--bundle", bundle.path().string(), id},
        {"start", id},
        {"kill", id, "KILL"},
        {"kill", "--all", id, "KILL"},
        {"delete", id},
        {"delete", "--force", id},
        {"state", id},
        {"pause", id},
        {"resume", id},
    };
    const std::set<std::string> legal = {"creating", "created", "running", "paused", "stopped"};
    Findings findings;
    std::atomic<int> created{0}, states{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 20; ++t)
        threads.emplace_back([&, t] {
            std::mt19937 rng(static_cast<unsigned>(t * 7919 + 1));
            for (int round = 0; round < 15; ++round) {
                const auto &cmd = commands[rng() % commands.size()];
                CommandResult r = runHusk(cmd, {.timeout = 60s, .stdinFd = -1});
                if (broke(r))
                    findings.add("broke: " + r.describe());
                if (cmd[0] == "create" && r.ok())
                    ++created;
                if (cmd[0] == "state") {
                    if (r.ok()) {
                        ++states;
                        json j = json::parse(r.out, nullptr, false);
                        if (j.is_discarded() || !legal.contains(j.value("status", "")))
                            findings.add("state is not a whole, legal record: " + r.out);
                    } else if (r.err.find("does not exist") == std::string::npos) {
                        findings.add("state failed other than for a missing id: " + r.err);
                    }
                }
                // A create fails only because the id exists, or because a delete --force
                // removed its directory before it took the lock (and it says so).
                if (cmd[0] == "create" && !r.ok() &&
                    r.err.find("already exists") == std::string::npos &&
                    r.err.find("was deleted while it was being created") == std::string::npos)
                    findings.add("create failed other than for an existing id: " + r.err);
            }
        });
    for (std::thread &t : threads)
        t.join();
    BOOST_TEST_MESSAGE(created.load() << " creates succeeded, " << states.load() << " states read");
    BOOST_TEST(findings.problems.empty(),
               findings.problems.size()
                   << " problems, first: "
                   << (findings.problems.empty() ? std::string() : findings.problems.front()));
    CommandResult d = runHusk({"delete", "--force", id});
    BOOST_TEST(d.ok(), d.describe());
    reapOrphans();
    BOOST_TEST(!fs::exists(rootDir() / id));
    std::vector<std::string> left = cgroupsLeft({id});
    BOOST_TEST(left.empty(), left.size() << " cgroup directories left");
}

BOOST_AUTO_TEST_SUITE_END()
