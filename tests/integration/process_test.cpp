// Integration tests: the container process as the probe sees it: user and groups,
// capabilities, rlimits, cwd, env, umask, oom_score_adj, no_new_privs, inherited fds.

#ifndef BOOST_TEST_DYN_LINK // meson's boost dependency may define it already
#define BOOST_TEST_DYN_LINK
#endif
#define BOOST_TEST_MODULE process
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <stdlib.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <set>

#include "tests/integration/harness.h"

using namespace husk::test;
using nlohmann::json;
namespace fs = std::filesystem;

BOOST_TEST_GLOBAL_FIXTURE(RunFixture);

namespace {

/// The capability numbers of the names these tests use (linux/capability.h).
int capNumber(const std::string &name)
{
    static const std::map<std::string, int> caps = {
        {"CAP_CHOWN", 0},    {"CAP_DAC_OVERRIDE", 1}, {"CAP_KILL", 5},
        {"CAP_SETGID", 6},   {"CAP_SETUID", 7},       {"CAP_NET_BIND_SERVICE", 10},
        {"CAP_NET_RAW", 13}, {"CAP_SYS_ADMIN", 21},   {"CAP_AUDIT_WRITE", 29},
    };
    return caps.at(name);
}

/// The /proc/self/status hex text ("0000000000002001") for a set of capability names.
std::string capMask(const std::vector<std::string> &names)
{
    uint64_t mask = 0;
    for (const std::string &n : names)
        mask |= uint64_t(1) << capNumber(n);
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%016" PRIx64, mask);
    return buf;
}

/// The fd numbers in the probe's info output.
std::set<int> fdNumbers(const json &info)
{
    std::set<int> out;
    for (const json &fd : info["fds"])
        out.insert(fd["fd"].get<int>());
    return out;
}

/// Whether the probe's env list contains this exact entry.
bool hasEnv(const json &info, const std::string &entry)
{
    for (const json &e : info["env"])
        if (e == entry)
            return true;
    return false;
}

} // namespace

BOOST_AUTO_TEST_SUITE(identity)

BOOST_FIXTURE_TEST_CASE(init_is_pid_1_and_session_leader, Fixture)
{
    json info = probe({"info"});
    BOOST_TEST(info["pid"] == 1);
    BOOST_TEST(info["ppid"] == 0);
    BOOST_TEST(info["sid"] == 1);
    BOOST_TEST(info["pgid"] == 1);
}

BOOST_FIXTURE_TEST_CASE(root_user_by_default, Fixture)
{
    json info = probe({"info"});
    for (const char *key : {"uid", "euid", "suid", "gid", "egid", "sgid"})
        BOOST_TEST(info[key] == 0, key);
    BOOST_TEST(info["groups"].empty(), info["groups"].dump());
}

BOOST_FIXTURE_TEST_CASE(uid_gid_and_additional_gids, Fixture)
{
    bundle.config()["process"]["user"] = {
        {"uid", 1000}, {"gid", 1000}, {"additionalGids", {1001, 5}}};
    json info = probe({"info"});
    for (const char *key : {"uid", "euid", "suid", "gid", "egid", "sgid"})
        BOOST_TEST(info[key] == 1000, key);
    std::vector<int> groups = info["groups"].get<std::vector<int>>();
    std::sort(groups.begin(), groups.end());
    BOOST_TEST(groups == (std::vector<int>{5, 1001}), info["groups"].dump());
}

BOOST_FIXTURE_TEST_CASE(user_without_gid_is_group_0, Fixture)
{
    bundle.config()["process"]["user"] = {{"uid", 1000}};
    json info = probe({"info"});
    BOOST_TEST(info["uid"] == 1000);
    BOOST_TEST(info["gid"] == 0);
}

BOOST_FIXTURE_TEST_CASE(stdio_is_handed_to_the_process_user, Fixture)
{
    // Without a terminal, a process that is not root can reopen its stdout (/dev/stdout): runc
    // gives each stdio fd's owner uid to the process user.
    bundle.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
    json info = probe({"open", "/proc/self/fd/1", "w"});
    BOOST_TEST(info["ok"] == true, info.dump());
}

