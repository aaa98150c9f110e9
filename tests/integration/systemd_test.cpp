// Integration tests of --systemd-cgroup. This machine (like most CI) has no systemd, so
// systemd's manager is played by husk-fake-systemd on a private dbus-daemon that husk reaches
// through $DBUS_SYSTEM_BUS_ADDRESS, and the fake does to cgroupfs what systemd would.
//
// husk decides whether systemd runs as sd_booted(3) does, by /run/systemd/system. The test
// process moves into a mount namespace of its own (propagation slave, so nothing reaches the
// host) and mounts a tmpfs over /run/systemd there: with a system/ directory in it for the
// tests with the fake, empty for the test of a host without systemd. husk, started by the test,
// inherits that view; the host's /run/systemd is never written, and a host that really runs
// systemd is hidden the same way. (An environment variable that husk would honour would be a
// test-only path through production code; the mount needs none.)

#ifndef BOOST_TEST_DYN_LINK // meson's boost dependency may define it already
#define BOOST_TEST_DYN_LINK
#endif
#define BOOST_TEST_MODULE systemd
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tests/integration/harness.h"
#include "tests/integration/mountinfo.h"

using namespace husk::test;
using nlohmann::json;
namespace fs = std::filesystem;
namespace utf = boost::unit_test;

BOOST_TEST_GLOBAL_FIXTURE(RunFixture);

