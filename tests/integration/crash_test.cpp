// Integration tests: what a killed husk, a corrupt state file and hostile input leave behind.
// husk-crashing (husk's objects with a crashPoint() that SIGKILLs it where HUSK_CRASH_AT says)
// is stopped after each recorded side effect of create, start, delete, pod create and pod rm;
// then `state` must tell the truth and a delete must leave nothing: no process, cgroup
// directory, mount, state entry, veth, lease or nft rule.

#ifndef BOOST_TEST_DYN_LINK // meson's boost dependency may define it already
#define BOOST_TEST_DYN_LINK
#endif
#define BOOST_TEST_MODULE crash
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/integration/harness.h"
#include "tests/integration/mountinfo.h"

using namespace husk::test;
using nlohmann::json;
namespace fs = std::filesystem;

BOOST_TEST_GLOBAL_FIXTURE(RunFixture);

namespace {

const char *crashingPath()
{
    const char *p = std::getenv("HUSK_CRASHING");
    return p && *p ? p : nullptr;
}

boost::test_tools::assertion_result haveCrashing(boost::unit_test::test_unit_id)
{
    boost::test_tools::assertion_result r(crashingPath() != nullptr);
    r.message() << "HUSK_CRASHING (the crash-injecting husk build) is not set";
    return r;
}

/// husk-crashing with args, SIGKILLed at step.
CommandResult runCrashing(const std::string &step, const std::vector<std::string> &args,
                          const CommandOptions &options = {})
{
    std::vector<std::string> argv = {crashingPath(), "--root", rootDir().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    ::setenv("HUSK_CRASH_AT", step.c_str(), 1);
    CommandResult r = runCommand(argv, options);
    ::unsetenv("HUSK_CRASH_AT");
    return r;
}

/// The container's cgroup directories at husk's default path, in every hierarchy mounted.
std::vector<fs::path> defaultCgroups(const std::string &id)
{
    std::vector<fs::path> out;
    for (const MountInfo &m : readMountInfo())
        if (m.fstype == "cgroup" || m.fstype == "cgroup2")
            out.push_back(fs::path(m.mountPoint) / "husk" / id);
    return out;
}

/// Whether pid is alive (a zombie counts as dead: it is reaped by whoever waits).
bool alive(int pid)
{
    reapOrphans();
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    size_t paren = text.rfind(')');
    return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] != 'Z' &&
           text[paren + 2] != 'X';
}

/// Everything of container id that can outlive a husk, as one line per thing left.
std::vector<std::string> residue(const std::string &id)
{
    std::vector<std::string> left;
    for (const fs::path &dir : defaultCgroups(id))
        if (fs::exists(dir))
            left.push_back("cgroup " + dir.string());
    if (fs::exists(rootDir() / id))
        left.push_back("state entry " + (rootDir() / id).string());
    for (const MountInfo &m : readMountInfo())
        if (m.mountPoint.find(id) != std::string::npos)
            left.push_back("mount " + m.mountPoint);
    // Its processes are our children (the init is cloned with CLONE_PARENT, and we are a
    // subreaper): give the init a moment to see its creator's socket close.
    for (int i = 0; i < 100 && !childPids().empty(); ++i) {
        reapOrphans();
        ::usleep(20000);
    }
    for (int pid : childPids())
        left.push_back("process " + std::to_string(pid));
    return left;
}

std::string joined(const std::vector<std::string> &v)
{
    std::string out;
    for (const std::string &s : v)
        out += (out.empty() ? "" : ", ") + s;
    return out;
}

/// The pid of a started container.
int initPid(Fixture &f, const std::string &id)
{
    auto st = f.state(id);
    BOOST_REQUIRE(st);
    return (*st)["pid"].get<int>();
}

/// A process started now (so before any container made later), sleeping; killed on scope exit.
struct Sleeper {
    int pid = -1;
    Sleeper()
    {
        pid = ::fork();
        if (pid == 0) {
            ::execl("/bin/sleep", "sleep", "300", nullptr);
            ::_exit(127);
        }
    }
    ~Sleeper()
    {
        ::kill(pid, SIGKILL);
        reapOrphans();
    }
};

void joinCgroup(const fs::path &dir, int pid)
{
    std::ofstream(dir / "cgroup.procs") << pid;
}

/// How many leases of network "husk" name owner.
int leases(const std::string &owner)
{
    CommandResult r = runHusk({"network", "inspect", "husk"});
    int n = 0;
    if (r.ok())
        for (const json &l : json::parse(r.out)["leases"])
            n += l["container"] == owner;
    return n;
}

} // namespace

