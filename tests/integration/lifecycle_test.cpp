// Integration tests: the container lifecycle (create, start, run, state, kill, delete, list)
// and the runtime's errors for bad ids and bad bundles.

#ifndef BOOST_TEST_DYN_LINK // meson's boost dependency may define it already
#define BOOST_TEST_DYN_LINK
#endif
#define BOOST_TEST_MODULE lifecycle
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "tests/integration/harness.h"

using namespace husk::test;
using nlohmann::json;
namespace fs = std::filesystem;

BOOST_TEST_GLOBAL_FIXTURE(RunFixture);

namespace {

/// The names in the runtime root directory (a failed create must add none).
std::set<std::string> rootEntries()
{
    std::set<std::string> out;
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator(rootDir(), ec))
        out.insert(entry.path().filename().string());
    return out;
}

/// Whether a process with this pid exists.
bool processExists(int pid)
{
    return pid > 0 && fs::exists("/proc/" + std::to_string(pid));
}

/// Asserts that creating a container from the fixture's bundle fails with exit code 1 and
/// leaves nothing behind in the root directory.
void expectCreateFails(Fixture &f, const std::string &id, const std::string &why)
{
    std::set<std::string> before = rootEntries();
    CommandResult r = f.create(id);
    BOOST_TEST_CONTEXT(why)
    {
        BOOST_TEST(r.exitCode == 1, r.describe());
        BOOST_TEST(!r.err.empty(), "no error message: " << r.describe());
        BOOST_TEST((rootEntries() == before), "create left state behind in " << rootDir());
        BOOST_TEST(f.status(id).empty(), "state still answers for " << id);
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(lifecycle)

BOOST_FIXTURE_TEST_CASE(create_start_stop_delete, Fixture)
{
    bundle.setProbeArgs({"echo", "hello", "from", "husk"});
    bundle.save();
    std::string id = newId();

    CommandResult c = create(id);
    BOOST_REQUIRE_MESSAGE(c.ok(), c.describe());
    std::optional<json> s = state(id);
    BOOST_REQUIRE(s.has_value());
    BOOST_TEST((*s)["status"] == "created");
    int pid = (*s)["pid"].get<int>();
    BOOST_TEST(pid > 0);
    BOOST_TEST(processExists(pid), "init pid " << pid << " is not alive after create");
    BOOST_TEST(io.out().empty(), "the user process ran before start: " << io.out());

    CommandResult st = start(id);
    BOOST_REQUIRE_MESSAGE(st.ok(), st.describe());
    BOOST_TEST(io.waitForOut("hello from husk\n"), "output: " << io.out());
    BOOST_TEST(waitForStatus(id, "stopped"), "status: " << status(id));

    CommandResult d = remove(id);
    BOOST_TEST(d.ok(), d.describe());
    BOOST_TEST(!state(id).has_value(), "state answers after delete");
    BOOST_TEST(!fs::exists(rootDir() / id));
}

BOOST_FIXTURE_TEST_CASE(run_returns_exit_code, Fixture)
{
    bundle.setProbeArgs({"exit", "7"});
    bundle.save();
    std::string id = newId();
    CommandResult r = run(id);
    BOOST_TEST(r.exitCode == 7, r.describe());
    // run without --detach deletes the container when it exits.
    BOOST_TEST(!state(id).has_value());

    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    CommandResult ok = run(newId());
    BOOST_TEST(ok.exitCode == 0, ok.describe());
}

BOOST_FIXTURE_TEST_CASE(run_passes_output_through, Fixture)
{
    bundle.setProbeArgs({"echo", "through", "run"});
    bundle.save();
    CommandResult r = run(newId());
    BOOST_TEST(r.ok(), r.describe());
    BOOST_TEST(r.out == "through run\n");
}

BOOST_FIXTURE_TEST_CASE(run_detach_leaves_it_running, Fixture)
{
    bundle.setProbeArgs({"sleep", "60"});
    bundle.save();
    std::string id = newId();
    CommandResult r = run(id, {"--detach"});
    BOOST_REQUIRE_MESSAGE(r.ok(), r.describe());
    BOOST_TEST(status(id) == "running");
    CommandResult d = remove(id, true);
    BOOST_TEST(d.ok(), d.describe());
    BOOST_TEST(!state(id).has_value());
}

BOOST_FIXTURE_TEST_CASE(pid_file_matches_state, Fixture)
{
    bundle.setProbeArgs({"sleep", "60"});
    bundle.save();
    std::string id = newId();
    fs::path pidFile = bundle.path() / "init.pid";
    CommandResult c = create(id, {"--pid-file", pidFile.string()});
    BOOST_REQUIRE_MESSAGE(c.ok(), c.describe());
    std::ifstream in(pidFile);
    int filePid = 0;
    in >> filePid;
    std::optional<json> s = state(id);
    BOOST_REQUIRE(s.has_value());
    BOOST_TEST(filePid == (*s)["pid"].get<int>());
}

BOOST_FIXTURE_TEST_CASE(start_twice_fails, Fixture)
{
    bundle.setProbeArgs({"sleep", "60"});
    bundle.save();
    std::string id = newId();
    BOOST_REQUIRE(create(id).ok());
    CommandResult first = start(id);
    BOOST_REQUIRE_MESSAGE(first.ok(), first.describe());
    BOOST_TEST(status(id) == "running");
    CommandResult second = start(id);
    BOOST_TEST(second.failed(), second.describe());
    BOOST_TEST(!second.err.empty(), "no error message");
    BOOST_TEST(status(id) == "running");
}

BOOST_FIXTURE_TEST_CASE(start_stopped_fails, Fixture)
{
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    std::string id = newId();
    BOOST_REQUIRE(create(id).ok());
    BOOST_REQUIRE(start(id).ok());
    BOOST_REQUIRE(waitForStatus(id, "stopped"));
    CommandResult again = start(id);
    BOOST_TEST(again.failed(), again.describe());
    BOOST_TEST(!again.err.empty());
}

BOOST_FIXTURE_TEST_CASE(delete_running_needs_force, Fixture)
{
    bundle.setProbeArgs({"sleep", "60"});
    bundle.save();
    std::string id = newId();
    BOOST_REQUIRE(create(id).ok());
    BOOST_REQUIRE(start(id).ok());
    int pid = (*state(id))["pid"].get<int>();

    CommandResult d = remove(id);
    BOOST_TEST(d.failed(), d.describe());
    BOOST_TEST(!d.err.empty());
    BOOST_TEST(status(id) == "running");

    CommandResult forced = remove(id, true);
    BOOST_TEST(forced.ok(), forced.describe());
    BOOST_TEST(!state(id).has_value());
    reapOrphans();
    BOOST_TEST(!processExists(pid), "init " << pid << " survived delete --force");
}

BOOST_FIXTURE_TEST_CASE(delete_created_needs_force, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    // The spec allows delete only for a stopped container; runc kills a created one anyway.
    bundle.setProbeArgs({"sleep", "60"});
    bundle.save();
    std::string id = newId();
    BOOST_REQUIRE(create(id).ok());
    CommandResult d = remove(id);
    BOOST_TEST(d.failed(), d.describe());
    BOOST_TEST(!d.err.empty());
    BOOST_TEST(status(id) == "created");
    CommandResult forced = remove(id, true);
    BOOST_TEST(forced.ok(), forced.describe());
}

BOOST_FIXTURE_TEST_CASE(delete_stopped_without_force, Fixture)
{
    bundle.setProbeArgs({"exit", "3"});
    bundle.save();
    std::string id = newId();
    BOOST_REQUIRE(create(id).ok());
    BOOST_REQUIRE(start(id).ok());
    BOOST_REQUIRE(waitForStatus(id, "stopped"));
    CommandResult d = remove(id);
    BOOST_TEST(d.ok(), d.describe());
    BOOST_TEST(!fs::exists(rootDir() / id));
}

BOOST_FIXTURE_TEST_CASE(kill_stopped_fails, Fixture)
{
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    std::string id = newId();
    BOOST_REQUIRE(create(id).ok());
    BOOST_REQUIRE(start(id).ok());
    BOOST_REQUIRE(waitForStatus(id, "stopped"));
    CommandResult k = kill(id, "KILL");
    BOOST_TEST(k.failed(), k.describe());
    // runc's words, which containerd's shim matches to report "process already finished".
    BOOST_TEST(k.err.find("container not running") != std::string::npos, k.describe());
}

BOOST_FIXTURE_TEST_CASE(kill_all_reaches_what_a_stopped_init_left, Fixture)
{
    // Without a pid namespace of its own, a container's processes outlive its init. When the
    // init exits, containerd's runc shim sends `kill --all ID 9` to the now stopped container
    // (and again on `ctr task delete --force`): like runc, that signals whatever is left in
    // the cgroup and succeeds, also once nothing is left.
    bundle.removeNamespace("pid");
    bundle.config()["process"]["args"] = {"sh", "-c", "sleep 300 & exit 0"};
    bundle.save();
    std::string id = newId();
    BOOST_REQUIRE(create(id).ok());
    BOOST_REQUIRE(start(id).ok());
    BOOST_REQUIRE(waitForStatus(id, "stopped"));
    CommandResult before = runHusk({"ps", "--format", "json", id});
    BOOST_REQUIRE_MESSAGE(before.ok(), before.describe());
    BOOST_TEST(parseJson(before.out).size() == 1u, "the sleep is not left: " << before.out);

    CommandResult k = runHusk({"kill", "--all", id, "KILL"});
    BOOST_TEST(k.ok(), k.describe());
    bool empty = false;
    for (int i = 0; i < 200 && !empty; ++i) {
        CommandResult ps = runHusk({"ps", "--format", "json", id});
        empty = ps.ok() && parseJson(ps.out).empty();
        if (!empty)
            ::usleep(10000);
    }
    BOOST_TEST(empty, "kill --all left the sleep running");
    CommandResult again = runHusk({"kill", "--all", id, "KILL"});
    BOOST_TEST(again.ok(), again.describe());
    BOOST_TEST(status(id) == "stopped");
}

BOOST_FIXTURE_TEST_CASE(unknown_id_errors, Fixture)
{
    std::string id = newId();
    for (const std::vector<std::string> &args : std::vector<std::vector<std::string>>{
             {"state", id}, {"start", id}, {"kill", id, "TERM"}, {"delete", id}, {"ps", id}}) {
        CommandResult r = runHusk(args);
        BOOST_TEST(r.failed(), r.describe());
        BOOST_TEST(!r.err.empty(), "no message: " << r.describe());
    }
    // Engines clean up with `delete --force` and ignore a container that is already gone.
    CommandResult forced = remove(id, true);
    BOOST_TEST(forced.ok(), forced.describe());
}

BOOST_FIXTURE_TEST_CASE(duplicate_id_errors, Fixture)
{
    bundle.setProbeArgs({"sleep", "60"});
    bundle.save();
    std::string id = newId();
    BOOST_REQUIRE(create(id).ok());
    int pid = (*state(id))["pid"].get<int>();
    ContainerIo other(bundle.path(), "other");
    CommandResult again = create(id, bundle, other);
    BOOST_TEST(again.failed(), again.describe());
    BOOST_TEST(!again.err.empty());
    std::optional<json> s = state(id);
    BOOST_REQUIRE(s.has_value());
    BOOST_TEST((*s)["status"] == "created");
    BOOST_TEST((*s)["pid"].get<int>() == pid, "the first container's state was replaced");
}

BOOST_FIXTURE_TEST_CASE(debug_logs_each_step_of_create_and_exec, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    // --debug says where create and exec are, step by step, so a failure can be placed: the
    // cgroups, the init and its namespaces, each mount, the hooks, pivot_root, the masked
    // paths, the process (uid, cwd, executable); for exec the namespaces it joins.
    bundle.config()["hooks"] = {{"prestart", {{{"path", "/bin/true"}}}}};
    bundle.setProbeArgs({"sleep", "30"});
    bundle.save();
    fs::path logFile = bundle.path() / "debug.log";
    std::string id = newId();
    CommandResult c =
        create(id, bundle, io, {"--debug", "--log", logFile.string(), "--log-format", "json"});
    BOOST_REQUIRE_MESSAGE(c.ok(), c.describe());
    CommandResult e = runHusk({"--debug", "--log", logFile.string(), "--log-format", "json", "exec",
                               id, "/bin/husk-probe", "exit", "0"});
    BOOST_REQUIRE_MESSAGE(e.ok(), e.describe());
    std::vector<std::string> messages;
    std::ifstream in(logFile);
    for (std::string line; std::getline(in, line);) {
        json j = json::parse(line, nullptr, false);
        BOOST_REQUIRE_MESSAGE(!j.is_discarded(), "not a JSON line: " << line);
        if (j["level"] == "debug")
            messages.push_back(j["msg"].get<std::string>());
    }
    auto index = [&](const std::string &prefix) {
        for (size_t i = 0; i < messages.size(); ++i)
            if (messages[i].starts_with(prefix))
                return static_cast<long>(i);
        return -1L;
    };
    std::string all;
    for (const std::string &m : messages)
        all += m + "\n";
    const std::vector<std::string> inOrder = {
        "cgroups: ",
        "init: pid ",
        "init: rootfs ",
        "mount \"/proc\": proc",
        "hook hooks.prestart[0] (/bin/true)",
        "init: pivot_root into ",
        "init: ",
        "process: uid 0, gid 0, cwd /",
    };
    long last = -1;
    for (const std::string &step : inOrder) {
        long at = index(step);
        BOOST_TEST(at >= 0, "no \"" << step << "\" in:\n" << all);
        if (step != "init: ") {
            BOOST_TEST(at > last, "\"" << step << "\" out of order in:\n" << all);
            last = at;
        }
    }
    BOOST_TEST(index("exec: pid ") > index("process: uid 0"), all);
    BOOST_TEST(all.find("exec /bin/husk-probe") != std::string::npos, all);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bad_bundles)

BOOST_FIXTURE_TEST_CASE(missing_config, Fixture)
{
    fs::remove(bundle.path() / "config.json");
    expectCreateFails(*this, newId(), "no config.json");
}

BOOST_FIXTURE_TEST_CASE(broken_json, Fixture)
{
    bundle.writeRawConfig("{\"ociVersion\": \"1.0.2\", \"process\": {");
    expectCreateFails(*this, newId(), "truncated JSON");
}

BOOST_FIXTURE_TEST_CASE(wrong_type_deep_in_config, Fixture)
{
    bundle.config()["process"]["user"]["uid"] = "zero";
    bundle.save();
    expectCreateFails(*this, newId(), "process.user.uid is a string");
}

BOOST_FIXTURE_TEST_CASE(unknown_namespace, Fixture)
{
    bundle.config()["linux"]["namespaces"].push_back({{"type", "bogus"}});
    bundle.save();
    expectCreateFails(*this, newId(), "namespace type bogus");
}

BOOST_FIXTURE_TEST_CASE(missing_rootfs, Fixture)
{
    bundle.config()["root"]["path"] = "no-such-rootfs";
    bundle.save();
    expectCreateFails(*this, newId(), "root.path does not exist");
}

BOOST_FIXTURE_TEST_CASE(missing_process_binary, Fixture)
{
    // The binary is looked up at create time; engines map this message to exit 127.
    bundle.config()["process"]["args"] = {"/bin/no-such-binary"};
    bundle.save();
    std::string id = newId();
    std::set<std::string> before = rootEntries();
    CommandResult r = create(id);
    BOOST_TEST(r.failed(), r.describe());
    BOOST_TEST((r.err.find("no such file or directory") != std::string::npos ||
                r.err.find("No such file or directory") != std::string::npos),
               r.describe());
    BOOST_TEST((rootEntries() == before));
}

BOOST_FIXTURE_TEST_CASE(id_with_slash, Fixture)
{
    std::string id = newContainerId() + "/evil";
    std::set<std::string> before = rootEntries();
    CommandResult r = create(id);
    BOOST_TEST(r.exitCode == 1, r.describe());
    BOOST_TEST(!r.err.empty());
    BOOST_TEST((rootEntries() == before));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(kill_signals)

BOOST_FIXTURE_TEST_CASE(catchable_signals_by_name_and_number, Fixture)
{
    const std::vector<std::pair<std::string, int>> cases = {
        {"TERM", SIGTERM}, {"SIGTERM", SIGTERM}, {"15", SIGTERM},
        {"USR1", SIGUSR1}, {"SIGHUP", SIGHUP},   {"12", SIGUSR2},
    };
    for (const auto &[name, number] : cases) {
        BOOST_TEST_CONTEXT("kill " << name)
        {
            std::string id = startWaiting();
            CommandResult k = kill(id, name);
            BOOST_TEST(k.ok(), k.describe());
            BOOST_TEST(io.waitForOut("\"signal\""), "no signal seen: " << io.out());
            std::vector<json> lines = parseJsonLines(io.out());
            BOOST_REQUIRE(lines.size() >= 2);
            BOOST_TEST(lines[1]["signal"].get<int>() == number, lines[1].dump());
            BOOST_TEST(waitForStatus(id, "stopped"));
            BOOST_TEST(remove(id).ok());
        }
    }
}

BOOST_FIXTURE_TEST_CASE(default_signal_is_term, Fixture)
{
    std::string id = startWaiting();
    CommandResult k = runHusk({"kill", id});
    BOOST_TEST(k.ok(), k.describe());
    BOOST_TEST(io.waitForOut("\"signal\""), "no signal seen: " << io.out());
    std::vector<json> lines = parseJsonLines(io.out());
    BOOST_REQUIRE(lines.size() >= 2);
    BOOST_TEST(lines[1]["signal"].get<int>() == SIGTERM);
}

BOOST_FIXTURE_TEST_CASE(sigkill_by_name_and_number, Fixture)
{
    for (const std::string name : {"KILL", "SIGKILL", "9"}) {
        BOOST_TEST_CONTEXT("kill " << name)
        {
            std::string id = startWaiting();
            CommandResult k = kill(id, name);
            BOOST_TEST(k.ok(), k.describe());
            BOOST_TEST(waitForStatus(id, "stopped"), "status: " << status(id));
            BOOST_TEST(remove(id).ok());
        }
    }
}

BOOST_FIXTURE_TEST_CASE(bad_signal_fails, Fixture)
{
    std::string id = startWaiting();
    CommandResult k = kill(id, "NOTASIGNAL");
    BOOST_TEST(k.failed(), k.describe());
    BOOST_TEST(status(id) == "running");
}

BOOST_FIXTURE_TEST_CASE(kill_created_container, Fixture)
{
    // A created container's init is waiting for start; KILL must end it.
    bundle.setProbeArgs({"sleep", "60"});
    bundle.save();
    std::string id = newId();
    BOOST_REQUIRE(create(id).ok());
    CommandResult k = kill(id, "KILL");
    BOOST_TEST(k.ok(), k.describe());
    BOOST_TEST(waitForStatus(id, "stopped"), "status: " << status(id));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(state_and_list)

BOOST_FIXTURE_TEST_CASE(state_fields, Fixture)
{
    bundle.config()["annotations"] = {{"org.husk.test", "yes"}, {"other", "1"}};
    bundle.setProbeArgs({"sleep", "60"});
    bundle.save();
    std::string id = newId();
    BOOST_REQUIRE(create(id).ok());
    std::optional<json> s = state(id);
    BOOST_REQUIRE(s.has_value());
    BOOST_TEST_MESSAGE("state: " << s->dump());
    BOOST_TEST((*s)["ociVersion"].is_string());
    BOOST_TEST(!(*s)["ociVersion"].get<std::string>().empty());
    BOOST_TEST((*s)["id"] == id);
    BOOST_TEST((*s)["status"] == "created");
    BOOST_TEST((*s)["pid"].is_number_integer());
    BOOST_TEST((*s)["pid"].get<int>() > 0);
    BOOST_TEST((*s)["bundle"] == bundle.path().string());
    BOOST_TEST((*s)["annotations"] == bundle.config()["annotations"]);

    BOOST_REQUIRE(start(id).ok());
    BOOST_TEST(status(id) == "running");
    BOOST_REQUIRE(kill(id, "KILL").ok());
    BOOST_TEST(waitForStatus(id, "stopped"));
}

BOOST_FIXTURE_TEST_CASE(list_shows_containers, Fixture)
{
    bundle.setProbeArgs({"sleep", "60"});
    bundle.save();
    std::string a = newId();
    std::string b = newId();
    ContainerIo ioB(bundle.path(), "b");
    BOOST_REQUIRE(create(a).ok());
    BOOST_REQUIRE(create(b, bundle, ioB).ok());
    BOOST_REQUIRE(start(b).ok());

    CommandResult table = runHusk({"list"});
    BOOST_REQUIRE_MESSAGE(table.ok(), table.describe());
    BOOST_TEST(table.out.starts_with("ID"), table.out);
    std::istringstream lines(table.out);
    std::string line;
    int seen = 0;
    while (std::getline(lines, line)) {
        if (line.starts_with(a + " ")) {
            BOOST_TEST(line.find("created") != std::string::npos, line);
            ++seen;
        }
        if (line.starts_with(b + " ")) {
            BOOST_TEST(line.find("running") != std::string::npos, line);
            ++seen;
        }
    }
    BOOST_TEST(seen == 2, table.out);

    CommandResult js = runHusk({"list", "--format", "json"});
    BOOST_REQUIRE_MESSAGE(js.ok(), js.describe());
    json list = json::parse(js.out, nullptr, false);
    BOOST_REQUIRE(list.is_array());
    std::map<std::string, json> byId;
    for (const json &c : list)
        byId[c.value("id", "")] = c;
    BOOST_REQUIRE(byId.count(a) == 1);
    BOOST_REQUIRE(byId.count(b) == 1);
    BOOST_TEST(byId[a]["status"] == "created");
    BOOST_TEST(byId[b]["status"] == "running");
    BOOST_TEST(byId[a]["pid"].get<int>() > 0);
    BOOST_TEST(byId[a]["bundle"] == bundle.path().string());
    // runc's key order (ociVersion, id, pid, status, bundle, ...): consumers match the text.
    size_t at = 0;
    for (const char *key : {"\"ociVersion\"", "\"id\"", "\"pid\"", "\"status\"", "\"bundle\"",
                            "\"rootfs\"", "\"created\""}) {
        size_t next = js.out.find(key, at);
        BOOST_TEST(next != std::string::npos, key << " out of order in " << js.out);
        at = next == std::string::npos ? at : next;
    }

    CommandResult quiet = runHusk({"list", "-q"});
    BOOST_REQUIRE(quiet.ok());
    BOOST_TEST(quiet.out.find(a + "\n") != std::string::npos, quiet.out);
    BOOST_TEST(quiet.out.find(b + "\n") != std::string::npos, quiet.out);

    // runc's global flags and help command.
    CommandResult help = runCommand({runtimePath(), "help", "state"});
    BOOST_TEST(help.ok(), help.describe());
    BOOST_TEST(help.out.find("Usage: husk state") != std::string::npos, help.out);
    CommandResult flags =
        runHusk({"--rootless", "false", "--criu", "/usr/sbin/criu", "list", "-q"});
    BOOST_TEST(flags.ok(), flags.describe());
    BOOST_TEST(runHusk({"--rootless", "sometimes", "list"}).exitCode == 2);

    // As runc: a --root given that does not exist is an error, not an empty list.
    std::string missing = "/run/husktest-missing-" + std::to_string(::getpid());
    CommandResult none = runCommand({runtimePath(), "--root", missing, "list"});
    BOOST_TEST(none.exitCode == 1, none.describe());
    BOOST_TEST(none.err.find(missing) != std::string::npos, none.err);
    BOOST_TEST(!fs::exists(missing));
}

BOOST_AUTO_TEST_SUITE_END()