namespace {

/// The fake manager: $HUSK_FAKE_SYSTEMD, else next to this test binary.
std::string fakePath()
{
    if (const char *p = std::getenv("HUSK_FAKE_SYSTEMD"); p && *p)
        return p;
    std::error_code ec;
    return (fs::read_symlink("/proc/self/exe", ec).parent_path() / "husk-fake-systemd").string();
}

/// Whether the host's controllers are on cgroup2 alone (systemd then takes the v2 property
/// names); this machine is hybrid.
bool pureV2()
{
    std::ifstream in("/proc/self/mountinfo");
    for (std::string line; std::getline(in, line);)
        if (line.find(" - cgroup ") != std::string::npos)
            return false;
    return true;
}

/// The mount points of this host's cgroup hierarchies (v1 and cgroup2).
std::vector<fs::path> hierarchies()
{
    std::vector<fs::path> out;
    for (const MountInfo &m : readMountInfo())
        if (m.fstype == "cgroup" || m.fstype == "cgroup2")
            out.emplace_back(m.mountPoint);
    return out;
}

/// Every cgroup directory (to depth 4) in any hierarchy whose name contains needle.
std::vector<fs::path> cgroupDirsNamed(const std::string &needle)
{
    std::vector<fs::path> out;
    for (const fs::path &h : hierarchies()) {
        std::error_code ec;
        fs::recursive_directory_iterator it(h, ec), end;
        for (; !ec && it != end; it.increment(ec)) {
            if (it.depth() >= 4)
                it.disable_recursion_pending();
            if (it->is_directory(ec) && !it->is_symlink(ec) &&
                it->path().filename().string().find(needle) != std::string::npos)
                out.push_back(it->path());
        }
    }
    return out;
}

/// Enters a mount namespace of the test's own, once: /run/systemd can then be covered
/// without the host seeing it. Slave propagation: the host's mounts still arrive, ours do not
/// leave.
void enterPrivateMounts()
{
    static bool done = false;
    if (done)
        return;
    BOOST_REQUIRE_MESSAGE(::unshare(CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS): " << strerror(errno));
    BOOST_REQUIRE_MESSAGE(::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) == 0,
                          "make / a slave: " << strerror(errno));
    done = true;
}

/// Precondition: /run/systemd exists to mount over (the test does not create host
/// directories).
boost::test_tools::assertion_result haveRunSystemd(utf::test_unit_id)
{
    boost::test_tools::assertion_result r(fs::is_directory("/run/systemd"));
    r.message() << "/run/systemd does not exist on this host, and the test does not create it";
    return r;
}

/// A tmpfs over /run/systemd in the test's mount namespace, with system/ in it (systemd
/// "runs") or empty (it does not); unmounted on destruction.
class SystemdRunDir
{
public:
    explicit SystemdRunDir(bool running)
    {
        enterPrivateMounts();
        BOOST_REQUIRE_MESSAGE(
            ::mount("husktest", "/run/systemd", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") == 0,
            "mount a tmpfs over /run/systemd: " << strerror(errno));
        if (running)
            BOOST_REQUIRE(::mkdir("/run/systemd/system", 0755) == 0);
    }
    ~SystemdRunDir() { ::umount2("/run/systemd", MNT_DETACH); }
    SystemdRunDir(const SystemdRunDir &) = delete;
    SystemdRunDir &operator=(const SystemdRunDir &) = delete;
};

/// Starts argv with stdout on a pipe (and stderr appended to errFile when given); returns the
/// pid and the pipe's read end.
pid_t spawnWithPipe(const std::vector<std::string> &argv, int &readEnd,
                    const std::string &errFile = {})
{
    int fds[2];
    BOOST_REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    pid_t pid = ::fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(fds[1], 1);
        if (!errFile.empty()) {
            int err = ::open(errFile.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
            if (err >= 0)
                ::dup2(err, 2);
        }
        std::vector<char *> cargv;
        for (const std::string &a : argv)
            cargv.push_back(const_cast<char *>(a.c_str()));
        cargv.push_back(nullptr);
        ::execv(cargv[0], cargv.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    readEnd = fds[0];
    return pid;
}

/// The first line a child prints, within timeout; "" when it does not.
std::string readLine(int fd, std::chrono::milliseconds timeout)
{
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (line.find('\n') == std::string::npos) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{fd, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
            return "";
        char buf[256];
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0)
            return "";
        line.append(buf, static_cast<size_t>(n));
    }
    return line.substr(0, line.find('\n'));
}

/// Stops a child we started: SIGTERM, then SIGKILL after a grace period; reaped (the harness
/// may have reaped it already as an orphan-reaper).
void stopChild(pid_t pid)
{
    if (pid <= 0)
        return;
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 500; ++i) {
        pid_t r = ::waitpid(pid, nullptr, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD))
            return;
        ::usleep(10000);
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
}

/// A private dbus-daemon with husk-fake-systemd owning org.freedesktop.systemd1 on it, and
/// DBUS_SYSTEM_BUS_ADDRESS pointing there while it lives.
class FakeSystemd
{
public:
    explicit FakeSystemd(const std::vector<std::string> &fakeArgs = {})
    {
        char tmpl[64];
        std::snprintf(tmpl, sizeof tmpl, "/tmp/husk-systemd-%d-XXXXXX", ::getpid());
        BOOST_REQUIRE(::mkdtemp(tmpl) != nullptr);
        dir_ = tmpl;
        std::ofstream(dir_ / "bus.conf")
            << "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration "
               "1.0//EN\"\n \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
               "<busconfig>\n"
               "  <listen>unix:path="
            << (dir_ / "bus").string()
            << "</listen>\n"
               "  <auth>EXTERNAL</auth>\n"
               "  <policy context=\"default\">\n"
               "    <allow user=\"*\"/>\n"
               "    <allow own=\"*\"/>\n"
               "    <allow send_destination=\"*\"/>\n"
               "    <allow receive_sender=\"*\"/>\n"
               "  </policy>\n"
               "</busconfig>\n";
        int out = -1;
        daemon_ =
            spawnWithPipe({"/usr/bin/dbus-daemon", "--config-file=" + (dir_ / "bus.conf").string(),
                           "--nofork", "--nopidfile", "--print-address=1"},
                          out, (dir_ / "dbus-daemon.log").string());
        address_ = readLine(out, 10s);
        ::close(out);
        BOOST_REQUIRE_MESSAGE(!address_.empty(), "dbus-daemon did not start");
        std::vector<std::string> argv = {fakePath(), "--address", address_, "--log",
                                         log().string()};
        argv.insert(argv.end(), fakeArgs.begin(), fakeArgs.end());
        fake_ = spawnWithPipe(argv, out);
        std::string ready = readLine(out, 10s);
        ::close(out);
        BOOST_REQUIRE_MESSAGE(ready == "ready",
                              "husk-fake-systemd did not start (" << fakePath() << ")");
        ::setenv("DBUS_SYSTEM_BUS_ADDRESS", address_.c_str(), 1);
    }
    ~FakeSystemd()
    {
        ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
        stopChild(fake_); // removes what is left of its units
        stopChild(daemon_);
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    FakeSystemd(const FakeSystemd &) = delete;
    FakeSystemd &operator=(const FakeSystemd &) = delete;

    /// The calls the fake received so far, one JSON object each.
    std::vector<json> calls() const
    {
        std::ifstream in(log());
        std::string text((std::istreambuf_iterator<char>(in)), {});
        return parseJsonLines(text);
    }
    /// The calls of one method.
    std::vector<json> calls(const std::string &method) const
    {
        std::vector<json> out;
        for (json &c : calls())
            if (c["method"] == method)
                out.push_back(std::move(c));
        return out;
    }
    /// The pids of the bus and the fake (children of ours that are not leftovers).
    std::vector<pid_t> pids() const { return {daemon_, fake_}; }
    /// Stops the bus (the fake then exits by itself, removing its units' cgroups), as when
    /// the system bus goes away under husk.
    void stopBus()
    {
        stopChild(daemon_);
        stopChild(fake_);
        daemon_ = fake_ = -1;
    }

private:
    fs::path log() const { return dir_ / "calls.jsonl"; }

    fs::path dir_;
    std::string address_;
    pid_t daemon_ = -1;
    pid_t fake_ = -1;
};

/// A test with systemd "running" (the fake) and the usual bundle. Its containers are deleted
/// while the fake still runs: the base Fixture's delete comes after the fake is gone.
struct SystemdFixture : Fixture {
    explicit SystemdFixture(const std::vector<std::string> &fakeArgs = {}) : fake(fakeArgs)
    {
        // The container's own view of /proc/self/cgroup shows host paths without a cgroup
        // namespace.
        bundle.removeNamespace("cgroup");
    }
    ~SystemdFixture()
    {
        for (const std::string &id : mine)
            runHusk({"delete", "--force", id}, {.timeout = 30s});
    }