// ---- hostile input ----

BOOST_FIXTURE_TEST_CASE(config_nested_too_deep_is_an_error_not_a_crash, Fixture)
{
    // 100,000 levels overflowed nlohmann's recursive copy (SIGSEGV); now the limit is named.
    std::string deep = R"({"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "annotations": )" +
                       std::string(100000, '[') + std::string(100000, ']') + "}";
    bundle.writeRawConfig(deep);
    std::string id = newId();
    CommandResult r = create(id);
    BOOST_TEST(r.failed(), r.describe());
    BOOST_TEST(r.err.find("exceeded max depth 1000") != std::string::npos, r.err);
    BOOST_TEST(!fs::exists(rootDir() / id));
}

BOOST_FIXTURE_TEST_CASE(a_broken_state_file_never_breaks_list_or_hides_others, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    std::string good = newId();
    BOOST_REQUIRE(create(good).ok());
    std::string bad = startWaiting();
    int pid = initPid(*this, bad);
    // The recorded config nested far too deep, as a corrupt or hostile state.json would be.
    {
        std::ofstream f(rootDir() / bad / "state.json");
        f << R"({"id": ")" << bad << R"(", "status": "running", "pid": 1, "initStartTime": 1,)"
          << R"( "bundle": "/b", "config": )" << std::string(100000, '[')
          << std::string(100000, ']') << "}";
    }
    CommandResult list = runHusk({"list", "--format", "json"});
    BOOST_REQUIRE_MESSAGE(list.ok(), list.describe());
    std::map<std::string, json> byId;
    for (const json &s : json::parse(list.out))
        byId[s["id"]] = s;
    BOOST_TEST(byId[good]["status"] == "created");
    BOOST_TEST(byId[bad]["status"] == "unknown");
    BOOST_TEST(byId[bad]["annotations"]["run.husk.error"].get<std::string>().find(
                   "exceeded max depth") != std::string::npos,
               byId[bad].dump());
    CommandResult st = runHusk({"state", bad});
    BOOST_TEST(st.failed(), st.describe());
    BOOST_TEST(remove(bad).failed()); // without --force: refused, nothing touched
    BOOST_TEST(alive(pid));
}

// ---- unreadable state: derive from the system, never orphan, never claim success ----

BOOST_FIXTURE_TEST_CASE(an_unreadable_recorded_config_leaves_state_and_delete_working, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    // With a poststop hook (delete needs the config then) and without (delete never reads it).
    for (bool withHook : {true, false}) {
        BOOST_TEST_CONTEXT((withHook ? "with a poststop hook" : "without hooks"))
        {
            if (withHook)
                bundle.config()["hooks"]["poststop"] = json::array({{{"path", "/bin/true"}}});
            else
                bundle.config().erase("hooks");
            std::string id = startWaiting();
            int pid = initPid(*this, id);
            std::ofstream(rootDir() / id / "config.json", std::ios::trunc)
                << "{\"ociVersion\": [[[";
            // state reads state.json alone: the record is whole, so the answer is the truth.
            CommandResult st = runHusk({"state", id});
            BOOST_REQUIRE_MESSAGE(st.ok(), st.describe());
            BOOST_TEST(json::parse(st.out)["status"] == "running");
            BOOST_TEST(json::parse(st.out)["pid"] == pid);
            // exec needs the config: an error naming the file, nothing started.
            CommandResult ex = runHusk({"exec", id, "true"});
            BOOST_TEST(ex.failed(), ex.describe());
            BOOST_TEST(ex.err.find("config.json") != std::string::npos, ex.err);
            // delete removes what the record names, and says what it could not do.
            CommandResult d = remove(id, true);
            BOOST_TEST(d.ok(), d.describe());
            BOOST_TEST((d.err.find("no poststop hooks run") != std::string::npos) == withHook,
                       d.err);
            BOOST_TEST(!alive(pid));
            BOOST_TEST(residue(id).empty(), joined(residue(id)));
        }
    }
}