BOOST_FIXTURE_TEST_CASE(user_without_additional_gids_has_no_groups, Fixture)
{
    bundle.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
    json info = probe({"info"});
    BOOST_TEST(info["uid"] == 1000);
    BOOST_TEST(info["gid"] == 1000);
    // The runtime's own supplementary groups (root's) must not leak in.
    for (const json &g : info["groups"])
        BOOST_TEST(g != 0, info["groups"].dump());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(capabilities)

BOOST_FIXTURE_TEST_CASE(default_spec_capabilities, Fixture)
{
    json caps = bundle.config()["process"]["capabilities"];
    json info = probe({"info"});
    BOOST_TEST(info["CapBnd"] == capMask(caps["bounding"].get<std::vector<std::string>>()));
    BOOST_TEST(info["CapEff"] == capMask(caps["effective"].get<std::vector<std::string>>()));
}

BOOST_FIXTURE_TEST_CASE(small_list_is_exact, Fixture)
{
    std::vector<std::string> list = {"CAP_CHOWN", "CAP_NET_RAW", "CAP_KILL"};
    bundle.config()["process"]["capabilities"] = {
        {"bounding", list}, {"effective", list}, {"permitted", list}};
    json info = probe({"info"});
    std::string mask = capMask(list);
    BOOST_TEST(info["CapBnd"] == mask);
    BOOST_TEST(info["CapEff"] == mask);
    BOOST_TEST(info["CapPrm"] == mask);
    BOOST_TEST(info["CapInh"] == capMask({}));
    BOOST_TEST(info["CapAmb"] == capMask({}));
}

BOOST_FIXTURE_TEST_CASE(no_capabilities, Fixture)
{
    bundle.config()["process"]["capabilities"] = {
        {"bounding", json::array()}, {"effective", json::array()}, {"permitted", json::array()}};
    json info = probe({"info"});
    BOOST_TEST(info["CapBnd"] == capMask({}));
    BOOST_TEST(info["CapEff"] == capMask({}));
    BOOST_TEST(info["CapPrm"] == capMask({}));
}

BOOST_FIXTURE_TEST_CASE(ambient_that_cannot_be_raised_warns_once, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    // As `runc spec` bundles have them: ambient capabilities that are not inheritable. They are
    // skipped, with one warning naming them all rather than one per capability.
    std::vector<std::string> list = {"CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"};
    bundle.config()["process"]["capabilities"] = {
        {"bounding", list}, {"effective", list}, {"permitted", list}, {"ambient", list}};
    bundle.setProbeArgs({"info"});
    bundle.save();
    CommandResult r = run(newId());
    BOOST_REQUIRE_MESSAGE(r.ok(), r.describe());
    size_t lines = 0;
    for (size_t at = r.err.find("ambient"); at != std::string::npos;
         at = r.err.find("ambient", at + 1))
        ++lines;
    BOOST_TEST(lines == 1U, r.err);
    for (const char *name : {"CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"})
        BOOST_TEST(r.err.find(name) != std::string::npos, r.err);
}

BOOST_FIXTURE_TEST_CASE(non_root_user_with_ambient, Fixture)
{
    std::vector<std::string> list = {"CAP_NET_BIND_SERVICE", "CAP_NET_RAW"};
    bundle.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
    bundle.config()["process"]["capabilities"] = {{"bounding", list},
                                                  {"effective", list},
                                                  {"permitted", list},
                                                  {"inheritable", list},
                                                  {"ambient", list}};
    json info = probe({"info"});
    std::string mask = capMask(list);
    BOOST_TEST(info["uid"] == 1000);
    BOOST_TEST(info["CapAmb"] == mask);
    BOOST_TEST(info["CapEff"] == mask);
    BOOST_TEST(info["CapBnd"] == mask);
}

BOOST_FIXTURE_TEST_CASE(non_root_user_without_ambient_has_no_effective, Fixture)
{
    std::vector<std::string> list = {"CAP_NET_RAW"};
    bundle.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
    bundle.config()["process"]["capabilities"] = {
        {"bounding", list}, {"effective", list}, {"permitted", list}};
    json info = probe({"info"});
    BOOST_TEST(info["CapEff"] == capMask({}));
    BOOST_TEST(info["CapPrm"] == capMask({}));
    BOOST_TEST(info["CapBnd"] == capMask(list));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(limits_and_flags)

BOOST_FIXTURE_TEST_CASE(rlimits_applied, Fixture)
{
    // Only lowering: this machine has no CAP_SYS_RESOURCE, so raising a hard limit fails.
    bundle.config()["process"]["rlimits"] = {
        {{"type", "RLIMIT_NOFILE"}, {"soft", 256}, {"hard", 512}},
        {{"type", "RLIMIT_CORE"}, {"soft", 0}, {"hard", 4096}},
        {{"type", "RLIMIT_MEMLOCK"}, {"soft", 65536}, {"hard", 65536}},
    };
    json info = probe({"info"});
    json &rl = info["rlimits"];
    BOOST_TEST(rl["RLIMIT_NOFILE"]["soft"] == 256);
    BOOST_TEST(rl["RLIMIT_NOFILE"]["hard"] == 512);
    BOOST_TEST(rl["RLIMIT_CORE"]["soft"] == 0);
    BOOST_TEST(rl["RLIMIT_CORE"]["hard"] == 4096);
    BOOST_TEST(rl["RLIMIT_MEMLOCK"]["soft"] == 65536);
    BOOST_TEST(rl["RLIMIT_MEMLOCK"]["hard"] == 65536);
}

BOOST_FIXTURE_TEST_CASE(unknown_rlimit_fails, Fixture)
{
    bundle.config()["process"]["rlimits"] = {{{"type", "RLIMIT_BOGUS"}, {"soft", 1}, {"hard", 1}}};
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    CommandResult r = create(newId());
    BOOST_TEST(r.exitCode == 1, r.describe());
}

BOOST_FIXTURE_TEST_CASE(no_new_privileges, Fixture)
{
    bundle.config()["process"]["noNewPrivileges"] = true;
    json on = probe({"info"});
    BOOST_TEST(on["noNewPrivs"] == 1);
    bundle.config()["process"]["noNewPrivileges"] = false;
    json off = probe({"info"});
    BOOST_TEST(off["noNewPrivs"] == 0);
}

BOOST_FIXTURE_TEST_CASE(oom_score_adj, Fixture)
{
    // Raising only: lowering it needs CAP_SYS_RESOURCE, which this machine lacks.
    bundle.config()["process"]["oomScoreAdj"] = 500;
    json info = probe({"info"});
    BOOST_TEST(info["oomScoreAdj"] == 500);
}

BOOST_FIXTURE_TEST_CASE(umask_default_and_set, Fixture)
{
    json info = probe({"info"});
    BOOST_TEST(info["umask"] == "0022");
    bundle.config()["process"]["user"]["umask"] = 027;
    json set = probe({"info"});
    BOOST_TEST(set["umask"] == "0027");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(environment)

BOOST_FIXTURE_TEST_CASE(cwd, Fixture)
{
    json info = probe({"info"});
    BOOST_TEST(info["cwd"] == "/");
    bundle.config()["process"]["cwd"] = "/home/test";
    json home = probe({"info"});
    BOOST_TEST(home["cwd"] == "/home/test");
}

BOOST_FIXTURE_TEST_CASE(missing_cwd_is_created, Fixture)
{
    // runc and crun make it (0755, root's) rather than failing.
    bundle.config()["process"]["cwd"] = "/husk-made/deeper";
    bundle.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
    json info = probe({"info"});
    BOOST_TEST(info["cwd"] == "/husk-made/deeper");
    json st = probe({"stat", "/husk-made/deeper"});
    BOOST_TEST((st["mode"].get<int>() & 07777) == 0755, st.dump());
    BOOST_TEST(st["uid"] == 0, st.dump());
}

BOOST_FIXTURE_TEST_CASE(relative_cwd_fails, Fixture)
{
    bundle.config()["process"]["cwd"] = "tmp";
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    CommandResult r = create(newId());
    BOOST_TEST(r.exitCode == 1, r.describe());
}

BOOST_FIXTURE_TEST_CASE(env_is_exactly_the_config, Fixture)
{
    ::setenv("HUSK_TEST_MUST_NOT_LEAK", "1", 1);
    bundle.config()["process"]["env"] = {"PATH=/usr/bin:/bin", "FOO=bar baz",
                                         "EMPTY=", "HOME=/home/test"};
    json info = probe({"info"});
    ::unsetenv("HUSK_TEST_MUST_NOT_LEAK");
    BOOST_TEST(hasEnv(info, "PATH=/usr/bin:/bin"));
    BOOST_TEST(hasEnv(info, "FOO=bar baz"));
    BOOST_TEST(hasEnv(info, "EMPTY="));
    BOOST_TEST(hasEnv(info, "HOME=/home/test"));
    BOOST_TEST(info["env"].size() == 4u, info["env"].dump());
}

BOOST_FIXTURE_TEST_CASE(a_name_given_twice_is_passed_once_with_its_last_value, Fixture)
{
    bundle.config()["process"]["env"] = {"PATH=/usr/bin:/bin", "DUP=first", "HOME=/h", "DUP=second",
                                         "DUP=last"};
    json info = probe({"info"});
    BOOST_TEST(hasEnv(info, "DUP=last"), info["env"].dump());
    BOOST_TEST(!hasEnv(info, "DUP=first"));
    BOOST_TEST(!hasEnv(info, "DUP=second"));
    BOOST_TEST(info["env"].size() == 3U, info["env"].dump());
}

BOOST_FIXTURE_TEST_CASE(an_empty_home_is_set_from_passwd, Fixture)
{
    bundle.config()["process"]["env"] = {"PATH=/usr/bin:/bin", "HOME="};
    bundle.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
    json info = probe({"info"});
    BOOST_TEST(hasEnv(info, "HOME=/home/test"), info["env"].dump());
    BOOST_TEST(!hasEnv(info, "HOME="));
}

BOOST_FIXTURE_TEST_CASE(home_from_passwd_when_unset, Fixture)
{
    // runc fills in HOME from the rootfs's /etc/passwd when the config leaves it out.
    bundle.config()["process"]["env"] = {"PATH=/usr/bin:/bin"};
    json root = probe({"info"});
    BOOST_TEST(hasEnv(root, "HOME=/root"), root["env"].dump());
    bundle.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
    json user = probe({"info"});
    BOOST_TEST(hasEnv(user, "HOME=/home/test"), user["env"].dump());
}

BOOST_FIXTURE_TEST_CASE(args_resolved_through_path, Fixture)
{
    bundle.config()["process"]["env"] = {"PATH=/usr/local/bin:/bin"};
    bundle.config()["process"]["args"] = {"husk-probe", "echo", "found", "in", "PATH"};
    bundle.save();
    CommandResult r = run(newId());
    BOOST_TEST(r.ok(), r.describe());
    BOOST_TEST(r.out == "found in PATH\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(fds)

BOOST_FIXTURE_TEST_CASE(only_stdio_is_open, Fixture)
{
    json info = probe({"info"});
    BOOST_TEST((fdNumbers(info) == std::set<int>{0, 1, 2}), info["fds"].dump());
}

BOOST_FIXTURE_TEST_CASE(extra_fds_without_preserve_are_closed, Fixture)
{
    // Callers (conmon, shims) may leave fds open in the runtime; only --preserve-fds passes any.
    husk::UniqueFd stray(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    json info = probeDetached({"info"}, {}, {stray.get(), stray.get()});
    BOOST_TEST((fdNumbers(info) == std::set<int>{0, 1, 2}), info["fds"].dump());
}

BOOST_FIXTURE_TEST_CASE(preserve_fds_passes_fd_3, Fixture)
{
    fs::path extraPath = bundle.path() / "extra-fd";
    husk::UniqueFd extra(::open(extraPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    BOOST_REQUIRE(extra);
    json info = probeDetached({"info"}, {"--preserve-fds", "1"}, {extra.get()});
    BOOST_TEST((fdNumbers(info) == std::set<int>{0, 1, 2, 3}), info["fds"].dump());
    for (const json &fd : info["fds"])
        if (fd["fd"] == 3)
            BOOST_TEST(fd["target"].get<std::string>().ends_with("extra-fd"), fd.dump());
}

BOOST_FIXTURE_TEST_CASE(stdio_is_inherited_after_create, Fixture)
{
    // Without a terminal, create hands the runtime's own fds 0-2 to the container.
    json info = probeDetached({"info"});
    std::map<int, std::string> targets;
    for (const json &fd : info["fds"])
        targets[fd["fd"].get<int>()] = fd["target"].get<std::string>();
    BOOST_TEST(targets[0] == "/dev/null");
    BOOST_TEST(targets[1].ends_with("stdio.out"), targets[1]);
    BOOST_TEST(targets[2].ends_with("stdio.err"), targets[2]);
    BOOST_TEST(info["isatty"] == json::array({false, false, false}));
}

BOOST_AUTO_TEST_SUITE_END()
