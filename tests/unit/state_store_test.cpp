// libcontainer/container/state_store.h: state.json (de)serialization, the state root, container
// directories, atomic saves, the exec fifo and the per-container lock.

#define BOOST_TEST_MODULE state_store
#include "tests/unit/libcontainer_test_helpers.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "libcontainer/container/state_store.h"

using namespace husk;
using namespace lc_test;
namespace fs = std::filesystem;

namespace {

StateRecord fullRecord()
{
    StateRecord r;
    r.id = "redis-1";
    r.status = Status::Paused;
    r.pid = 4242;
    r.initStartTime = 123456789012345ULL;
    r.bundle = "/containers/redis";
    r.rootfs = "/containers/redis/rootfs";
    r.created = "2024-05-01T10:20:30.123456789Z";
    r.owner = 1000;
    r.annotations = {{"org.example/a", "1"}, {"b", "two words"}};
    r.cgroup.paths = {{"memory", "/sys/fs/cgroup/memory/husk/redis-1"},
                      {"unified", "/sys/fs/cgroup/unified/husk/redis-1"}};
    r.cgroup.created = {"/sys/fs/cgroup/memory/husk", "/sys/fs/cgroup/memory/husk/redis-1"};
    r.cgroup.removeIfEmpty = {"/sys/fs/cgroup/memory/husk"};
    r.cgroup.systemdUnit = "husk-redis-1.scope";
    r.config = nlohmann::json{{"ociVersion", "1.2.0"}, {"process", {{"args", {"redis"}}}}};
    return r;
}

void checkEqual(const StateRecord &a, const StateRecord &b)
{
    BOOST_TEST(a.id == b.id);
    BOOST_TEST((a.status == b.status));
    BOOST_TEST(a.pid == b.pid);
    BOOST_TEST(a.initStartTime == b.initStartTime);
    BOOST_TEST(a.bundle == b.bundle);
    BOOST_TEST(a.rootfs == b.rootfs);
    BOOST_TEST(a.created == b.created);
    BOOST_TEST(a.owner == b.owner);
    BOOST_TEST((a.annotations == b.annotations));
    BOOST_TEST((a.cgroup.paths == b.cgroup.paths));
    BOOST_TEST(a.cgroup.created == b.cgroup.created, boost::test_tools::per_element());
    BOOST_TEST(a.cgroup.removeIfEmpty == b.cgroup.removeIfEmpty, boost::test_tools::per_element());
    BOOST_TEST(a.cgroup.systemdUnit == b.cgroup.systemdUnit);
    BOOST_TEST(a.config == b.config);
}

std::set<std::string> entries(const std::string &dir)
{
    std::set<std::string> out;
    for (const auto &e : fs::directory_iterator(dir))
        out.insert(e.path().filename().string());
    return out;
}

mode_t permissions(const std::string &path)
{
    struct stat st {};
    BOOST_REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

} // namespace

BOOST_AUTO_TEST_SUITE(json)

BOOST_AUTO_TEST_CASE(to_json_fields)
{
    nlohmann::json j = stateRecordToJson(fullRecord());
    BOOST_TEST(j.at("id") == "redis-1");
    BOOST_TEST(j.at("status") == "paused");
    BOOST_TEST(j.at("pid") == 4242);
    BOOST_TEST(j.at("initStartTime") == 123456789012345ULL);
    BOOST_TEST(j.at("bundle") == "/containers/redis");
    BOOST_TEST(j.at("rootfs") == "/containers/redis/rootfs");
    BOOST_TEST(j.at("created") == "2024-05-01T10:20:30.123456789Z");
    BOOST_TEST(j.at("owner") == 1000);
    BOOST_TEST(j.at("annotations").at("b") == "two words");
    BOOST_TEST(j.at("cgroup").at("paths").at("memory") == "/sys/fs/cgroup/memory/husk/redis-1");
    BOOST_TEST(j.at("cgroup").at("created").size() == 2U);
    BOOST_TEST(j.at("cgroup").at("removeIfEmpty").at(0) == "/sys/fs/cgroup/memory/husk");
    BOOST_TEST(j.at("cgroup").at("systemdUnit") == "husk-redis-1.scope");
    // A cgroupfs container's state has no systemdUnit key at all.
    StateRecord plain = fullRecord();
    plain.cgroup.systemdUnit.clear();
    BOOST_TEST(!stateRecordToJson(plain).at("cgroup").contains("systemdUnit"));
    // The config goes to config.json; state.json keeps what `state` prints of it.
    BOOST_TEST(!j.contains("config"));
    BOOST_TEST(j.at("configOciVersion") == "1.2.0");
}

BOOST_AUTO_TEST_CASE(round_trip_every_field)
{
    StateRecord r = fullRecord();
    // Through text as well, as on disk.
    nlohmann::json j = nlohmann::json::parse(stateRecordToJson(r).dump());
    StateRecord back = require(stateRecordFromJson(j));
    BOOST_TEST(back.configSummary);
    BOOST_TEST(back.config == (nlohmann::json{{"ociVersion", "1.2.0"}}));
    back.config = r.config; // the rest is config.json's (store/save_and_load)
    checkEqual(back, r);
}

BOOST_AUTO_TEST_CASE(round_trip_every_status)
{
    for (Status s :
         {Status::Creating, Status::Created, Status::Running, Status::Paused, Status::Stopped}) {
        StateRecord r = fullRecord();
        r.status = s;
        BOOST_TEST((require(stateRecordFromJson(stateRecordToJson(r))).status == s), statusName(s));
    }
}

BOOST_AUTO_TEST_CASE(optional_fields_default)
{
    nlohmann::json j = {
        {"id", "c"}, {"status", "created"}, {"pid", 7}, {"initStartTime", 9}, {"bundle", "/b"}};
    StateRecord r = require(stateRecordFromJson(j));
    BOOST_TEST(r.id == "c");
    BOOST_TEST(r.pid == 7);
    BOOST_TEST(r.rootfs.empty());
    BOOST_TEST(r.created.empty());
    BOOST_TEST(r.owner == 0U);
    BOOST_TEST(r.annotations.empty());
    BOOST_TEST(r.cgroup.paths.empty());
    BOOST_TEST(r.cgroup.created.empty());
    BOOST_TEST(r.cgroup.removeIfEmpty.empty());
    BOOST_TEST(r.config == nlohmann::json::object());
}

BOOST_AUTO_TEST_CASE(bad_documents)
{
    nlohmann::json good = stateRecordToJson(fullRecord());

    nlohmann::json noId = good;
    noId.erase("id");
    BOOST_TEST(errorText(stateRecordFromJson(noId)).starts_with("state.json: "));

    nlohmann::json badStatus = good;
    badStatus["status"] = "zombie";
    BOOST_TEST(errorText(stateRecordFromJson(badStatus)) == "state.json: unknown status");

    nlohmann::json badPid = good;
    badPid["pid"] = "many";
    BOOST_TEST(errorText(stateRecordFromJson(badPid)).starts_with("state.json: "));

    BOOST_TEST(errorText(stateRecordFromJson(nlohmann::json::array())).starts_with("state.json: "));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(store)

BOOST_AUTO_TEST_CASE(open_root)
{
    BOOST_TEST(errorText(StateStore::open("relative/root")) ==
               "--root must be an absolute path, got \"relative/root\"");
    BOOST_TEST(errorText(StateStore::open("")) == "--root must be an absolute path, got \"\"");

    TempDir tmp;
    std::string root = tmp / "a/b/root";
    StateStore s = require(StateStore::open(root));
    BOOST_TEST(s.root() == root);
    BOOST_TEST(fs::is_directory(root));
    BOOST_TEST(permissions(tmp / "a") == 0700U);
    BOOST_TEST(permissions(root) == 0700U);
    // Opening an existing root is fine.
    require(StateStore::open(root));
}

BOOST_AUTO_TEST_CASE(create_and_duplicate)
{
    TempDir tmp;
    StateStore s = require(StateStore::open(tmp.path()));
    ContainerDir d = require(s.create("c1"));
    BOOST_TEST(d.path() == tmp / "c1");
    BOOST_TEST(d.fd() >= 0);
    BOOST_TEST(fs::is_directory(tmp / "c1"));
    BOOST_TEST(permissions(tmp / "c1") == 0700U);

    std::string err = errorText(s.create("c1"));
    BOOST_TEST(contains(err, "already exists"), err);
    BOOST_TEST(err == "container \"c1\" already exists");
}

BOOST_AUTO_TEST_CASE(open_unknown_container)
{
    TempDir tmp;
    StateStore s = require(StateStore::open(tmp.path()));
    auto r = s.openContainer("nope");
    BOOST_TEST(errorCode(r) == ENOENT);
    BOOST_TEST(errorMessage(r) == "container \"nope\" does not exist");
    BOOST_TEST(contains(errorText(r), "does not exist"));
}

BOOST_AUTO_TEST_CASE(save_and_load)
{
    TempDir tmp;
    StateStore s = require(StateStore::open(tmp.path()));
    ContainerDir d = require(s.create("redis-1"));
    StateRecord r = fullRecord();
    requireOk(d.save(r));
    checkEqual(require(d.load()), r);

    // Another handle sees the same state; a second save replaces it.
    ContainerDir other = require(s.openContainer("redis-1"));
    checkEqual(require(other.load()), r);
    r.status = Status::Stopped;
    r.pid = 0;
    requireOk(d.save(r));
    checkEqual(require(other.load()), r);
    BOOST_TEST(permissions(tmp / "redis-1/state.json") == 0600U);
    BOOST_TEST(permissions(tmp / "redis-1/config.json") == 0600U);
    BOOST_TEST(nlohmann::json::parse(std::ifstream(tmp / "redis-1/config.json")) == r.config);
}

BOOST_AUTO_TEST_CASE(config_json_is_written_first_and_only_when_it_changed)
{
    TempDir tmp;
    StateStore s = require(StateStore::open(tmp.path()));
    ContainerDir d = require(s.create("c1"));
    StateRecord r = fullRecord();
    BOOST_TEST(!r.configStored);
    requireOk(d.save(r));
    BOOST_TEST(r.configStored);
    // Later saves (status, pid) leave config.json alone: its inode stays.
    struct stat before {};
    BOOST_REQUIRE(::stat((tmp / "c1/config.json").c_str(), &before) == 0);
    r.status = Status::Running;
    requireOk(d.save(r));
    struct stat after {};
    BOOST_REQUIRE(::stat((tmp / "c1/config.json").c_str(), &after) == 0);
    BOOST_TEST(before.st_ino == after.st_ino);
    // update's merge marks it changed, and the next save writes it.
    recordResources(r, nlohmann::json{{"pids", {{"limit", 10}}}});
    BOOST_TEST(!r.configStored);
    requireOk(d.save(r));
    BOOST_TEST(require(d.load()).config["linux"]["resources"]["pids"]["limit"] == 10);
    // A config.json that fails to write leaves the old state.json: the record never names a
    // config that is not on disk.
    fs::remove(tmp / "c1/config.json");
    fs::create_directory(tmp / "c1/config.json"); // rename over a directory fails
    recordResources(r, nlohmann::json{{"pids", {{"limit", 20}}}});
    r.status = Status::Paused;
    BOOST_TEST(!d.save(r));
    BOOST_TEST((require(d.load(ContainerDir::Config::Summary)).status == Status::Running));
}

BOOST_AUTO_TEST_CASE(state_json_says_whether_delete_needs_the_config)
{
    StateRecord r = fullRecord(); // no hooks, no netDevices
    BOOST_TEST(stateRecordToJson(r).at("configOnDelete") == false);
    r.config["hooks"]["poststop"] = nlohmann::json::array({{{"path", "/bin/true"}}});
    BOOST_TEST(stateRecordToJson(r).at("configOnDelete") == true);
    r.config["hooks"]["poststop"] = nlohmann::json::array();
    BOOST_TEST(stateRecordToJson(r).at("configOnDelete") == false);
    r.config["linux"]["netDevices"]["eth1"] = nlohmann::json::object();
    BOOST_TEST(stateRecordToJson(r).at("configOnDelete") == true);
    BOOST_TEST(require(stateRecordFromJson(stateRecordToJson(r))).configOnDelete);
    // A summary keeps what it read; a state.json that does not say means "read the config".
    r.config["linux"].erase("netDevices");
    StateRecord back = require(stateRecordFromJson(stateRecordToJson(r)));
    BOOST_TEST(!back.configOnDelete);
    BOOST_TEST(stateRecordToJson(back).at("configOnDelete") == false);
    nlohmann::json silent = stateRecordToJson(r);
    silent.erase("configOnDelete");
    BOOST_TEST(require(stateRecordFromJson(silent)).configOnDelete);
}

BOOST_AUTO_TEST_CASE(summary_load_reads_only_state_json)
{
    // state, list and kill read the small state.json alone; a record read so may be saved
    // (pause does), and config.json stays as it was.
    TempDir tmp;
    StateStore s = require(StateStore::open(tmp.path()));
    ContainerDir d = require(s.create("redis-1"));
    StateRecord r = fullRecord();
    r.annotations["config"] = "an annotation named config is not the config";
    requireOk(d.save(r));
    std::ofstream(tmp / "redis-1/config.json", std::ios::app) << "[[["; // unreadable now
    StateRecord summary = require(d.load(ContainerDir::Config::Summary));
    BOOST_TEST(summary.config == (nlohmann::json{{"ociVersion", "1.2.0"}}));
    BOOST_TEST(summary.configSummary);
    BOOST_TEST((summary.annotations == r.annotations));
    BOOST_TEST((summary.cgroup.paths == r.cgroup.paths));
    BOOST_TEST(summary.pid == r.pid);
    BOOST_TEST(errorText(d.load()).find("config.json: syntax error") != std::string::npos,
               errorText(d.load()));
    BOOST_TEST(errorText(d.loadConfig(summary)).find("config.json") != std::string::npos);
    BOOST_TEST(summary.configSummary); // still the summary after a failed loadConfig

    // Saved from the summary: state.json changes, config.json is not touched.
    r.configStored = false; // the good config back
    requireOk(d.save(r));
    summary = require(d.load(ContainerDir::Config::Summary));
    summary.status = Status::Stopped;
    requireOk(d.save(summary));
    StateRecord whole = require(d.load());
    BOOST_TEST((whole.status == Status::Stopped));
    BOOST_TEST(whole.config == r.config);
    BOOST_TEST(!whole.configSummary);
}

BOOST_AUTO_TEST_CASE(a_state_json_with_the_config_inside_still_loads_and_moves_it_out)
{
    // The layout of an earlier husk: one state.json, config embedded. Containers it made
    // outlive an upgrade.
    TempDir tmp;
    StateStore s = require(StateStore::open(tmp.path()));
    ContainerDir d = require(s.create("old"));
    StateRecord r = fullRecord();
    nlohmann::json legacy = stateRecordToJson(r);
    legacy.erase("configOciVersion");
    legacy["config"] = r.config;
    std::ofstream(tmp / "old/state.json") << legacy.dump();
    checkEqual(require(d.load()), r);
    StateRecord summary = require(d.load(ContainerDir::Config::Summary));
    BOOST_TEST(summary.config == (nlohmann::json{{"ociVersion", "1.2.0"}}));
    // pause saves a summary record: the config is read first and moved to config.json.
    summary.status = Status::Paused;
    requireOk(d.save(summary));
    BOOST_TEST((entries(tmp / "old") == std::set<std::string>{"config.json", "state.json"}));
    BOOST_TEST(!nlohmann::json::parse(std::ifstream(tmp / "old/state.json")).contains("config"));
    StateRecord whole = require(d.load());
    BOOST_TEST(whole.config == r.config);
    BOOST_TEST((whole.status == Status::Paused));
}

BOOST_AUTO_TEST_CASE(load_errors)
{
    TempDir tmp;
    StateStore s = require(StateStore::open(tmp.path()));
    ContainerDir d = require(s.create("c1"));
    auto missing = d.load();
    BOOST_TEST(errorCode(missing) == ENOENT);
    BOOST_TEST(errorMessage(missing) == tmp / "c1" + ": open state.json");

    std::ofstream(tmp / "c1/state.json") << "{\"id\": ";
    BOOST_TEST(errorText(d.load()).starts_with(tmp / "c1" + ": state.json: syntax error at line 1"),
               errorText(d.load()));

    // A state whose recorded config nests deeper than any parser here should recurse: an
    // error, not a crash (it used to take down `list` for every container).
    {
        std::ofstream f(tmp / "c1/state.json");
        f << R"({"id": "c1", "status": "created", "pid": 1, "initStartTime": 1, "bundle": "/b",)"
          << R"( "config": )" << std::string(200000, '[') << std::string(200000, ']') << "}";
    }
    BOOST_TEST(
        errorText(d.load()).starts_with(tmp / "c1" + ": state.json: exceeded max depth 1000"),
        errorText(d.load()));
    // The same in config.json: an error for what needs the config, none for state.
    {
        std::ofstream(tmp / "c1/state.json", std::ios::trunc)
            << R"({"id": "c1", "status": "created", "pid": 1, "initStartTime": 1, "bundle": "/b"})";
        std::ofstream(tmp / "c1/config.json")
            << std::string(200000, '[') << std::string(200000, ']');
    }
    BOOST_TEST(
        errorText(d.load()).starts_with(tmp / "c1" + ": config.json: exceeded max depth 1000"),
        errorText(d.load()));
    BOOST_TEST(require(d.load(ContainerDir::Config::Summary)).id == "c1");
    fs::remove(tmp / "c1/config.json");
    BOOST_TEST(errorCode(d.load()) == ENOENT);
    // Numbers that do not fit: a float out of range was undefined behaviour in the conversion
    // (found by tests/fuzz state); a fraction, a negative pid or one beyond pid_t is no pid.
    auto withNumbers = [&](const std::string &pid, const std::string &start) {
        std::ofstream(tmp / "c1/state.json", std::ios::trunc)
            << R"({"id": "c1", "status": "created", "bundle": "/b", "pid": )" << pid
            << R"(, "initStartTime": )" << start << "}";
        return errorText(d.load());
    };
    for (const char *start : {"55555555555555555555555555555555555555555555555555555", "1.5"})
        BOOST_TEST(withNumbers("1", start).find("initStartTime: not an integer in range") !=
                       std::string::npos,
                   start);
    for (const char *pid : {"-1", "4294967296", "2.5"})
        BOOST_TEST(withNumbers(pid, "1").find("pid: not an integer in range") != std::string::npos,
                   pid);
    for (const char *wrongType : {"[]", "\"x\"", "{\"id\": 7}", ""}) {
        std::ofstream(tmp / "c1/state.json") << wrongType;
        BOOST_TEST(!d.load(), wrongType);
    }
}

BOOST_AUTO_TEST_CASE(create_is_atomic_and_locked)
{
    TempDir tmp;
    StateStore s = require(StateStore::open(tmp.path()));
    ContainerDir d = require(s.create("c1"));
    // It appears already locked (made under a temporary name, renamed into place), so no
    // command sees it before its create holds it.
    BOOST_TEST(d.locked());
    ContainerDir other = require(s.openContainer("c1"));
    BOOST_TEST(other.lockedElsewhere());
    BOOST_TEST(s.holds("c1", other));
    std::vector<std::string> names;
    for (const auto &e : fs::directory_iterator(tmp.path()))
        names.push_back(e.path().filename().string());
    BOOST_TEST(names == std::vector<std::string>{"c1"}, "a temporary name was left");
    BOOST_TEST(errorText(s.create("c1")) == "container \"c1\" already exists");

    // Removed and made again: a handle that waited for the lock meanwhile can tell.
    d.unlock();
    BOOST_REQUIRE(s.remove("c1"));
    ContainerDir again = require(s.create("c1"));
    BOOST_TEST(!s.holds("c1", other));
    BOOST_TEST(s.holds("c1", again));

    // A create killed between its mkdir and its rename leaves an empty temporary directory:
    // list removes it once it is old, and leaves a young one (a create in progress).
    fs::path old = fs::path(tmp.path()) / ".new-999999-c2";
    fs::path young = fs::path(tmp.path()) / ".new-999998-c3";
    fs::create_directory(old);
    fs::create_directory(young);
    timespec times[2] = {{::time(nullptr) - 3600, 0}, {::time(nullptr) - 3600, 0}};
    BOOST_REQUIRE(::utimensat(AT_FDCWD, old.c_str(), times, 0) == 0);
    BOOST_TEST(require(s.list()) == std::vector<std::string>{"c1"});
    BOOST_TEST(!fs::exists(old));
    BOOST_TEST(fs::exists(young));
}

BOOST_AUTO_TEST_CASE(save_leaves_no_temp_file)
{
    TempDir tmp;
    StateStore s = require(StateStore::open(tmp.path()));
    ContainerDir d = require(s.create("c1"));
    for (int i = 0; i < 3; ++i) {
        StateRecord r = fullRecord();
        r.pid = 100 + i;
        r.configStored = i == 2; // config.json written or not, never a temporary file left
        requireOk(d.save(r));
        BOOST_TEST((entries(tmp / "c1") == std::set<std::string>{"config.json", "state.json"}));
    }
}

BOOST_AUTO_TEST_CASE(readers_never_see_a_partial_file)
{
    TempDir tmp;
    StateStore s = require(StateStore::open(tmp.path()));
    ContainerDir writer = require(s.create("big"));
    ContainerDir reader = require(s.openContainer("big"));

    // Two large records (a few hundred KiB each), written alternately.
    StateRecord a = fullRecord();
    a.id = "big";
    a.pid = 1;
    a.config["padding"] = std::vector<std::string>(4000, std::string(64, 'a'));
    StateRecord b = a;
    b.pid = 2;
    b.config["padding"] = std::vector<std::string>(6000, std::string(48, 'b'));
    requireOk(writer.save(a));

    constexpr int kSaves = 150;
    std::atomic<bool> done{false};
    std::atomic<int> saveErrors{0};
    std::thread t([&] {
        for (int i = 0; i < kSaves; ++i) {
            StateRecord &r = i % 2 ? a : b;
            r.configStored = false; // both files rewritten each time
            if (!writer.save(r))
                ++saveErrors;
        }
        done = true;
    });
    int loads = 0;
    int bad = 0;
    std::string firstBad;
    while (!done || loads < 10) {
        auto r = reader.load();
        ++loads;
        // Each file is whole; the two are written one after the other, and only a command
        // holding the lock (update) changes the config, so a reader without it may see one
        // save's state beside the next one's config.
        if (!r || (r->pid != 1 && r->pid != 2) ||
            (r->config["padding"].size() != 4000U && r->config["padding"].size() != 6000U)) {
            if (bad++ == 0)
                firstBad = r ? "wrong content" : r.error().what();
        }
    }
    t.join();
    BOOST_TEST(saveErrors == 0);
    BOOST_TEST(bad == 0, bad << " of " << loads << " loads failed, first: " << firstBad);
    BOOST_TEST_MESSAGE(loads << " loads during " << kSaves << " saves");
    BOOST_TEST((entries(tmp / "big") == std::set<std::string>{"config.json", "state.json"}));
}

BOOST_AUTO_TEST_CASE(list_containers)
{
    TempDir tmp;
    StateStore s = require(StateStore::open(tmp.path()));
    BOOST_TEST(require(s.list()).empty());
    for (const char *id : {"c2", "b0", "c1"})
        require(s.create(id));
    std::ofstream(tmp / "a-file") << "not a container";
    fs::create_directory(tmp / ".hidden");
    fs::create_directory(tmp / "pods"); // husk's own bookkeeping, no state.json
    fs::create_directory(tmp / "networks");
    fs::create_directory_symlink(tmp / "c1", tmp / "link-to-c1");
    std::vector<std::string> expected = {"b0", "c1", "c2"};
    BOOST_TEST(require(s.list()) == expected, boost::test_tools::per_element());

    // A container that happens to be named "ipam" still counts once it has state.
    ContainerDir ipam = require(s.create("ipam"));
    StateRecord ipamRecord = fullRecord();
    requireOk(ipam.save(ipamRecord));
    expected = {"b0", "c1", "c2", "ipam"};
    BOOST_TEST(require(s.list()) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(remove_container)
{
    TempDir tmp;
    StateStore s = require(StateStore::open(tmp.path()));
    {
        ContainerDir d = require(s.create("c1"));
        StateRecord r = fullRecord();
        requireOk(d.save(r));
        requireOk(d.makeExecFifo());
        std::ofstream(tmp / "c1/.state.json.tmp") << "left over";
    }
    require(s.create("c2"));
    requireOk(s.remove("c1"));
    BOOST_TEST(!fs::exists(tmp / "c1"));
    BOOST_TEST(errorCode(s.openContainer("c1")) == ENOENT);
    BOOST_TEST(fs::is_directory(tmp / "c2")); // the others stay
    std::vector<std::string> expected = {"c2"};
    BOOST_TEST(require(s.list()) == expected, boost::test_tools::per_element());
    // Removing what is gone is not an error (delete is idempotent).
    requireOk(s.remove("c1"));
}

BOOST_AUTO_TEST_CASE(exec_fifo)
{
    TempDir tmp;
    StateStore s = require(StateStore::open(tmp.path()));
    ContainerDir d = require(s.create("c1"));
    BOOST_TEST(!d.hasExecFifo());
    requireOk(d.makeExecFifo());
    BOOST_TEST(d.hasExecFifo());
    struct stat st {};
    BOOST_REQUIRE(::stat((tmp / "c1/" + kExecFifoName).c_str(), &st) == 0);
    BOOST_TEST(S_ISFIFO(st.st_mode));
    BOOST_TEST((st.st_mode & 0777) == 0600U);

    auto again = d.makeExecFifo();
    BOOST_TEST(errorCode(again) == EEXIST);
    BOOST_TEST(errorMessage(again) == "mkfifo " + tmp / "c1/exec.fifo");

    d.removeExecFifo();
    BOOST_TEST(!d.hasExecFifo());
    d.removeExecFifo(); // harmless when gone
}

BOOST_AUTO_TEST_CASE(lock_excludes_other_handles)
{
    TempDir tmp;
    StateStore s = require(StateStore::open(tmp.path()));
    ContainerDir a = require(s.create("c1"));
    ContainerDir b = require(s.openContainer("c1"));
    requireOk(a.lock());
    BOOST_TEST(::flock(b.fd(), LOCK_EX | LOCK_NB) == -1);
    BOOST_TEST(errno == EWOULDBLOCK);
    a.unlock();
    BOOST_TEST(::flock(b.fd(), LOCK_EX | LOCK_NB) == 0);
    b.unlock();
}

BOOST_AUTO_TEST_SUITE_END()
