// Integration tests: `exec` — the new process joins every namespace and the cgroup of the
// init, gets the container's security settings, and its exit status is exec's.

#ifndef BOOST_TEST_DYN_LINK // meson's boost dependency may define it already
#define BOOST_TEST_DYN_LINK
#endif
#define BOOST_TEST_MODULE exec
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

const char *const kNamespaceNames[] = {"pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time"};

/// The init's pid from `state`.
int initPid(Fixture &f, const std::string &id)
{
    std::optional<json> st = f.state(id);
    BOOST_REQUIRE(st.has_value());
    return (*st)["pid"].get<int>();
}

/// Runs `exec [flags...] ID COMMAND...` and returns the result.
CommandResult exec(const std::string &id, const std::vector<std::string> &flags,
                   const std::vector<std::string> &command)
{
    std::vector<std::string> argv = {"exec"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.push_back(id);
    argv.insert(argv.end(), command.begin(), command.end());
    return runHusk(argv, {.timeout = 30s});
}

/// exec of the probe with args; requires success and returns its JSON.
json execProbe(const std::string &id, const std::vector<std::string> &args,
               const std::vector<std::string> &flags = {})
{
    std::vector<std::string> command = {"/bin/husk-probe"};
    command.insert(command.end(), args.begin(), args.end());
    CommandResult r = exec(id, flags, command);
    BOOST_REQUIRE_MESSAGE(r.ok(), r.describe());
    return parseJson(r.out);
}

/// The /proc/PID/cgroup text of a host pid.
std::string cgroupOf(int pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
    return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

BOOST_AUTO_TEST_SUITE(joining)

BOOST_FIXTURE_TEST_CASE(joins_every_namespace_of_the_init, Fixture)
{
    std::string id = startWaiting();
    int pid = initPid(*this, id);
    json info = execProbe(id, {"info"});
    for (const char *type : kNamespaceNames) {
        std::string file = "/proc/" + std::to_string(pid) + "/ns/" + type;
        BOOST_TEST(info["namespaces"][type] == namespaceId(type, file), type);
    }
    // In the container's pid namespace, and not its init.
    BOOST_TEST(info["pid"].get<int>() > 1);
    BOOST_TEST(info["ppid"] == 0, "the parent is outside the pid namespace");
}

BOOST_FIXTURE_TEST_CASE(joins_a_user_namespace_container, Fixture)
{
    bundle.setNamespace("user");
    bundle.config()["linux"]["uidMappings"] = {
        {{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    bundle.config()["linux"]["gidMappings"] = {
        {{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    std::string id = startWaiting();
    int pid = initPid(*this, id);
    json info = execProbe(id, {"info"});
    BOOST_TEST(info["namespaces"]["user"] ==
               namespaceId("user", "/proc/" + std::to_string(pid) + "/ns/user"));
    BOOST_TEST(info["uidMap"] == "         0     100000      65536\n", info["uidMap"].dump());
    BOOST_TEST(info["uid"] == 0);
}

BOOST_FIXTURE_TEST_CASE(runs_in_the_containers_cgroup, Fixture)
{
    std::string id = startWaiting();
    int pid = initPid(*this, id);
    fs::path pidFile = bundle.path() / "exec.pid";
    CommandResult r =
        exec(id, {"--detach", "--pid-file", pidFile.string()}, {"/bin/husk-probe", "sleep", "5"});
    BOOST_REQUIRE_MESSAGE(r.ok(), r.describe());
    std::ifstream in(pidFile);
    int execPid = 0;
    in >> execPid;
    BOOST_REQUIRE(execPid > 0);
    BOOST_TEST(cgroupOf(execPid) == cgroupOf(pid));
    ::kill(execPid, SIGKILL);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(process)

BOOST_FIXTURE_TEST_CASE(exit_status_is_the_process_status, Fixture)
{
    std::string id = startWaiting();
    BOOST_TEST(exec(id, {}, {"/bin/husk-probe", "exit", "0"}).exitCode == 0);
    BOOST_TEST(exec(id, {}, {"/bin/husk-probe", "exit", "7"}).exitCode == 7);
    BOOST_TEST(exec(id, {}, {"sh", "-c", "kill -TERM $$"}).exitCode == 128 + SIGTERM);
}

BOOST_FIXTURE_TEST_CASE(env_cwd_user_and_caps_flags, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    std::string id = startWaiting();
    json info = execProbe(id, {"info"},
                          {"--env", "HUSK_EXEC=1", "--cwd", "/bin", "--user", "1000:1001",
                           "--additional-gids", "2000"});
    BOOST_TEST(info["uid"] == 1000);
    BOOST_TEST(info["gid"] == 1001);
    BOOST_TEST(info["groups"] == json::array({2000}), info["groups"].dump());
    BOOST_TEST(info["cwd"] == "/bin");
    bool found = false;
    for (const json &e : info["env"])
        found |= e == "HUSK_EXEC=1";
    BOOST_TEST(found, info["env"].dump());

    // The default spec keeps CAP_SYS_PTRACE (bit 19) out; --cap adds it.
    json base = execProbe(id, {"info"});
    json more = execProbe(id, {"info"}, {"--cap", "CAP_SYS_PTRACE"});
    auto bits = [](const json &i) {
        return std::stoull(i["CapEff"].get<std::string>(), nullptr, 16);
    };
    BOOST_TEST((bits(more) & ~bits(base)) == (1ULL << 19), base["CapEff"] << " " << more["CapEff"]);
}

BOOST_FIXTURE_TEST_CASE(cap_adds_to_bounding_effective_and_permitted_only, Fixture)
{
    // Not to inheritable or ambient, where it would survive into what the process executes
    // (CVE-2022-29162); runc adds --cap to these three sets only.
    std::string id = startWaiting();
    json info = execProbe(id, {"info"}, {"--cap", "CAP_SYS_PTRACE"});
    auto has = [&](const char *set) {
        return (std::stoull(info[set].get<std::string>(), nullptr, 16) >> 19) & 1;
    };
    BOOST_TEST(has("CapBnd") == 1U);
    BOOST_TEST(has("CapEff") == 1U);
    BOOST_TEST(has("CapPrm") == 1U);
    BOOST_TEST(has("CapInh") == 0U, info["CapInh"]);
    BOOST_TEST(has("CapAmb") == 0U, info["CapAmb"]);
}

BOOST_FIXTURE_TEST_CASE(process_json_replaces_the_flags, Fixture)
{
    std::string id = startWaiting();
    fs::path file = bundle.path() / "process.json";
    json p = bundle.config()["process"];
    p["args"] = {"/bin/husk-probe", "info"};
    p["env"] = {"PATH=/bin", "FROM_FILE=yes"};
    p["cwd"] = "/etc";
    p["terminal"] = false;
    std::ofstream(file) << p.dump();
    json info = execProbe(id, {}, {"--process", file.string()});
    BOOST_TEST(info["cwd"] == "/etc");
    bool found = false;
    for (const json &e : info["env"])
        found |= e == "FROM_FILE=yes";
    BOOST_TEST(found, info["env"].dump());
}

BOOST_FIXTURE_TEST_CASE(security_settings_of_the_container_apply, Fixture)
{
    bundle.config()["process"]["noNewPrivileges"] = true;
    bundle.config()["linux"]["seccomp"] = {
        {"defaultAction", "SCMP_ACT_ALLOW"},
        {"syscalls",
         {{{"names", {"getpriority"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 42}}}}};
    std::string id = startWaiting();
    json info = execProbe(id, {"info"});
    BOOST_TEST(info["seccomp"] == 2);
    BOOST_TEST(info["noNewPrivs"] == 1, info.dump());
    json call = execProbe(id, {"syscall", "getpriority", "0", "0"});
    BOOST_TEST(call["errno"] == 42, call.dump());
    // Only stdio crosses into the process.
    for (const json &fd : info["fds"])
        BOOST_TEST(fd["fd"].get<int>() <= 2, fd.dump());
}

BOOST_FIXTURE_TEST_CASE(timeout_kills_and_exits_124, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    std::string id = startWaiting();
    auto begin = std::chrono::steady_clock::now();
    CommandResult r = exec(id, {"--timeout", "1"}, {"/bin/husk-probe", "sleep", "30"});
    BOOST_TEST(r.exitCode == 124, r.describe());
    bool killedEarly = std::chrono::steady_clock::now() - begin < 20s; // it would sleep 30
    BOOST_TEST(killedEarly);
}

BOOST_FIXTURE_TEST_CASE(runtime_binary_is_refused, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    std::string id = startWaiting();
    CommandResult r = exec(id, {}, {"/proc/self/exe"});
    BOOST_TEST(r.failed(), r.describe());
    BOOST_TEST(r.err.find("would execute the host's husk binary") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(errors)

BOOST_FIXTURE_TEST_CASE(stopped_or_missing_container, Fixture)
{
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    std::string id = newId();
    BOOST_REQUIRE(run(id, {"--keep"}).ok());
    CommandResult stopped = exec(id, {}, {"/bin/husk-probe", "exit", "0"});
    BOOST_TEST(stopped.failed(), stopped.describe());
    CommandResult missing = exec(newId(), {}, {"/bin/husk-probe", "exit", "0"});
    BOOST_TEST(missing.exitCode == 255, missing.describe());
}

BOOST_FIXTURE_TEST_CASE(missing_command_fails, Fixture)
{
    std::string id = startWaiting();
    CommandResult r = exec(id, {}, {"/no/such/program"});
    // runc's 255: the runtime failed, not the process.
    BOOST_TEST(r.exitCode == 255, r.describe());
    BOOST_TEST(r.err.find("/no/such/program") != std::string::npos, r.err);
    // The container is unharmed.
    BOOST_TEST(status(id) == "running");
}

BOOST_AUTO_TEST_SUITE_END()
