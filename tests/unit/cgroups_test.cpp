// libcontainer/cgroups/layout.h and the pure parts of cgroups/manager.h; then CgroupManager
// on real scratch cgroups of this host (root, else skipped): resources written and read back,
// stats of a child, freeze/thaw, OOM kills, and the cgroup2 device filter.

#define BOOST_TEST_MODULE cgroups
#include "tests/unit/libcontainer_test_helpers.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/file.h"
#include "libcontainer/cgroups/attach_warmup.h"
#include "libcontainer/cgroups/layout.h"
#include "libcontainer/cgroups/manager.h"

using namespace husk;
using namespace husk::cgroups;
using namespace lc_test;

namespace {

// A systemd host on pure cgroup v1 (Ubuntu 18.04 / CentOS 7 style), with a second bind of the
// memory hierarchy elsewhere and unrelated mounts around.
const char *kV1 =
    "22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
    "25 18 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
    "26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup "
    "cgroup rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd\n"
    "29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup "
    "cgroup rw,cpu,cpuacct\n"
    "30 25 0:27 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup "
    "cgroup rw,memory\n"
    "31 25 0:28 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:15 - "
    "cgroup cgroup rw,net_cls,net_prio\n"
    "32 25 0:29 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:16 - cgroup "
    "cgroup rw,cpuset,clone_children\n"
    "33 25 0:30 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:17 - cgroup "
    "cgroup rw,devices\n"
    "90 22 0:27 /docker /var/lib/other/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 22 0:40 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n";

// This development machine's own /proc/self/mountinfo cgroup lines: hybrid, with cgroup2 at
// /sys/fs/cgroup/unified.
const char *kHybrid = "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
                      "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
                      "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
                      "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
                      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
                      "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
                      "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
                      "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
                      "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
                      "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup "
                      "rw,name=systemd\n"
                      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

// A v2-only host (Debian 12, Fedora), plus a second cgroup2 mount a container runtime made.
const char *kV2 = "22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro\n"
                  "24 18 0:21 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 "
                  "cgroup2 rw,nsdelegate,memory_recursiveprot\n"
                  "99 22 0:21 /system.slice /run/other/cgroup rw,relatime - cgroup2 cgroup2 rw\n";

std::vector<std::string> keys(const Layout &l)
{
    std::vector<std::string> out;
    for (const Hierarchy &h : l.hierarchies)
        out.push_back(h.key);
    return out;
}

spec::DeviceRule deviceRule(bool allow, std::string type, std::optional<int64_t> major,
                            std::optional<int64_t> minor, std::string access)
{
    spec::DeviceRule r;
    r.allow = allow;
    r.type = std::move(type);
    r.major = major;
    r.minor = minor;
    r.access = std::move(access);
    return r;
}

// The default allow rules v1DeviceWrites appends, in order.
const std::vector<std::string> kDefaultAllows = {
    "c *:* m",   "b *:* m",   "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm",   "c 1:8 rwm",
    "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
};

} // namespace

BOOST_AUTO_TEST_SUITE(layout)

BOOST_AUTO_TEST_CASE(pure_v1)
{
    Layout l = require(parseLayout(kV1));
    BOOST_TEST(modeName(l.mode) == std::string("v1"));
    std::vector<std::string> expected = {"name=systemd",     "cpu,cpuacct", "memory",
                                         "net_cls,net_prio", "cpuset",      "devices"};
    BOOST_TEST(keys(l) == expected, boost::test_tools::per_element());

    const Hierarchy *cpuacct = l.find("cpuacct");
    BOOST_REQUIRE(cpuacct != nullptr);
    BOOST_TEST(cpuacct->key == "cpu,cpuacct");
    BOOST_TEST(cpuacct->mountPoint == "/sys/fs/cgroup/cpu,cpuacct");
    std::vector<std::string> cpuControllers = {"cpu", "cpuacct"};
    BOOST_TEST(cpuacct->controllers == cpuControllers, boost::test_tools::per_element());
    BOOST_TEST(l.find("cpu") == cpuacct);

    const Hierarchy *systemd = l.find("name=systemd");
    BOOST_REQUIRE(systemd != nullptr);
    BOOST_TEST(systemd->mountPoint == "/sys/fs/cgroup/systemd");
    BOOST_TEST(systemd->controllers.size() == 1U); // xattr and release_agent are not controllers

    const Hierarchy *cpuset = l.find("cpuset");
    BOOST_REQUIRE(cpuset != nullptr);
    BOOST_TEST(cpuset->key == "cpuset"); // clone_children filtered out

    // The first mount of a hierarchy wins over a later bind of it.
    BOOST_TEST(l.find("memory")->mountPoint == "/sys/fs/cgroup/memory");
    BOOST_TEST(l.find("net_prio")->mountPoint == "/sys/fs/cgroup/net_cls,net_prio");
    BOOST_TEST(l.find("unified") == nullptr);
    BOOST_TEST(l.find("pids") == nullptr);
}