BOOST_FIXTURE_TEST_CASE(force_delete_with_unreadable_state_kills_its_init_and_says_so, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    const std::vector<std::pair<std::string, std::string>> corruptions = {
        {"garbage", "\x7f\x45LF not json"},
        {"empty", ""},
        {"truncated", "{\"id\": \"x\", \"status\": \"run"},
        {"wrong type", "[1, 2, 3]"},
        {"missing", "<remove>"},
    };
    for (const auto &[what, text] : corruptions) {
        BOOST_TEST_CONTEXT(what)
        {
            std::string id = startWaiting();
            int pid = initPid(*this, id);
            if (text == "<remove>")
                fs::remove(rootDir() / id / "state.json");
            else
                std::ofstream(rootDir() / id / "state.json", std::ios::trunc) << text;
            CommandResult d = remove(id, true);
            // Not success: the record is gone, so what it named cannot all be verified...
            BOOST_TEST(d.failed(), d.describe());
            BOOST_TEST(d.err.find("cannot be read") != std::string::npos, d.err);
            BOOST_TEST(d.err.find("not verifiable without the record") != std::string::npos);
            // ... but the init is not orphaned: it was found in its cgroup and killed.
            BOOST_TEST(!alive(pid), "the init " << pid << " still runs");
            BOOST_TEST(residue(id).empty(), joined(residue(id)));
            BOOST_TEST(remove(id, true).ok()); // gone: a second delete --force succeeds
        }
    }
}

BOOST_FIXTURE_TEST_CASE(unreadable_state_leaves_a_process_that_is_not_the_containers, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    Sleeper older;    // started before the container's state directory was made
    ::usleep(200000); // start times have 10 ms resolution: clearly before
    std::string id = startWaiting();
    int pid = initPid(*this, id);
    for (const fs::path &dir : defaultCgroups(id))
        joinCgroup(dir, older.pid);
    std::ofstream(rootDir() / id / "state.json", std::ios::trunc) << "garbage";
    CommandResult d = remove(id, true);
    BOOST_TEST(d.failed(), d.describe());
    BOOST_TEST(d.err.find("not known to be the container's") != std::string::npos, d.err);
    BOOST_TEST(alive(older.pid), "husk killed a process it did not start");
    BOOST_TEST(!alive(pid), "the container's own init still runs");
    BOOST_TEST(fs::exists(rootDir() / id), "the only way back to the container was removed");
    // Once the operator has dealt with it, delete --force finishes the job.
    ::kill(older.pid, SIGKILL);
    reapOrphans();
    for (int i = 0; i < 50 && !readTrimmed(defaultCgroups(id).front() / "cgroup.procs").empty();
         ++i)
        ::usleep(20000);
    CommandResult again = remove(id, true);
    BOOST_TEST(again.failed(), again.describe()); // still unverifiable, but now cleaned
    BOOST_TEST(residue(id).empty(), joined(residue(id)));
}