    /// `husk --systemd-cgroup create` of the bundle, with the container's stdio in io.
    CommandResult createViaSystemd(const std::string &id)
    {
        mine.push_back(id);
        track(id);
        return runHusk({"--systemd-cgroup", "create", "--bundle", bundle.path().string(), id},
                       io.options());
    }

    SystemdRunDir runDir{true};
    FakeSystemd fake;
    std::vector<std::string> mine;
};

/// As SystemdFixture, with the fake failing the start job of units named husktest-fail-...
struct FailingJobFixture : SystemdFixture {
    FailingJobFixture() : SystemdFixture({"--job-result", "husktest-fail-=failed"}) {}
};

/// The cgroup paths of a process, hierarchy key -> path.
std::map<std::string, std::string> procCgroups(const std::string &text)
{
    std::map<std::string, std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        size_t a = line.find(':');
        size_t b = line.find(':', a + 1);
        if (a != std::string::npos && b != std::string::npos)
            out[line.substr(a + 1, b - a - 1)] = line.substr(b + 1);
    }
    return out;
}

/// Asserts that nothing of container id is left: no state, no cgroup directory, no process
/// but the bus and the fake (ignore).
void requireNothingLeft(const std::string &id, const std::vector<pid_t> &ignore = {})
{
    BOOST_TEST(!fs::exists(rootDir() / id), "state of " << id << " is left");
    for (const fs::path &d : cgroupDirsNamed(id))
        BOOST_TEST(false, "cgroup left: " << d);
    reapOrphans();
    for (pid_t pid : childPids())
        if (std::find(ignore.begin(), ignore.end(), pid) == ignore.end())
            BOOST_TEST(false, "process left: " << pid);
}

} // namespace

BOOST_AUTO_TEST_SUITE(without_systemd, *utf::precondition(haveRunSystemd))

BOOST_FIXTURE_TEST_CASE(create_fails_clearly_and_leaves_nothing, Fixture)
{
    SystemdRunDir runDir(false);
    std::string id = newId();
    bundle.config()["linux"]["cgroupsPath"] = "system.slice:husktest:" + id;
    bundle.save();
    CommandResult r = runHusk(
        {"--systemd-cgroup", "create", "--bundle", bundle.path().string(), id}, {.timeout = 30s});
    BOOST_TEST(r.failed(), r.describe());
    BOOST_TEST(r.err.find("--systemd-cgroup: systemd is not running on this host (omit the flag "
                          "to use cgroupfs)") != std::string::npos,
               r.err);
    requireNothingLeft(id);
}

BOOST_FIXTURE_TEST_CASE(unreachable_bus_fails_clearly_and_leaves_nothing, Fixture)
{
    // systemd "runs" but its bus is not there: the init has been cloned by the time husk
    // calls StartTransientUnit, so this is the undo path.
    SystemdRunDir runDir(true);
    std::string id = newId();
    bundle.config()["linux"]["cgroupsPath"] = "system.slice:husktest:" + id;
    bundle.save();
    std::string address = "unix:path=/tmp/husk-systemd-" + std::to_string(::getpid()) + "-none";
    ::setenv("DBUS_SYSTEM_BUS_ADDRESS", address.c_str(), 1);
    CommandResult r = runHusk(
        {"--systemd-cgroup", "create", "--bundle", bundle.path().string(), id}, {.timeout = 30s});
    ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
    BOOST_TEST(r.failed(), r.describe());
    BOOST_TEST(r.err.find("systemd: connect to the system bus (" + address + ")") !=
                   std::string::npos,
               r.err);
    requireNothingLeft(id);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(with_fake_systemd, *utf::precondition(haveRunSystemd))

BOOST_FIXTURE_TEST_CASE(without_the_flag_systemd_is_never_asked, SystemdFixture)
{
    // systemd running and reachable, but no --systemd-cgroup: cgroupfs, as before, and not one
    // call to the manager (nor a unit in the state) on create, start or delete.
    bundle.config()["process"]["args"] = {"true"};
    bundle.save();
    const std::string id = newContainerId();
    CommandResult c = create(id);
    BOOST_REQUIRE_MESSAGE(c.ok(), c.describe());
    std::string stateJson = readTrimmed(rootDir() / id / "state.json");
    BOOST_TEST(stateJson.find("systemdUnit") == std::string::npos, stateJson);
    BOOST_REQUIRE(start(id).ok());
    BOOST_REQUIRE(waitForStatus(id, "stopped"));
    BOOST_REQUIRE(runHusk({"delete", id}).ok());
    BOOST_TEST(fake.calls().empty(), fake.calls().size() << " calls");
}

BOOST_FIXTURE_TEST_CASE(scope_lifecycle, SystemdFixture)
{
    const std::string id = newContainerId();
    const std::string unit = "husktest-" + id + ".scope";
    const std::string cgroup = "/system.slice/" + unit;
    bundle.config()["linux"]["cgroupsPath"] = "system.slice:husktest:" + id;
    bundle.config()["linux"]["resources"]["memory"] = {{"limit", 64 << 20}};
    bundle.config()["linux"]["resources"]["pids"] = {{"limit", 42}};
    bundle.config()["process"]["args"] = {"sh", "-c", "cat /proc/self/cgroup; echo END; sleep 300"};
    bundle.save();

    CommandResult c = createViaSystemd(id);
    BOOST_REQUIRE_MESSAGE(c.ok(), c.describe() << io.err());
    std::optional<json> st = state(id);
    BOOST_REQUIRE(st.has_value());
    const int pid = st->at("pid").get<int>();

    // What systemd was asked for.
    std::vector<json> starts = fake.calls("StartTransientUnit");
    BOOST_REQUIRE_EQUAL(starts.size(), 1U);
    const json &call = starts[0];
    BOOST_TEST_MESSAGE("StartTransientUnit: " << call.dump());
    BOOST_TEST(call["unit"] == unit);
    BOOST_TEST(call["mode"] == "replace");
    BOOST_TEST(call["aux"] == json::array());
    const json &p = call["properties"];
    const json &sig = call["signatures"];
    BOOST_TEST(p["Slice"] == "system.slice", p.dump());
    BOOST_TEST(p["PIDs"] == json::array({pid}), p.dump());
    BOOST_TEST(sig["PIDs"] == "au");
    BOOST_TEST(p["Delegate"] == true);
    BOOST_TEST(sig["Delegate"] == "b");
    BOOST_TEST(p["DefaultDependencies"] == false);
    BOOST_TEST(p["Description"].get<std::string>().find(id) != std::string::npos);
    BOOST_TEST(p["TasksMax"] == 42);
    BOOST_TEST(sig["TasksMax"] == "t");
    const std::string memoryProperty = pureV2() ? "MemoryMax" : "MemoryLimit";
    BOOST_TEST(p[memoryProperty] == 64 << 20, p.dump());
    BOOST_TEST(p["MemoryAccounting"] == true);
    // The bundle denies every device but the defaults husk adds: systemd is told them too.
    BOOST_TEST(p["DevicePolicy"] == "strict");
    const json &allow = p["DeviceAllow"];
    BOOST_TEST(std::count(allow.begin(), allow.end(), json::array({"/dev/char/1:3", "rwm"})) == 1,
               allow.dump());
    // The pty slaves (major 136) by their /proc/devices name, not as every char device.
    if (readTrimmed("/proc/devices").find("\n136 pts") != std::string::npos)
        BOOST_TEST(std::count(allow.begin(), allow.end(), json::array({"char-pts", "rwm"})) == 1,
                   allow.dump());
    BOOST_TEST(std::count(allow.begin(), allow.end(), json::array({"char-*", "rwm"})) == 0,
               allow.dump());
    BOOST_TEST(!p.contains("Wants"));

    // Placed where systemd put it, in every hierarchy (the ones the fake left out too).
    std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
    std::string hostView((std::istreambuf_iterator<char>(in)), {});
    BOOST_TEST(!procCgroups(hostView).empty(), hostView);
    for (const auto &[key, path] : procCgroups(hostView))
        BOOST_TEST(path == cgroup, key << ": " << hostView);

    BOOST_REQUIRE(start(id).ok());
    BOOST_REQUIRE_MESSAGE(io.waitForOut("END"), io.out() << io.err());
    std::string inside = io.out().substr(0, io.out().find("END"));
    BOOST_TEST(!procCgroups(inside).empty(), inside);
    for (const auto &[key, path] : procCgroups(inside))
        BOOST_TEST(path == cgroup, key << ": " << inside);

    // The limits are in effect in the unit's cgroup.
    if (fs::path memory = v1Hierarchy("memory"); !memory.empty())
        BOOST_TEST(readTrimmed(memory / cgroup.substr(1) / "memory.limit_in_bytes") ==
                   std::to_string(64 << 20));
    if (fs::path pids = v1Hierarchy("pids"); !pids.empty())
        BOOST_TEST(readTrimmed(pids / cgroup.substr(1) / "pids.max") == "42");

    // update: the unit's properties (until reboot) and the files.
    CommandResult u = runHusk({"update", "--memory", "96m", "--pids-limit", "50", id});
    BOOST_REQUIRE_MESSAGE(u.ok(), u.describe());
    std::vector<json> sets = fake.calls("SetUnitProperties");
    BOOST_REQUIRE_EQUAL(sets.size(), 1U);
    BOOST_TEST(sets[0]["unit"] == unit);
    BOOST_TEST(sets[0]["runtime"] == true);
    BOOST_TEST(sets[0]["properties"][memoryProperty] == 96 << 20, sets[0].dump());
    BOOST_TEST(sets[0]["properties"]["TasksMax"] == 50, sets[0].dump());
    if (fs::path memory = v1Hierarchy("memory"); !memory.empty())
        BOOST_TEST(readTrimmed(memory / cgroup.substr(1) / "memory.limit_in_bytes") ==
                   std::to_string(96 << 20));
    if (fs::path pids = v1Hierarchy("pids"); !pids.empty())
        BOOST_TEST(readTrimmed(pids / cgroup.substr(1) / "pids.max") == "50");

    // pause and resume use the freezer husk joined itself (systemd has none on v1).
    CommandResult pause = runHusk({"pause", id});
    BOOST_TEST(pause.ok(), pause.describe());
    BOOST_TEST(status(id) == "paused");
    CommandResult resume = runHusk({"resume", id});
    BOOST_TEST(resume.ok(), resume.describe());

    // delete (without the flag: state says who owns the cgroup) stops the unit.
    BOOST_REQUIRE(kill(id, "KILL").ok());
    BOOST_REQUIRE(waitForStatus(id, "stopped"));
    CommandResult d = remove(id);
    BOOST_REQUIRE_MESSAGE(d.ok(), d.describe());
    std::vector<json> stops = fake.calls("StopUnit");
    BOOST_REQUIRE_EQUAL(stops.size(), 1U);
    BOOST_TEST(stops[0]["unit"] == unit);
    BOOST_TEST(stops[0]["mode"] == "replace");
    BOOST_TEST(stops[0]["known"] == true);
    requireNothingLeft(id, fake.pids());
}

BOOST_FIXTURE_TEST_CASE(slice_unit_holds_the_init_by_husk, SystemdFixture)
{
    const std::string id = newContainerId();
    const std::string unit = id + ".slice"; // husktest-PID-N.slice
    bundle.config()["linux"]["cgroupsPath"] = "system.slice:husktest:" + unit;
    bundle.config()["linux"]["resources"]["pids"] = {{"limit", 30}};
    bundle.config()["process"]["args"] = {"sleep", "300"};
    bundle.save();

    CommandResult c = createViaSystemd(id);
    BOOST_REQUIRE_MESSAGE(c.ok(), c.describe() << io.err());
    const int pid = state(id)->at("pid").get<int>();
    std::vector<json> starts = fake.calls("StartTransientUnit");
    BOOST_REQUIRE_EQUAL(starts.size(), 1U);
    const json &p = starts[0]["properties"];
    BOOST_TEST(starts[0]["unit"] == unit);
    BOOST_TEST(p["Wants"] == json::array({"system.slice"}), p.dump());
    BOOST_TEST(starts[0]["signatures"]["Wants"] == "as");
    BOOST_TEST(!p.contains("PIDs"), p.dump());
    BOOST_TEST(!p.contains("Slice"), p.dump());
    BOOST_TEST(!p.contains("Delegate"), p.dump());
    BOOST_TEST(p["TasksMax"] == 30);

    // Slices nest by name: husktest.slice/husktest-PID.slice/husktest-PID-N.slice.
    std::string nested = id.substr(0, id.rfind('-'));
    std::string cgroup = "/husktest.slice/" + nested + ".slice/" + unit;
    std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
    std::string hostView((std::istreambuf_iterator<char>(in)), {});
    BOOST_TEST(!procCgroups(hostView).empty(), hostView);
    for (const auto &[key, path] : procCgroups(hostView))
        BOOST_TEST(path == cgroup, key << ": " << hostView);

    CommandResult d = remove(id, true);
    BOOST_REQUIRE_MESSAGE(d.ok(), d.describe());
    BOOST_TEST(fake.calls("StopUnit").size() == 1U);
    requireNothingLeft(id, fake.pids());
    BOOST_TEST(cgroupDirsNamed("husktest.slice").empty());
}

BOOST_FIXTURE_TEST_CASE(delete_without_the_bus_still_removes_the_container, SystemdFixture)
{
    const std::string id = newContainerId();
    bundle.config()["linux"]["cgroupsPath"] = "system.slice:husktest:" + id;
    bundle.config()["process"]["args"] = {"sleep", "300"};
    bundle.save();
    CommandResult c = createViaSystemd(id);
    BOOST_REQUIRE_MESSAGE(c.ok(), c.describe() << io.err());
    fake.stopBus();
    // Nobody to ask: the unit is left to systemd (a scope stops once empty), the rest goes.
    CommandResult d = runHusk({"delete", "--force", id});
    BOOST_TEST(d.ok(), d.describe());
    BOOST_TEST(d.err.find("is not stopped explicitly") != std::string::npos, d.err);
    requireNothingLeft(id);
}

BOOST_FIXTURE_TEST_CASE(failed_job_is_reported_and_leaves_nothing, FailingJobFixture)
{
    const std::string id = newContainerId();
    const std::string unit = "husktest-fail-" + id + ".scope";
    bundle.config()["linux"]["cgroupsPath"] = "system.slice:husktest-fail:" + id;
    bundle.save();
    mine.push_back(id);
    track(id);
    CommandResult c = runHusk(
        {"--systemd-cgroup", "create", "--bundle", bundle.path().string(), id}, {.timeout = 60s});
    BOOST_TEST(c.failed(), c.describe());
    BOOST_TEST(c.err.find("systemd: starting " + unit + ": the job ended with result \"failed\"") !=
                   std::string::npos,
               c.err);
    BOOST_TEST(fake.calls("StartTransientUnit").size() == 1U);
    // The undo asks systemd to stop what may have been started; systemd knows no such unit.
    std::vector<json> stops = fake.calls("StopUnit");
    BOOST_REQUIRE_EQUAL(stops.size(), 1U);
    BOOST_TEST(stops[0]["known"] == false);
    requireNothingLeft(id, fake.pids());
}

BOOST_AUTO_TEST_SUITE_END()