BOOST_AUTO_TEST_CASE(hybrid_from_this_machine)
{
    Layout l = require(parseLayout(kHybrid));
    BOOST_TEST(modeName(l.mode) == std::string("hybrid"));
    std::vector<std::string> expected = {"cpu",     "cpuacct", "cpuset", "memory",       "devices",
                                         "freezer", "blkio",   "pids",   "name=systemd", "unified"};
    BOOST_TEST(keys(l) == expected, boost::test_tools::per_element());
    const Hierarchy *unified = l.find("unified");
    BOOST_REQUIRE(unified != nullptr);
    BOOST_TEST(unified->mountPoint == "/sys/fs/cgroup/unified");
    BOOST_TEST(unified->key == "unified");
    BOOST_TEST(l.find("memory")->mountPoint == "/sys/fs/cgroup/memory");
    BOOST_TEST(l.find("cpuacct")->mountPoint == "/sys/fs/cgroup/cpuacct");
}

BOOST_AUTO_TEST_CASE(only_the_topmost_mount_counts)
{
    // A tmpfs mounted over /sys/fs/cgroup/unified (as test harnesses and some hosts do) hides
    // the cgroup2 under it: opening that path reaches the tmpfs, so there is no unified
    // hierarchy, and the host is plain v1.
    std::string covered =
        std::string(kHybrid) + "90 41 0:60 / /sys/fs/cgroup/unified rw - tmpfs tmpfs rw\n";
    Layout l = require(parseLayout(covered));
    BOOST_TEST(l.find("unified") == nullptr);
    BOOST_TEST((l.mode == Mode::V1));
    BOOST_TEST(l.hierarchies.size() == 9U);
    // A mount over a directory above hides everything below it too.
    std::string above = std::string(kHybrid) + "91 31 0:61 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n";
    BOOST_TEST(errorText(parseLayout(above)) == "no cgroup filesystem is mounted");
    // ... and a cgroup2 mounted again on top is the one used.
    std::string remounted =
        covered + "92 90 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
    Layout r = require(parseLayout(remounted));
    BOOST_REQUIRE(r.find("unified") != nullptr);
    BOOST_TEST((r.mode == Mode::Hybrid));
    // A sibling whose name only starts with another's is not under it.
    std::string sibling =
        std::string(kHybrid) + "93 31 0:62 / /sys/fs/cgroup/cpu2 rw - tmpfs x rw\n";
    BOOST_TEST(require(parseLayout(sibling)).find("cpu") != nullptr);
}

BOOST_AUTO_TEST_CASE(unified_v2)
{
    Layout l = require(parseLayout(kV2));
    BOOST_TEST(modeName(l.mode) == std::string("v2"));
    BOOST_REQUIRE(l.hierarchies.size() == 1U);
    BOOST_TEST(l.hierarchies[0].key == "unified");
    BOOST_TEST(l.hierarchies[0].mountPoint == "/sys/fs/cgroup"); // the first cgroup2 mount
    BOOST_TEST(l.find("unified") == &l.hierarchies[0]);
    BOOST_TEST(l.find("memory") == nullptr);
}

BOOST_AUTO_TEST_CASE(no_cgroup_mounts)
{
    BOOST_TEST(errorText(parseLayout("")) == "no cgroup filesystem is mounted");
    BOOST_TEST(errorText(parseLayout("22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
                                     "40 22 0:40 / /proc rw - proc proc rw\n")) ==
               "no cgroup filesystem is mounted");
    // A v1 mount with no controller (only options) is not a hierarchy.
    BOOST_TEST(
        errorText(parseLayout("26 25 0:23 / /sys/fs/cgroup/x rw - cgroup cgroup rw,xattr\n")) ==
        "no cgroup filesystem is mounted");
}

BOOST_AUTO_TEST_CASE(malformed_lines_skipped)
{
    std::string text = std::string("garbage without separator\n"
                                   "1 2 - cgroup cgroup rw,memory\n" // too few fields left
                                   "3 4 0:1 / /x rw - cgroup\n"      // too few fields right
                                   "\n") +
                       kV2;
    Layout l = require(parseLayout(text));
    BOOST_TEST(modeName(l.mode) == std::string("v2"));
    BOOST_TEST(l.hierarchies.size() == 1U);
}

BOOST_AUTO_TEST_CASE(mode_names)
{
    BOOST_TEST(modeName(Mode::V1) == std::string("v1"));
    BOOST_TEST(modeName(Mode::Hybrid) == std::string("hybrid"));
    BOOST_TEST(modeName(Mode::V2) == std::string("v2"));
}

BOOST_AUTO_TEST_CASE(this_host_parses)
{
    std::string text = require(readFile("/proc/self/mountinfo"));
    Layout parsed = require(parseLayout(text));
    Layout detected = require(detectLayout());
    BOOST_TEST(keys(parsed) == keys(detected), boost::test_tools::per_element());
    BOOST_TEST((parsed.mode == detected.mode));
}