BOOST_FIXTURE_TEST_CASE(pod_rm_force_with_unreadable_pod_json_finds_what_the_pod_made, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    warmPodNetwork();
    const std::set<std::string> linksBefore = links();
    const std::string rulesBefore = ruleset();
    bundle.setProbeArgs({"wait-signal"});
    bundle.save();
    const std::vector<std::pair<std::string, std::string>> corruptions = {
        {"garbage", "\x7f\x45LF not json"},
        {"empty", ""},
        {"truncated", "{\"name\": \"x\", \"pausePid\": 12"},
        {"wrong type", "[1, 2, 3]"},
        {"missing", "<remove>"},
    };
    int n = 0;
    for (const auto &[what, text] : corruptions) {
        BOOST_TEST_CONTEXT(what)
        {
            std::string name =
                "husktest-crashpod-" + std::to_string(::getpid()) + "-bad" + std::to_string(++n);
            CommandResult made =
                runHusk({"pod", "create", "--publish", "18080:80", name}, {.timeout = 60s});
            BOOST_REQUIRE_MESSAGE(made.ok(), made.describe());
            int pause = json::parse(made.out)["pausePid"].get<int>();
            std::string id = newId();
            BOOST_REQUIRE(create(id, {"--pod", name}).ok());
            BOOST_REQUIRE(start(id).ok());
            int member = initPid(*this, id);
            fs::path podJson = rootDir() / "pods" / name / "pod.json";
            if (text == "<remove>")
                fs::remove(podJson);
            else
                std::ofstream(podJson, std::ios::trunc) << text;

            CommandResult rm = runHusk({"pod", "rm", "--force", name}, {.timeout = 60s});
            // Not success (the record is lost), but everything the pod made is found and gone.
            BOOST_TEST(rm.failed(), rm.describe());
            BOOST_TEST(rm.err.find("pod.json of pod") != std::string::npos, rm.err);
            BOOST_TEST(rm.err.find("killed its pause process " + std::to_string(pause)) !=
                           std::string::npos,
                       rm.err);
            BOOST_TEST(rm.err.find("deleted its member " + id) != std::string::npos, rm.err);
            BOOST_TEST(rm.err.find("released its lease") != std::string::npos, rm.err);
            BOOST_TEST(!alive(pause), "the pause " << pause << " still runs");
            BOOST_TEST(!alive(member), "the member's init " << member << " still runs");
            BOOST_TEST(!fs::exists(rootDir() / "pods" / name));
            BOOST_TEST(leases(name) == 0);
            BOOST_TEST((links() == linksBefore), "a link was left");
            BOOST_TEST(ruleset() == rulesBefore);
            BOOST_TEST(residue(id).empty(), joined(residue(id)));
            CommandResult again = runHusk({"pod", "rm", "--force", name}, {.timeout = 60s});
            BOOST_TEST(again.ok(), again.describe()); // gone: a second rm --force succeeds
        }
    }
}

BOOST_FIXTURE_TEST_CASE(a_pause_that_holds_another_pods_directory_is_left_alone, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    // Two pods; pod A's record is lost: B's pause (also husk:pause, also younger than A's
    // directory) is not A's, and only A's directory tells them apart.
    std::string a = "husktest-crashpod-" + std::to_string(::getpid()) + "-a";
    std::string b = "husktest-crashpod-" + std::to_string(::getpid()) + "-b";
    CommandResult ma = runHusk({"pod", "create", "--network", "none", a}, {.timeout = 60s});
    CommandResult mb = runHusk({"pod", "create", "--network", "none", b}, {.timeout = 60s});
    BOOST_REQUIRE(ma.ok());
    BOOST_REQUIRE(mb.ok());
    int pauseA = json::parse(ma.out)["pausePid"].get<int>();
    int pauseB = json::parse(mb.out)["pausePid"].get<int>();
    std::ofstream(rootDir() / "pods" / a / "pod.json", std::ios::trunc) << "garbage";
    CommandResult rm = runHusk({"pod", "rm", "--force", a}, {.timeout = 60s});
    BOOST_TEST(rm.failed(), rm.describe());
    BOOST_TEST(!alive(pauseA));
    BOOST_TEST(alive(pauseB), "husk killed the pause of another pod");
    CommandResult rmB = runHusk({"pod", "rm", b}, {.timeout = 60s});
    BOOST_TEST(rmB.ok(), rmB.describe());
    BOOST_TEST(!alive(pauseB));
}

// ---- only what is ours ----

BOOST_FIXTURE_TEST_CASE(an_occupied_cgroup_is_refused_and_an_empty_one_is_not_removed, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    fs::path pids = v1Hierarchy("pids");
    if (pids.empty())
        pids = v1Hierarchy("memory");
    BOOST_REQUIRE(!pids.empty());
    std::string id = newId();
    fs::path mine = pids / id; // made by someone else (this test), not by husk
    fs::create_directory(mine);
    {
        Sleeper other;
        joinCgroup(mine, other.pid);
        bundle.config()["linux"]["cgroupsPath"] = "/" + id;
        bundle.save();
        CommandResult c = create(id);
        BOOST_TEST(c.failed(), c.describe());
        BOOST_TEST(c.err.find("already holds processes") != std::string::npos, c.err);
        BOOST_TEST(alive(other.pid), "husk killed a process in a cgroup it did not make");
        BOOST_TEST(fs::exists(mine));
        BOOST_TEST(!fs::exists(rootDir() / id));
    }
    reapOrphans();
    for (int i = 0; i < 50 && ::rmdir(mine.c_str()) < 0 && errno == EBUSY; ++i)
        ::usleep(20000);
    // An existing empty cgroup is joined, and left in place by delete: husk did not make it.
    fs::create_directory(mine);
    bundle.setProbeArgs({"wait-signal"});
    bundle.save();
    BOOST_REQUIRE(create(id).ok());
    BOOST_REQUIRE(start(id).ok());
    BOOST_TEST(remove(id, true).ok());
    BOOST_TEST(fs::exists(mine), "delete removed a cgroup directory husk did not create");
    for (const MountInfo &m : readMountInfo())
        if ((m.fstype == "cgroup" || m.fstype == "cgroup2") && fs::path(m.mountPoint) != pids)
            BOOST_TEST(!fs::exists(fs::path(m.mountPoint) / id), m.mountPoint);
    ::rmdir(mine.c_str());
}

