// libcontainer/cgroups/layout.h and the pure parts of cgroups/manager.h.

#define BOOST_TEST_MODULE cgroups
#include "tests/unit/libcontainer_test_helpers.h"

#include <string>
#include <vector>

#include "common/file.h"
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