BOOST_AUTO_TEST_CASE(proc_cgroup)
{
    auto m = parseProcCgroup("9:name=systemd:/\n"
                             "8:pids:/\n"
                             "4:memory:/process_api/89a0a802b60952d70690beb2f915b7a8\n"
                             "3:cpu,cpuacct:/user.slice/session-2.scope\n"
                             "0::/a:b\n"
                             "not a cgroup line\n");
    BOOST_TEST(m.size() == 5U);
    BOOST_TEST(m["name=systemd"] == "/");
    BOOST_TEST(m["pids"] == "/");
    BOOST_TEST(m["memory"] == "/process_api/89a0a802b60952d70690beb2f915b7a8");
    BOOST_TEST(m["cpu,cpuacct"] == "/user.slice/session-2.scope");
    BOOST_TEST(m[""] == "/a:b"); // the v2 line; a colon in the path is kept
    BOOST_TEST(parseProcCgroup("").empty());
    auto v2 = parseProcCgroup("0::/user.slice/user-1000.slice\n");
    BOOST_TEST(v2.size() == 1U);
    BOOST_TEST(v2[""] == "/user.slice/user-1000.slice");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(manager)

BOOST_AUTO_TEST_CASE(device_writes_defaults_only)
{
    std::vector<CgroupWrite> w = v1DeviceWrites({});
    BOOST_REQUIRE(w.size() == kDefaultAllows.size());
    for (size_t i = 0; i < w.size(); ++i) {
        BOOST_TEST(w[i].file == "devices.allow");
        BOOST_TEST(w[i].value == kDefaultAllows[i]);
    }
}

BOOST_AUTO_TEST_CASE(device_writes_spec_rules_first)
{
    std::vector<spec::DeviceRule> rules = {
        deviceRule(false, "", std::nullopt, std::nullopt, "rwm"), // docker's deny-all
        deviceRule(true, "a", std::nullopt, std::nullopt, ""),
        deviceRule(true, "c", 10, 200, "rwm"),
        deviceRule(false, "b", 8, std::nullopt, ""),
        deviceRule(true, "c", std::nullopt, 1, "r"),
        deviceRule(true, "c", -1, -1, "w"),
    };
    std::vector<CgroupWrite> w = v1DeviceWrites(rules);
    BOOST_REQUIRE(w.size() == rules.size() + kDefaultAllows.size());
    const std::pair<const char *, const char *> expected[] = {
        {"devices.deny", "a"},
        {"devices.allow", "a"},
        {"devices.allow", "c 10:200 rwm"},
        {"devices.deny", "b 8:* rwm"},
        {"devices.allow", "c *:1 r"},
        {"devices.allow", "c *:* w"},
    };
    for (size_t i = 0; i < std::size(expected); ++i) {
        BOOST_TEST(w[i].file == expected[i].first, "rule " << i);
        BOOST_TEST(w[i].value == expected[i].second, "rule " << i);
    }
    for (size_t i = 0; i < kDefaultAllows.size(); ++i) {
        BOOST_TEST(w[rules.size() + i].file == "devices.allow");
        BOOST_TEST(w[rules.size() + i].value == kDefaultAllows[i]);
    }
}

BOOST_AUTO_TEST_CASE(cgroup_path_absolute_relative_default)
{
    BOOST_TEST(require(containerCgroupPath("/custom/c1", "/user.slice", "c1")) == "/custom/c1");
    BOOST_TEST(require(containerCgroupPath("rel/sub", "/user.slice/session-1.scope", "c1")) ==
               "/user.slice/session-1.scope/rel/sub");
    BOOST_TEST(require(containerCgroupPath("rel", "/", "c1")) == "/rel");
    BOOST_TEST(require(containerCgroupPath("", "/user.slice", "c1")) == "/husk/c1");
    BOOST_TEST(require(containerCgroupPath("", "/", "my-ctr")) == "/husk/my-ctr");
}

BOOST_AUTO_TEST_CASE(cgroup_path_trailing_slash_trimmed)
{
    BOOST_TEST(require(containerCgroupPath("/a/b/", "/", "c1")) == "/a/b");
    BOOST_TEST(require(containerCgroupPath("/a/b///", "/", "c1")) == "/a/b");
    BOOST_TEST(require(containerCgroupPath("rel/", "/own", "c1")) == "/own/rel");
}

BOOST_AUTO_TEST_CASE(cgroup_path_dot_dot_rejected)
{
    BOOST_TEST(errorText(containerCgroupPath("/a/../b", "/", "c1")) ==
               "linux.cgroupsPath: \"..\" is not allowed in \"/a/../b\"");
    BOOST_TEST(errorText(containerCgroupPath("/a/..", "/", "c1")) ==
               "linux.cgroupsPath: \"..\" is not allowed in \"/a/..\"");
    BOOST_TEST(errorText(containerCgroupPath("../escape", "/user.slice", "c1")) ==
               "linux.cgroupsPath: \"..\" is not allowed in \"../escape\"");
    BOOST_TEST(errorText(containerCgroupPath("..", "/", "c1")) ==
               "linux.cgroupsPath: \"..\" is not allowed in \"..\"");
    BOOST_TEST(errorText(containerCgroupPath("/", "/", "c1")) ==
               "linux.cgroupsPath: \"/\" names no cgroup of the container's own");
    // ".." inside a name is just a name.
    BOOST_TEST(require(containerCgroupPath("/a..b", "/", "c1")) == "/a..b");
}

BOOST_AUTO_TEST_CASE(cgroup_path_never_the_hierarchy_root)
{
    // "//" and "/." name the hierarchy root as much as "/" does: a container placed there
    // shares the root cgroup with the host, and delete would SIGKILL every process in it.
    for (const char *path : {"//", "/.", ".", "/./"}) {
        auto r = containerCgroupPath(path, "/", "c1");
        BOOST_TEST(!r.has_value(), "\"" << path << "\" gave \"" << (r ? *r : "") << "\"");
    }
}

BOOST_AUTO_TEST_CASE(manager_for_new_absolute_path)
{
    Layout l = require(parseLayout(kHybrid));
    CgroupManager m = require(CgroupManager::forNew(l, "/ctrs/c1", "c1"));
    const CgroupRecord &r = m.record();
    BOOST_TEST(r.paths.size() == l.hierarchies.size());
    BOOST_TEST(r.paths.at("memory") == "/sys/fs/cgroup/memory/ctrs/c1");
    BOOST_TEST(r.paths.at("name=systemd") == "/sys/fs/cgroup/systemd/ctrs/c1");
    BOOST_TEST(r.paths.at("unified") == "/sys/fs/cgroup/unified/ctrs/c1");
    BOOST_TEST(r.created.empty());       // nothing touched yet
    BOOST_TEST(r.removeIfEmpty.empty()); // an explicit path has no shared husk parent

    CgroupManager d = require(CgroupManager::forNew(require(parseLayout(kV2)), "", "c2"));
    BOOST_TEST(d.record().paths.size() == 1U);
    BOOST_TEST(d.record().paths.at("unified") == "/sys/fs/cgroup/husk/c2");
    // The default parent is shared by containers: removed by whichever leaves it empty.
    std::vector<std::string> shared = {"/sys/fs/cgroup/husk"};
    BOOST_TEST(d.record().removeIfEmpty == shared, boost::test_tools::per_element());

    BOOST_TEST(errorText(CgroupManager::forNew(l, "/x/../y", "c1")) ==
               "linux.cgroupsPath: \"..\" is not allowed in \"/x/../y\"");
}

BOOST_AUTO_TEST_CASE(manager_for_new_relative_path)
{
    // Relative paths are taken from this process's own cgroups.
    auto own = parseProcCgroup(require(readFile("/proc/self/cgroup")));
    Layout l = require(parseLayout(kV1));
    CgroupManager m = require(CgroupManager::forNew(l, "sub/c1", "c1"));
    for (const Hierarchy &h : l.hierarchies) {
        std::string ownPath = own.count(h.key) ? own[h.key] : "/";
        std::string expected = h.mountPoint + (ownPath == "/" ? "" : ownPath) + "/sub/c1";
        BOOST_TEST(m.record().paths.at(h.key) == expected, h.key);
    }
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
// CgroupManager on this host's real hierarchies. Every cgroup is a fresh /husktest-cg-<pid>...
// directory the test creates and removes, pass or fail; no other cgroup is written.

namespace {

bool hasV1Memory()
{
    auto l = detectLayout();
    return l && l->find("memory") && l->find("memory")->key != "unified";
}

bool hasUnified()
{
    auto l = detectLayout();
    return l && l->find("unified");
}

boost::test_tools::assertion_result needsRootAndV1(boost::unit_test::test_unit_id)
{
    boost::test_tools::assertion_result r(::geteuid() == 0 && hasV1Memory());
    r.message() << "skipped: needs root and cgroup v1 hierarchies (memory on v1)";
    return r;
}

boost::test_tools::assertion_result needsRootAndUnified(boost::unit_test::test_unit_id)
{
    boost::test_tools::assertion_result r(::geteuid() == 0 && hasUnified());
    r.message() << "skipped: needs root and a cgroup2 mount";
    return r;
}

std::string trimmed(std::string s)
{
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    return s;
}

// A scratch cgroup in the host's hierarchies (or in cgroup2 alone), with the processes the
// test moves into it; destroyed with them at scope end.
class Scratch
{
public:
    explicit Scratch(const std::string &suffix, bool unifiedOnly = false)
    {
        Layout layout = require(detectLayout());
        if (unifiedOnly)
            std::erase_if(layout.hierarchies,
                          [](const Hierarchy &h) { return h.key != "unified"; });
        name_ = "/husktest-cg-" + std::to_string(::getpid()) + suffix;
        manager_.emplace(require(CgroupManager::forNew(layout, name_, "t")));
        requireOk(manager_->create());
    }
    Scratch(const Scratch &) = delete;
    Scratch &operator=(const Scratch &) = delete;
    ~Scratch()
    {
        auto r = manager_->destroy();
        BOOST_CHECK_MESSAGE(r.has_value(), "destroy: " << (r ? "" : r.error().what()));
        for (pid_t pid : children_)
            ::waitpid(pid, nullptr, 0);
    }

    CgroupManager &m() { return *manager_; }
    /// The directory of a hierarchy key ("memory", "unified").
    std::string dir(const std::string &key) const { return manager_->record().paths.at(key); }
    /// A file of the cgroup, trimmed.
    std::string read(const std::string &key, const std::string &file) const
    {
        return trimmed(require(readFile(dir(key) + "/" + file)));
    }
    bool has(const std::string &key, const std::string &file) const
    {
        return manager_->record().paths.contains(key) &&
               ::access((dir(key) + "/" + file).c_str(), F_OK) == 0;
    }
    /// Forks a child, moves it into the cgroup, then lets it run fn and exit with its value.
    pid_t spawn(const std::function<int()> &fn)
    {
        int p[2];
        BOOST_REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
        pid_t pid = ::fork();
        BOOST_REQUIRE(pid >= 0);
        if (pid == 0) {
            ::close(p[1]);
            char c;
            if (::read(p[0], &c, 1) != 1)
                ::_exit(100);
            ::_exit(fn());
        }
        children_.push_back(pid);
        ::close(p[0]);
        auto added = manager_->addProcess(pid);
        BOOST_CHECK_MESSAGE(added.has_value(),
                            "addProcess: " << (added ? "" : added.error().what()));
        BOOST_REQUIRE(::write(p[1], "x", 1) == 1);
        ::close(p[1]);
        return pid;
    }
    /// Waits for a child spawned here; its wait status.
    int wait(pid_t pid)
    {
        int status = 0;
        BOOST_REQUIRE(::waitpid(pid, &status, 0) == pid);
        std::erase(children_, pid);
        return status;
    }

private:
    std::string name_;
    std::optional<CgroupManager> manager_;
    std::vector<pid_t> children_;
};

// A counter in memory shared with children, for "is it making progress".
class SharedCounter
{
public:
    SharedCounter()
    {
        void *p = ::mmap(nullptr, sizeof(uint64_t), PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        BOOST_REQUIRE(p != MAP_FAILED);
        value_ = static_cast<volatile uint64_t *>(p);
        *value_ = 0;
    }
    SharedCounter(const SharedCounter &) = delete;
    SharedCounter &operator=(const SharedCounter &) = delete;
    ~SharedCounter() { ::munmap(const_cast<uint64_t *>(value_), sizeof(uint64_t)); }

    uint64_t get() const { return *value_; }
    /// A child body that counts forever.
    std::function<int()> spinner()
    {
        return [v = value_]() -> int {
            for (;;)
                *v = *v + 1;
        };
    }

private:
    volatile uint64_t *value_ = nullptr;
};

// Waits up to 3 seconds for cond.
bool eventually(const std::function<bool()> &cond)
{
    for (int i = 0; i < 300; ++i) {
        if (cond())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return cond();
}

void sleepMs(int ms)
{
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

// A block device of this host as "major:minor", for throttle rules.
std::optional<std::pair<int64_t, int64_t>> someBlockDevice()
{
    std::error_code ec;
    for (const auto &e : std::filesystem::directory_iterator("/sys/block", ec)) {
        auto text = readFile(e.path().string() + "/dev");
        unsigned major = 0, minor = 0;
        if (text && std::sscanf(text->c_str(), "%u:%u", &major, &minor) == 2)
            return std::pair<int64_t, int64_t>{major, minor};
    }
    return std::nullopt;
}

// Touches size bytes of fresh memory (each page written, so it is charged).
int touch(size_t size)
{
    char *p = static_cast<char *>(::malloc(size));
    if (!p)
        return 2;
    for (size_t i = 0; i < size; i += 4096)
        p[i] = 1;
    return p[size / 2] == 1 ? 0 : 3;
}

} // namespace

BOOST_AUTO_TEST_SUITE(live_v1, *boost::unit_test::precondition(needsRootAndV1))

BOOST_AUTO_TEST_CASE(attach_warmup_moves_only_its_own_child_to_where_it_was)
{
    // The warm-up child writes "0" (itself) to its own cgroup.procs and exits: this process's
    // cgroups stay as they were, nothing is left to reap, and a join right after is quick.
    const std::string before = require(readFile("/proc/self/cgroup"));
    UniqueFd child = cgroups::startAttachWarmup();
    BOOST_REQUIRE_MESSAGE(child, "no warm-up child on a v1 host as root");
    cgroups::finishAttachWarmup(child);
    BOOST_TEST(!child);
    BOOST_TEST(require(readFile("/proc/self/cgroup")) == before);
    errno = 0;
    BOOST_TEST(::waitpid(-1, nullptr, WNOHANG) == -1); // reaped: no child of ours is left
    BOOST_TEST(errno == ECHILD);
    // Again right away (the grace period has passed): the same, and again nothing left.
    UniqueFd again = cgroups::startAttachWarmup();
    BOOST_TEST(static_cast<bool>(again));
    cgroups::finishAttachWarmup(again);
    BOOST_TEST(::waitpid(-1, nullptr, WNOHANG) == -1);
    BOOST_TEST(require(readFile("/proc/self/cgroup")) == before);
}

BOOST_AUTO_TEST_CASE(apply_every_resource_and_read_back)
{
    Scratch cg("-apply");
    spec::Resources r;
    r.memory = spec::Memory{};
    r.memory->limit = 64 << 20;
    r.memory->reservation = 32 << 20;
    r.memory->swappiness = 10;
    r.memory->disableOomKiller = false;
    const bool swapAccounting = cg.has("memory", "memory.memsw.limit_in_bytes");
    if (swapAccounting)
        r.memory->swap = 128 << 20;
    r.cpu = spec::Cpu{};
    r.cpu->shares = 512;
    r.cpu->period = 100000;
    r.cpu->quota = 50000;
    if (cg.has("cpu", "cpu.cfs_burst_us"))
        r.cpu->burst = 10000;
    r.cpu->cpus = "0";
    r.cpu->mems = "0";
    r.pidsLimit = 50;
    r.blockIo = spec::BlockIo{}; // the weight has a case of its own: it depends on the scheduler
    auto dev = someBlockDevice();
    BOOST_REQUIRE_MESSAGE(dev, "no block device in /sys/block");
    r.blockIo->throttleReadBpsDevice = {{dev->first, dev->second, 1048576}};
    r.devices = {spec::DeviceRule{false, "a", {}, {}, "rwm"},
                 spec::DeviceRule{true, "c", 10, 200, "rwm"}};
    if (hasUnified())
        r.unified["cgroup.max.descendants"] = "3"; // a core file: no controller to enable
    requireOk(cg.m().apply(r));

    BOOST_TEST(cg.read("memory", "memory.limit_in_bytes") == "67108864");
    BOOST_TEST(cg.read("memory", "memory.soft_limit_in_bytes") == "33554432");
    BOOST_TEST(cg.read("memory", "memory.swappiness") == "10");
    BOOST_TEST(contains(cg.read("memory", "memory.oom_control"), "oom_kill_disable 0"));
    if (swapAccounting)
        BOOST_TEST(cg.read("memory", "memory.memsw.limit_in_bytes") == "134217728");
    BOOST_TEST(cg.read("cpu", "cpu.shares") == "512");
    BOOST_TEST(cg.read("cpu", "cpu.cfs_period_us") == "100000");
    BOOST_TEST(cg.read("cpu", "cpu.cfs_quota_us") == "50000");
    if (r.cpu->burst)
        BOOST_TEST(cg.read("cpu", "cpu.cfs_burst_us") == "10000");
    BOOST_TEST(cg.read("cpuset", "cpuset.cpus") == "0");
    BOOST_TEST(cg.read("cpuset", "cpuset.mems") == "0");
    BOOST_TEST(cg.read("pids", "pids.max") == "50");
    BOOST_TEST(cg.read("blkio", "blkio.throttle.read_bps_device") ==
               std::to_string(dev->first) + ":" + std::to_string(dev->second) + " 1048576");
    std::string devices = cg.read("devices", "devices.list");
    BOOST_TEST(contains(devices, "c 10:200 rwm"));
    BOOST_TEST(contains(devices, "c 1:3 rwm")); // a default
    BOOST_TEST(!contains(devices, "a *:* rwm"));
    if (hasUnified())
        BOOST_TEST(cg.read("unified", "cgroup.max.descendants") == "3");
}

// blkio.weight exists only with CFQ (and blkio.bfq.weight only with BFQ): with mq-deadline or
// none as the disk's scheduler the kernel has neither, and husk rightly refuses the weight.
boost::test_tools::assertion_result hasBlkioWeight(boost::unit_test::test_unit_id)
{
    auto l = detectLayout();
    const Hierarchy *h = l ? l->find("blkio") : nullptr;
    bool found = false;
    for (const char *f : {"/blkio.weight", "/blkio.bfq.weight"})
        found = found || (h && ::access((h->mountPoint + f).c_str(), F_OK) == 0);
    boost::test_tools::assertion_result r(found);
    r.message() << "skipped: this kernel has neither blkio.weight nor blkio.bfq.weight (the disk's "
                   "I/O scheduler is not CFQ or BFQ)";
    return r;
}

BOOST_AUTO_TEST_CASE(block_io_weight, *boost::unit_test::precondition(hasBlkioWeight))
{
    Scratch cg("-weight");
    spec::Resources r;
    r.blockIo = spec::BlockIo{};
    r.blockIo->weight = 300;
    requireOk(cg.m().apply(r));
    std::string weightFile = cg.has("blkio", "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
    BOOST_TEST(contains(cg.read("blkio", weightFile), "300"));
}

BOOST_AUTO_TEST_CASE(update_writes_only_what_is_set)
{
    Scratch cg("-update");
    auto memory = [](std::optional<int64_t> limit, std::optional<int64_t> swap) {
        spec::Resources r;
        r.memory = spec::Memory{};
        r.memory->limit = limit;
        r.memory->swap = swap;
        return r;
    };
    auto limits = [&cg] {
        return cg.read("memory", "memory.limit_in_bytes") + " " +
               cg.read("memory", "memory.memsw.limit_in_bytes");
    };
    BOOST_REQUIRE_MESSAGE(cg.has("memory", "memory.memsw.limit_in_bytes"),
                          "this host has no swap accounting (memory.memsw.*)");
    spec::Resources first = memory(64 << 20, 128 << 20);
    first.cpu = spec::Cpu{};
    first.cpu->shares = 512;
    requireOk(cg.m().apply(first));

    requireOk(cg.m().apply(memory(32 << 20, std::nullopt)));
    BOOST_TEST(limits() == "33554432 134217728");
    BOOST_TEST(cg.read("cpu", "cpu.shares") == "512"); // untouched
    // Both well above the current swap limit: only swap-first order is accepted.
    requireOk(cg.m().apply(memory(256 << 20, 512 << 20)));
    BOOST_TEST(limits() == "268435456 536870912");
    // Both well below the current limit: only limit-first order is accepted.
    requireOk(cg.m().apply(memory(16 << 20, 32 << 20)));
    BOOST_TEST(limits() == "16777216 33554432");
    // And the kernel's own check, reported against the field: swap below the limit in force.
    std::string err = errorText(cg.m().apply(memory(std::nullopt, 8 << 20)));
    BOOST_TEST(err.starts_with("linux.resources.memory.swap: write \"8388608\" to " +
                               cg.dir("memory") + "/memory.memsw.limit_in_bytes: "),
               err);
}

BOOST_AUTO_TEST_CASE(host_errors_name_the_field)
{
    Scratch cg("-errors");
    Layout layout = require(detectLayout());
    if (!layout.find("net_cls")) {
        spec::Resources net;
        net.network = spec::Network{7, {}};
        BOOST_TEST(errorText(cg.m().apply(net)) ==
                   "linux.resources.network.classID: the net_cls controller is not available on "
                   "this host (cgroup v2 has none)");
    }
    if (!layout.find("rdma")) {
        spec::Resources rdma;
        rdma.rdma["mlx5_0"] = spec::Rdma{1, 1};
        BOOST_TEST(
            contains(errorText(cg.m().apply(rdma)), "linux.resources.rdma: the rdma controller"));
    }
    // Since Linux 5.16 v1 memory is always hierarchical and "0" is refused.
    spec::Resources flat;
    flat.memory = spec::Memory{};
    flat.memory->useHierarchy = false;
    auto r = cg.m().apply(flat);
    BOOST_TEST((r || r.error().message().starts_with(
                         "linux.resources.memory.useHierarchy: write \"0\" to " + cg.dir("memory") +
                         "/memory.use_hierarchy")),
               (r ? "" : r.error().what()));
}

BOOST_AUTO_TEST_CASE(stats_of_a_running_child)
{
    Scratch cg("-stats");
    spec::Resources r;
    r.pidsLimit = 50;
    r.memory = spec::Memory{};
    r.memory->limit = 64 << 20;
    requireOk(cg.m().apply(r));
    SharedCounter counter;
    cg.spawn([&counter]() -> int {
        if (touch(8 << 20) != 0)
            return 1;
        return counter.spinner()();
    });
    BOOST_REQUIRE(eventually([&] { return counter.get() > 1000000; }));
    sleepMs(50);
    Stats s = require(cg.m().stats());
    BOOST_TEST(s.cpu.usage.total > 0U);
    BOOST_TEST(s.cpu.usage.user + s.cpu.usage.kernel > 0U);
    BOOST_TEST(!s.cpu.usage.percpu.empty());
    BOOST_TEST(s.memory.usage.usage >= uint64_t{8 << 20});
    BOOST_TEST(s.memory.usage.limit == uint64_t{64 << 20});
    BOOST_TEST(!s.memory.raw.empty());
    BOOST_TEST(s.pids.current == 1U);
    BOOST_TEST(s.pids.limit == 50U);
    nlohmann::json j = statsJson(s);
    BOOST_TEST(j["pids"]["current"] == 1);
    BOOST_TEST(j["memory"]["usage"]["limit"] == 64 << 20);
    BOOST_TEST(j["cpu"]["usage"]["total"].get<uint64_t>() > 0U);
    // The numbers move.
    uint64_t before = s.cpu.usage.total;
    BOOST_TEST(eventually([&] { return require(cg.m().stats()).cpu.usage.total > before; }));
}

BOOST_AUTO_TEST_CASE(freeze_stops_a_spinning_child)
{
    Scratch cg("-freeze");
    SharedCounter counter;
    cg.spawn(counter.spinner());
    BOOST_REQUIRE(eventually([&] { return counter.get() > 0; }));
    BOOST_TEST(!require(cg.m().isFrozen()));
    requireOk(cg.m().freeze());
    BOOST_TEST(require(cg.m().isFrozen()));
    BOOST_TEST(cg.read("freezer", "freezer.state") == "FROZEN");
    uint64_t frozenAt = counter.get();
    sleepMs(300);
    BOOST_TEST(counter.get() == frozenAt); // no progress at all while frozen
    requireOk(cg.m().freeze());            // freezing twice is fine
    requireOk(cg.m().thaw());
    BOOST_TEST(!require(cg.m().isFrozen()));
    BOOST_TEST(eventually([&] { return counter.get() > frozenAt; }));
    // A frozen cgroup is still destroyed: its processes are killed and thawed.
    requireOk(cg.m().freeze());
}

BOOST_AUTO_TEST_CASE(oom_kill_is_counted)
{
    Scratch cg("-oom");
    spec::Resources r;
    r.memory = spec::Memory{};
    r.memory->limit = 16 << 20;
    if (cg.has("memory", "memory.memsw.limit_in_bytes"))
        r.memory->swap = 16 << 20; // no swap to escape to
    requireOk(cg.m().apply(r));
    BOOST_TEST(require(cg.m().oomKillCount()) == 0U);
    pid_t pid = cg.spawn([] { return touch(64 << 20); });
    int status = cg.wait(pid);
    BOOST_TEST(WIFSIGNALED(status));
    BOOST_TEST((WIFSIGNALED(status) ? WTERMSIG(status) : 0) == SIGKILL);
    BOOST_TEST(require(cg.m().oomKillCount()) == 1U);
    // The peak reached the limit (failcnt would say so too, but 6.x kernels stopped counting
    // it for some charge paths).
    Stats s = require(cg.m().stats());
    BOOST_TEST(s.memory.usage.max >= uint64_t{15 << 20});
    BOOST_TEST(s.memory.usage.limit == uint64_t{16 << 20});
}

BOOST_AUTO_TEST_CASE(destroy_removes_every_directory)
{
    std::vector<std::string> dirs;
    {
        Scratch cg("-destroy");
        SharedCounter counter;
        cg.spawn(counter.spinner());
        for (const auto &[key, dir] : cg.m().record().paths)
            dirs.push_back(dir);
        requireOk(cg.m().destroy());
        for (const std::string &d : dirs)
            BOOST_TEST(::access(d.c_str(), F_OK) != 0, d);
    }
    BOOST_TEST(!dirs.empty());
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

// cgroup2's root delegates hugetlb already: enabling it below changes nothing the host set.
boost::test_tools::assertion_result needsDelegatedHugetlb(boost::unit_test::test_unit_id)
{
    std::string control;
    if (auto l = detectLayout(); l && l->find("unified"))
        control = readFile(l->find("unified")->mountPoint + "/cgroup.subtree_control").value_or("");
    boost::test_tools::assertion_result r(::geteuid() == 0 && contains(control, "hugetlb"));
    r.message() << "skipped: the cgroup2 root does not delegate hugetlb, and enabling it would "
                   "change the host's root cgroup.subtree_control";
    return r;
}

// /dev/null opens, /dev/kmsg does not (EPERM): 0, else a code saying what went wrong.
int probeDevices(bool kmsgAllowed)
{
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0)
        return 10;
    ::close(null);
    int kmsg = ::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (kmsg >= 0) {
        ::close(kmsg);
        return kmsgAllowed ? 0 : 11;
    }
    if (kmsgAllowed)
        return 12;
    return errno == EPERM ? 0 : 13;
}

} // namespace

BOOST_AUTO_TEST_SUITE(live_v2, *boost::unit_test::precondition(needsRootAndUnified))

BOOST_AUTO_TEST_CASE(freeze_with_cgroup_freeze)
{
    Scratch cg("-v2freeze", true);
    SharedCounter counter;
    cg.spawn(counter.spinner());
    BOOST_REQUIRE(eventually([&] { return counter.get() > 0; }));
    requireOk(cg.m().freeze());
    BOOST_TEST(require(cg.m().isFrozen()));
    BOOST_TEST(cg.read("unified", "cgroup.freeze") == "1");
    BOOST_TEST(contains(cg.read("unified", "cgroup.events"), "frozen 1"));
    uint64_t frozenAt = counter.get();
    sleepMs(300);
    BOOST_TEST(counter.get() == frozenAt);
    requireOk(cg.m().thaw());
    BOOST_TEST(!require(cg.m().isFrozen()));
    BOOST_TEST(eventually([&] { return counter.get() > frozenAt; }));
}

BOOST_AUTO_TEST_CASE(stats_and_unified_keys)
{
    Scratch cg("-v2stats", true);
    spec::Resources r;
    r.unified["cgroup.max.depth"] = "2";
    requireOk(cg.m().apply(r));
    BOOST_TEST(cg.read("unified", "cgroup.max.depth") == "2");
    r.unified = {{"cgroup.no_such_file", "1"}};
    BOOST_TEST(errorText(cg.m().apply(r)) == "linux.resources.unified[\"cgroup.no_such_file\"]: "
                                             "this host has no cgroup v2 file cgroup.no_such_file");

    SharedCounter counter;
    cg.spawn(counter.spinner());
    cg.spawn(counter.spinner());
    BOOST_REQUIRE(eventually([&] { return counter.get() > 1000000; }));
    Stats s = require(cg.m().stats());
    BOOST_TEST(s.pids.current == 2U); // counted from cgroup.procs where pids is not enabled
    BOOST_TEST(s.cpu.usage.total > 0U);
}

BOOST_AUTO_TEST_CASE(device_filter_program)
{
    BOOST_REQUIRE_MESSAGE(::access("/dev/kmsg", F_OK) == 0, "no /dev/kmsg to be denied");
    Scratch cg("-v2devices", true);
    spec::Resources deny;
    deny.devices = {spec::DeviceRule{false, "a", {}, {}, "rwm"}};
    requireOk(cg.m().apply(deny));
    int status = cg.wait(cg.spawn([] { return probeDevices(false); }));
    BOOST_TEST(WIFEXITED(status));
    BOOST_TEST(WEXITSTATUS(status) == 0, "probe code " << WEXITSTATUS(status));
    // An update replaces the program: the old deny-all is detached.
    spec::Resources allow;
    allow.devices = {spec::DeviceRule{true, "a", {}, {}, "rwm"}};
    requireOk(cg.m().apply(allow));
    status = cg.wait(cg.spawn([] { return probeDevices(true); }));
    BOOST_TEST(WIFEXITED(status));
    BOOST_TEST(WEXITSTATUS(status) == 0, "probe code " << WEXITSTATUS(status));
}

BOOST_AUTO_TEST_CASE(hugetlb_limit_on_cgroup2,
                     *boost::unit_test::precondition(needsDelegatedHugetlb))
{
    Scratch cg("-v2hugetlb", true);
    spec::Resources r;
    r.hugepageLimits = {{"2MB", 4 << 20}};
    requireOk(cg.m().apply(r));
    BOOST_TEST(cg.read("unified", "hugetlb.2MB.max") == "4194304");
}

BOOST_AUTO_TEST_SUITE_END()