// ---- mount stacks ----

BOOST_FIXTURE_TEST_CASE(a_mount_over_the_cgroup2_mountpoint_is_what_husk_sees, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    if (!fs::exists("/sys/fs/cgroup/unified/cgroup.controllers")) {
        BOOST_TEST_MESSAGE("skipped: no cgroup2 at /sys/fs/cgroup/unified (not a hybrid host)");
        return;
    }
    // In a mount namespace of its own, a tmpfs covers the hybrid host's cgroup2 mount; husk
    // used to read the covered entry and fail opening cgroup.controllers there.
    std::string id = newId();
    bundle.setProbeArgs({"echo", "husk-sees-the-top-mount"});
    bundle.save();
    pid_t child = ::fork();
    if (child == 0) {
        if (::unshare(CLONE_NEWNS) < 0 ||
            ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0 ||
            ::mount("husktest", "/sys/fs/cgroup/unified", "tmpfs", 0, nullptr) < 0)
            ::_exit(120);
        int out = ::open((bundle.path() / "stack.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ::dup2(out, 1);
        ::dup2(out, 2);
        ::execl(runtimePath().c_str(), "husk", "--root", rootDir().c_str(), "run", "--bundle",
                bundle.path().c_str(), id.c_str(), nullptr);
        ::_exit(121);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    std::ifstream in(bundle.path() / "stack.out");
    std::string out((std::istreambuf_iterator<char>(in)), {});
    BOOST_TEST(WIFEXITED(status));
    BOOST_TEST(WEXITSTATUS(status) == 0, out);
    BOOST_TEST(out.find("husk-sees-the-top-mount") != std::string::npos, out);
    BOOST_TEST(residue(id).empty(), joined(residue(id)));
}

// ---- a husk killed after each recorded side effect ----

BOOST_AUTO_TEST_SUITE(killed, *boost::unit_test::precondition(notRunc) *
                                  boost::unit_test::precondition(haveCrashing))

BOOST_FIXTURE_TEST_CASE(create_killed_at_each_step_is_stopped_and_deletes_to_nothing, Fixture)
{
    bundle.setProbeArgs({"wait-signal"});
    bundle.save();
    for (const char *step : {"create.dir", "state.config", "create.recorded", "create.cgroups",
                             "create.spawned", "create.joined", "create.ready", "create.saved"}) {
        BOOST_TEST_CONTEXT(step)
        {
            std::string id = newId();
            CommandResult c =
                runCrashing(step, {"create", "--bundle", bundle.path(), id}, io.options());
            BOOST_TEST(c.signaled, "never reached the step: " << c.describe());
            BOOST_TEST(c.exitCode == 128 + SIGKILL);
            // Its creator is dead and so is its init: stopped, and plain delete removes it.
            BOOST_TEST(status(id) == "stopped");
            CommandResult d = remove(id);
            BOOST_TEST(d.ok(), d.describe());
            BOOST_TEST(residue(id).empty(), joined(residue(id)));
            // The id is free again.
            BOOST_TEST(create(id).ok());
            BOOST_TEST(remove(id, true).ok());
            BOOST_TEST(residue(id).empty(), joined(residue(id)));
        }
    }
}

BOOST_FIXTURE_TEST_CASE(start_and_delete_killed_at_each_step_leave_the_truth, Fixture)
{
    bundle.setProbeArgs({"wait-signal"});
    bundle.save();
    for (const char *step : {"start.opened", "start.released"}) {
        BOOST_TEST_CONTEXT(step)
        {
            std::string id = newId();
            BOOST_REQUIRE(create(id).ok());
            CommandResult s = runCrashing(step, {"start", id});
            BOOST_TEST(s.signaled, s.describe());
            // Never "created" with nothing able to start it: running (the init got its byte)
            // or stopped (it did not, and exits).
            std::string st = status(id);
            BOOST_TEST((st == "running" || st == "stopped"), st);
            BOOST_TEST(remove(id, true).ok());
            BOOST_TEST(residue(id).empty(), joined(residue(id)));
        }
    }
    for (const char *step : {"delete.killed", "delete.cgroups"}) {
        BOOST_TEST_CONTEXT(step)
        {
            std::string id = newId();
            BOOST_REQUIRE(create(id).ok());
            BOOST_REQUIRE(start(id).ok());
            CommandResult d = runCrashing(step, {"delete", "--force", id});
            BOOST_TEST(d.signaled, d.describe());
            BOOST_TEST(status(id) == "stopped");
            BOOST_TEST(remove(id).ok());
            BOOST_TEST(residue(id).empty(), joined(residue(id)));
        }
    }
}

BOOST_FIXTURE_TEST_CASE(pod_create_and_rm_killed_at_each_step_leave_nothing, Fixture)
{
    warmPodNetwork();
    const std::set<std::string> linksBefore = links();
    const std::string rulesBefore = ruleset();

    int n = 0;
    for (const char *step : {"pod.recorded", "pod.pause", "pod.network", "pod.saved",
                             "pod-rm.members", "pod-rm.pause", "pod-rm.network"}) {
        BOOST_TEST_CONTEXT(step)
        {
            std::string name =
                "husktest-crashpod-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
            bool inRm = std::string(step).starts_with("pod-rm.");
            if (inRm) {
                BOOST_REQUIRE(runHusk({"pod", "create", name}, {.timeout = 60s}).ok());
                CommandResult r = runCrashing(step, {"pod", "rm", name}, {.timeout = 60s});
                BOOST_TEST(r.signaled, r.describe());
            } else {
                CommandResult r = runCrashing(step, {"pod", "create", name}, {.timeout = 60s});
                BOOST_TEST(r.signaled, r.describe());
            }
            CommandResult rm = runHusk({"pod", "rm", "--force", name}, {.timeout = 60s});
            BOOST_TEST(rm.ok(), rm.describe());
            BOOST_TEST(!fs::exists(rootDir() / "pods" / name));
            BOOST_TEST(leases(name) == 0);
            BOOST_TEST((links() == linksBefore), "a link was left");
            BOOST_TEST(ruleset() == rulesBefore);
            BOOST_TEST(residue(name).empty(), joined(residue(name)));
        }
    }
}

BOOST_FIXTURE_TEST_CASE(a_member_killed_before_its_pod_lists_it_goes_with_the_pod, Fixture)
{
    std::string name = "husktest-crashpod-" + std::to_string(::getpid()) + "-member";
    BOOST_REQUIRE(runHusk({"pod", "create", "--network", "none", name}, {.timeout = 60s}).ok());
    std::string id = newId();
    CommandResult r = runCrashing("pod-member.created",
                                  {"create", "--bundle", bundle.path().string(), "--pod", name, id},
                                  {.timeout = 60s});
    BOOST_TEST(r.signaled, r.describe());
    CommandResult inspect = runHusk({"pod", "inspect", name});
    BOOST_REQUIRE(inspect.ok());
    BOOST_TEST(json::parse(inspect.out)["members"].empty(), inspect.out); // not listed
    BOOST_REQUIRE(state(id));                                             // but it exists
    CommandResult rm = runHusk({"pod", "rm", "--force", name}, {.timeout = 60s});
    BOOST_TEST(rm.ok(), rm.describe());
    BOOST_TEST(!state(id), "the unlisted member survived its pod");
    BOOST_TEST(residue(id).empty(), joined(residue(id)));
    BOOST_TEST(residue(name).empty(), joined(residue(name)));
}

BOOST_AUTO_TEST_SUITE_END()
