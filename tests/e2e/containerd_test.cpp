// End-to-end test: containerd 1.6 with its io.containerd.runc.v2 shim driving the runtime under
// test ($HUSK_RUNTIME) through `ctr run --runc-binary <husk> --runc-root DIR`, the way a user
// of containerd would.
//
// The test starts a containerd of its own (setsid, stopped by its pid) whose config puts
// everything under a temp dir /tmp/husk-containerd-<pid>-XXXXXX: root, state, the gRPC, ttrpc
// and debug sockets, the opt dir, and TMPDIR (temp mounts). The CRI plugin and the snapshotters
// other than overlayfs are disabled. Its namespace is husktest-<pid> and container ids are
// husktest-<pid>-<n>; the runtime's state goes under DIR/husk (the shim adds the namespace).
// ctr's FIFOs go to DIR/fifo (ctr's default is /run/containerd/fifo).
//
// The image is an OCI image layout built here from a busybox-static rootfs tar and imported
// with `ctr images import --base-name`: no registry, no podman.
//
// One thing containerd 1.6 writes outside that dir whatever its configuration: each shim's
// socket, /run/containerd/s/<sha256 of "ADDRESS/NAMESPACE/ID">. A shim removes it when it exits
// cleanly; the cleanup removes those of our ids that remain, and /run/containerd/s and
// /run/containerd when they did not exist before and are empty. The runtime makes the
// cgroups /<namespace>/<id> (containerd's default cgroupsPath); the cleanup removes the
// namespace's parent cgroup the runtime leaves, as runc leaves it.
//
// Skips (exit 77) when containerd, ctr or the runc v2 shim is not installed, when not root, or
// when the runtime or busybox is missing. Cleans up (tasks, containers, the image, the
// namespace, the daemon, leftover shims and runtime state, shim sockets, cgroups, mounts, the
// temp dir) whether it passed or failed; on SIGTERM/SIGINT/SIGHUP (meson's timeout) a janitor
// in a session of its own does it, since meson kills our process group soon after.

#ifndef BOOST_TEST_DYN_LINK // meson's boost dependency may define it already
#define BOOST_TEST_DYN_LINK
#endif
#define BOOST_TEST_MODULE containerd
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/image.h"
#include "tests/e2e/support.h"
#include "tests/integration/harness.h"

using namespace husk::test;
namespace fs = std::filesystem;

namespace {

/// Where containerd's shims put their sockets (hard-coded in containerd 1.6); removed at the
/// end when we created them and they are empty. Ordered child first.
const std::vector<fs::path> kShimDirs = {"/run/containerd/s", "/run/containerd"};

/// The run's shared state: one containerd and one image for all test cases.
struct ContainerdEnv {
    /// The containerd and ctr binaries.
    std::string containerd;
    std::string ctr;
    /// The runtime under test, an absolute path (the shim runs it from the bundle dir).
    std::string runtime;
    /// The temp dir holding everything containerd writes.
    fs::path dir;
    /// containerd's gRPC socket, DIR/containerd.sock.
    std::string address;
    /// The containerd namespace, husktest-<pid>; also the prefix of every container id.
    std::string ns;
    /// The image, localhost/husktest-<pid>:latest.
    std::string image;
    /// What ctr run gets as --runc-root; the shim keeps the runtime's state in its ns subdir.
    fs::path runcRoot;
    /// The daemon (our child, in a session of its own), -1 when not running.
    pid_t daemon = -1;
    /// Every container id handed out, for the shim sockets left behind.
    std::vector<std::string> ids;
    /// Which of kShimDirs did not exist before we started.
    std::vector<fs::path> newShimDirs;
    /// Whether setup got as far as an imported image; otherwise setupError says why not.
    bool ready = false;
    std::string setupError;
    /// Set once cleanup ran (from the destructor or the termination janitor).
    bool cleanedUp = false;
};

ContainerdEnv &env()
{
    static ContainerdEnv e;
    return e;
}

/// Whether list holds item.
bool contains(const std::vector<std::string> &list, const std::string &item)
{
    return std::find(list.begin(), list.end(), item) != list.end();
}

/// text quoted for sh: in single quotes, each ' written as '\''.
std::string shellQuote(const std::string &text)
{
    std::string out = "'";
    for (char c : text)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

/// Runs ctr against our daemon and namespace. With tty, under script(1): `ctr -t` wants a
/// terminal on its stdin; script's exit status is then ctr's.
CommandResult ctr(const std::vector<std::string> &args, std::chrono::milliseconds timeout = 60s,
                  bool tty = false)
{
    std::vector<std::string> argv = {env().ctr, "--address", env().address, "--namespace",
                                     env().ns};
    argv.insert(argv.end(), args.begin(), args.end());
    if (!tty)
        return runCommand(argv, {.timeout = timeout});
    std::string line;
    for (const std::string &a : argv) {
        if (!line.empty())
            line += ' ';
        line += shellQuote(a);
    }
    return runCommand({"script", "--quiet", "--return", "--command", line, "/dev/null"},
                      {.timeout = timeout});
}

/// Runs the runtime under test on the state dir the shim gives it (--runc-root plus the
/// namespace).
CommandResult runRuntime(const std::vector<std::string> &args)
{
    std::vector<std::string> argv = {env().runtime, "--root", (env().runcRoot / env().ns).string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return runCommand(argv, {.timeout = 30s});
}

/// The first column of each row of a table with a header line (ctr's ls output).
std::vector<std::string> firstColumn(const std::string &table)
{
    std::vector<std::string> rows = lines(table);
    std::vector<std::string> out;
    for (size_t i = 1; i < rows.size(); ++i)
        out.push_back(fields(rows[i])[0]);
    return out;
}

/// A row of `ctr task ls`.
struct TaskRow {
    pid_t pid = 0;
    std::string status;
};

/// The task of container id as `ctr task ls` shows it, nothing when there is none.
std::optional<TaskRow> task(const std::string &id)
{
    CommandResult ls = ctr({"tasks", "ls"});
    for (const std::string &row : lines(ls.out)) {
        std::vector<std::string> f = fields(row);
        if (f.size() >= 3 && f[0] == id)
            return TaskRow{static_cast<pid_t>(std::atoi(f[1].c_str())), f[2]};
    }
    return std::nullopt;
}

/// The status column of `ctr task ls` for id, "" when there is no task.
std::string taskStatus(const std::string &id)
{
    std::optional<TaskRow> row = task(id);
    return row ? row->status : std::string();
}

/// The pids `ctr task ps id` lists (the shim asks the runtime: `ps --format json id`).
std::set<pid_t> ctrPs(const std::string &id, CommandResult *result = nullptr)
{
    CommandResult ps = ctr({"tasks", "ps", id});
    std::set<pid_t> pids;
    for (const std::string &row : firstColumn(ps.out))
        pids.insert(static_cast<pid_t>(std::atoi(row.c_str())));
    if (result != nullptr)
        *result = ps;
    return pids;
}

/// The link text of /proc/<pid>/ns/<type>, "" when the process (or its namespaces) are gone.
std::string nsOf(pid_t pid, const char *type)
{
    std::error_code ec;
    fs::path link = fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/" + type, ec);
    return ec ? std::string() : link.string();
}

/// Every live process in the pid namespace of pid (what is really in the container).
std::set<pid_t> pidsInPidNamespaceOf(pid_t pid)
{
    std::set<pid_t> out;
    std::string wanted = nsOf(pid, "pid");
    if (wanted.empty())
        return out;
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator("/proc", ec)) {
        std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        pid_t p = std::stoi(name);
        if (nsOf(p, "pid") == wanted)
            out.insert(p);
    }
    return out;
}

/// The last NSpid of pid: its pid inside its own pid namespace.
std::string innerPid(pid_t pid)
{
    for (const std::string &row : lines(readFile("/proc/" + std::to_string(pid) + "/status")))
        if (row.starts_with("NSpid:"))
            return fields(row).back();
    return {};
}

/// The number of lines in a file.
size_t lineCount(const fs::path &path)
{
    std::string text = readFile(path);
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

/// The socket containerd 1.6's shim for container id listens on: /run/containerd/s/ and the
/// hex sha256 of "ADDRESS/NAMESPACE/ID". "" when it can't be computed.
std::string shimSocket(const std::string &id)
{
    fs::path text = env().dir / ("shim-name-" + id);
    if (!writeFile(text, env().address + "/" + env().ns + "/" + id))
        return {};
    std::string digest = sha256File(text);
    std::error_code ec;
    fs::remove(text, ec);
    return digest.empty() ? std::string() : "/run/containerd/s/" + digest;
}

/// The cgroup dirs the runtime made for id (containerd's cgroupsPath is /<namespace>/<id>)
/// that still exist, in every hierarchy.
std::vector<fs::path> cgroupDirs(const std::string &id)
{
    std::vector<fs::path> out;
    std::vector<fs::path> hierarchies = {"/sys/fs/cgroup"};
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator("/sys/fs/cgroup", ec))
        if (entry.is_directory(ec) && !entry.is_symlink(ec))
            hierarchies.push_back(entry.path());
    for (const fs::path &h : hierarchies) {
        fs::path d = id.empty() ? h / env().ns : h / env().ns / id;
        if (fs::is_directory(d, ec))
            out.push_back(d);
    }
    return out;
}

/// containerd's config: everything under dir, no CRI, overlayfs the only snapshotter.
std::string daemonConfig(const fs::path &dir, const std::string &address)
{
    std::ostringstream c;
    c << "# written by husk's e2e containerd test\n"
      << "version = 2\n"
      << "root = " << toml((dir / "root").string()) << "\n"
      << "state = " << toml((dir / "state").string()) << "\n"
      << "disabled_plugins = [\"io.containerd.grpc.v1.cri\", "
      << "\"io.containerd.snapshotter.v1.aufs\", \"io.containerd.snapshotter.v1.btrfs\", "
      << "\"io.containerd.snapshotter.v1.devmapper\", \"io.containerd.snapshotter.v1.native\", "
      << "\"io.containerd.snapshotter.v1.zfs\"]\n\n"
      << "[grpc]\n  address = " << toml(address) << "\n\n"
      << "[ttrpc]\n  address = " << toml(address + ".ttrpc") << "\n\n"
      << "[debug]\n  address = " << toml((dir / "debug.sock").string()) << "\n"
      << "  level = \"info\"\n\n"
      << "[plugins]\n"
      << "  [plugins.\"io.containerd.internal.v1.opt\"]\n"
      << "    path = " << toml((dir / "opt").string()) << "\n";
    return c.str();
}

/// Whether pid is still the daemon we started: alive, not a zombie, and its command line
/// names our temp dir (so a reused pid is never signalled).
bool isOurDaemon(pid_t pid)
{
    if (pid <= 0 || processGone(pid))
        return false;
    return readFile("/proc/" + std::to_string(pid) + "/cmdline").find(env().dir.string()) !=
           std::string::npos;
}

/// Stops the daemon by its pid: SIGTERM, then SIGKILL after 15s. Works from the janitor too,
/// which is not its parent and so only watches it go.
void stopDaemon()
{
    ContainerdEnv &e = env();
    if (e.daemon <= 0)
        return;
    auto gone = [&e] {
        int status = 0;
        pid_t r = ::waitpid(e.daemon, &status, WNOHANG);
        return r == e.daemon || (r < 0 && !isOurDaemon(e.daemon));
    };
    if (isOurDaemon(e.daemon))
        ::kill(e.daemon, SIGTERM);
    if (!eventually(gone, 15s)) {
        std::fprintf(stderr, "cleanup: containerd %d ignored SIGTERM, killing it\n",
                     static_cast<int>(e.daemon));
        if (isOurDaemon(e.daemon))
            ::kill(e.daemon, SIGKILL);
        eventually(gone, 5s);
    }
    e.daemon = -1;
}

/// Force-removes container id: its task (killing every process), then the container and its
/// snapshot. Errors (already gone) are ignored.
void removeContainer(const std::string &id)
{
    ctr({"tasks", "kill", "--all", "--signal", "SIGKILL", id}, 30s);
    ctr({"tasks", "delete", "--force", id}, 30s);
    ctr({"containers", "delete", id}, 30s);
}

/// Removes everything the run made, through containerd while it runs, then by hand: runtime
/// state, shims, shim sockets, cgroups, mounts and the temp dir. Runs once.
void cleanup(bool interrupted = false)
{
    ContainerdEnv &e = env();
    if (e.cleanedUp || e.dir.empty())
        return;
    e.cleanedUp = true;
    if (interrupted) {
        // A ctr of ours may still be running; it would only get in the way.
        for (pid_t pid : processesMentioning(e.address, "ctr"))
            ::kill(pid, SIGKILL);
    }
    if (isOurDaemon(e.daemon)) {
        for (const std::string &id : firstColumn(ctr({"containers", "ls"}, 30s).out)) {
            std::fprintf(stderr, "cleanup: leftover container %s\n", id.c_str());
            removeContainer(id);
        }
        CommandResult rmi = ctr({"images", "remove", "--sync", e.image}, 60s);
        if (!rmi.ok() && !e.image.empty() && e.ready)
            std::fprintf(stderr, "cleanup: %s\n", rmi.describe().c_str());
        runCommand({e.ctr, "--address", e.address, "namespaces", "remove", e.ns}, {.timeout = 30s});
    }
    stopDaemon();

    // What containerd could not remove: the runtime's containers (their processes), then the
    // shims (they carry our socket path in their arguments), then their sockets.
    CommandResult list = runRuntime({"list", "--quiet"});
    for (const std::string &id : lines(list.out)) {
        std::fprintf(stderr, "cleanup: leftover runtime state for %s\n", id.c_str());
        runRuntime({"delete", "--force", id});
    }
    for (pid_t pid : processesMentioning(e.address)) {
        std::fprintf(stderr, "cleanup: killing leftover process %d\n", static_cast<int>(pid));
        ::kill(pid, SIGKILL);
    }
    reapOrphans();
    std::error_code ec;
    for (const std::string &id : e.ids)
        if (std::string socket = shimSocket(id); !socket.empty() && fs::remove(socket, ec))
            std::fprintf(stderr, "cleanup: removed leftover shim socket %s\n", socket.c_str());
    for (const fs::path &d : e.newShimDirs)
        ::rmdir(d.c_str()); // only when empty: another containerd may use it by now
    for (const std::string &id : e.ids)
        for (const fs::path &d : cgroupDirs(id))
            ::rmdir(d.c_str());
    for (const fs::path &d : cgroupDirs(""))
        ::rmdir(d.c_str());

    // removeTree unmounts anything left mounted below the dir (snapshots, task rootfs) first.
    removeTree(e.dir);
    ::unsetenv("TMPDIR");
}

/// SIGTERM/SIGINT/SIGHUP (e.g. meson's timeout): meson kills our process group shortly after,
/// so a janitor in a session of its own cleans up while we exit.
[[noreturn]] void terminate(int sig)
{
    std::fprintf(stderr, "containerd_test: got signal %d, cleaning up in the background\n", sig);
    exitLeavingJanitor(sig, [] { cleanup(true); });
}

/// Global fixture: one private containerd and one imported image for the whole run.
struct ContainerdRun {
    ContainerdRun()
    {
        ContainerdEnv &e = env();
        e.containerd = envOr("HUSK_CONTAINERD", findProgram("containerd"));
        if (e.containerd.empty() || ::access(e.containerd.c_str(), X_OK) != 0)
            skipRun("containerd is not installed (apt-get install containerd)");
        e.ctr = findProgram("ctr");
        if (e.ctr.empty())
            skipRun("ctr is not installed (it comes with the containerd package)");
        if (findProgram("containerd-shim-runc-v2").empty())
            skipRun("containerd-shim-runc-v2 is not installed (it comes with containerd)");
        if (::geteuid() != 0)
            skipRun("the containerd e2e test needs root");
        e.runtime = runtimePath();
        if (e.runtime.find('/') == std::string::npos)
            e.runtime = findProgram(e.runtime);
        if (e.runtime.empty() || ::access(e.runtime.c_str(), X_OK) != 0)
            skipRun(runtimePath() + " is not an executable; set HUSK_RUNTIME");
        std::string busybox = envOr("HUSK_BUSYBOX", "/bin/busybox");
        if (::access(busybox.c_str(), X_OK) != 0)
            skipRun(busybox + " is missing (install busybox-static)");

        std::string pid = std::to_string(::getpid());
        e.ns = "husktest-" + pid;
        e.image = "localhost/husktest-" + pid + ":latest";
        std::error_code ec;
        for (const fs::path &d : kShimDirs)
            if (!fs::exists(d, ec))
                e.newShimDirs.push_back(d);
        auto dir = makeTempDir("/tmp/husk-containerd-" + pid + "-XXXXXX");
        if (!dir) {
            e.setupError = dir.error().what();
            return;
        }
        e.dir = *dir;
        e.address = (e.dir / "containerd.sock").string();
        e.runcRoot = e.dir / "husk";
        installTerminationHandler(terminate);
        BOOST_TEST_MESSAGE("containerd: " << e.containerd << ", runtime: " << e.runtime
                                          << ", dir: " << e.dir);
        if (inPrivateNetns()) {
            // Only in our own network namespace: never touch the host's links.
            runCommand({"ip", "link", "set", "lo", "up"}, {.timeout = 10s});
        } else {
            BOOST_TEST_MESSAGE("warning: not in a private network namespace; run under "
                               "`unshare --net`");
        }

        for (const char *sub : {"tmp", "fifo", "logs", "husk"})
            fs::create_directories(e.dir / sub);
        // containerd and ctr make their temp mounts under TMPDIR.
        ::setenv("TMPDIR", (e.dir / "tmp").c_str(), 1);
        for (const char *name :
             {"CONTAINERD_ADDRESS", "CONTAINERD_NAMESPACE", "CONTAINERD_SNAPSHOTTER"})
            ::unsetenv(name);
        fs::path config = e.dir / "config.toml";
        if (!writeFile(config, daemonConfig(e.dir, e.address))) {
            e.setupError = "cannot write " + config.string();
            return;
        }
        auto daemon =
            spawnDaemon({e.containerd, "--config", config.string()}, e.dir / "containerd.log");
        if (!daemon) {
            e.setupError = "start containerd: " + daemon.error().what();
            return;
        }
        e.daemon = *daemon;
        CommandResult version;
        bool up = eventually(
            [&] {
                version = ctr({"version"}, 10s);
                return version.ok() || !isOurDaemon(e.daemon);
            },
            30s);
        if (!up || !version.ok()) {
            e.setupError = "containerd did not come up: " + version.describe() +
                           "; its log: " + readFile(e.dir / "containerd.log");
            return;
        }
        BOOST_TEST_MESSAGE(trim(version.out));

        auto archive = buildOciArchive(e.dir);
        if (!archive) {
            e.setupError = "build the image: " + archive.error().what();
            return;
        }
        CommandResult import = ctr({"images", "import", "--base-name",
                                    e.image.substr(0, e.image.rfind(':')), archive->string()},
                                   120s);
        if (!import.ok()) {
            e.setupError = "ctr images import failed: " + import.describe();
            return;
        }
        fs::remove(*archive, ec);
        CommandResult images = ctr({"images", "list", "--quiet"});
        if (!contains(lines(images.out), e.image)) {
            e.setupError = "the import did not make " + e.image + ": " + images.describe();
            return;
        }
        e.ready = true;
    }

    ~ContainerdRun() { cleanup(); }
};

/// Per-test fixture: requires the setup to have worked; force-removes every container it
/// handed out an id for.
struct ContainerdCase {
    ContainerdCase()
    {
        BOOST_REQUIRE_MESSAGE(env().ready, "containerd setup failed: " << env().setupError);
    }

    ~ContainerdCase()
    {
        for (const std::string &id : ids_)
            removeContainer(id);
    }

    /// A fresh container id, husktest-<pid>-<n>, removed at the end of the test.
    std::string newId()
    {
        static int serial = 0;
        std::string id = env().ns + "-" + std::to_string(++serial);
        ids_.push_back(id);
        env().ids.push_back(id);
        return id;
    }

    /// `ctr run [extra] --runc-binary R --runc-root D IMAGE ID cmd...`, in the foreground
    /// with ctr's stdio attached unless extra says otherwise.
    CommandResult ctrRun(const std::string &id, const std::vector<std::string> &cmd,
                         const std::vector<std::string> &extra)
    {
        std::vector<std::string> args = {"run", "--fifo-dir", (env().dir / "fifo").string()};
        args.insert(args.end(), extra.begin(), extra.end());
        args.insert(args.end(), {"--runc-binary", env().runtime, "--runc-root",
                                 env().runcRoot.string(), env().image, id});
        args.insert(args.end(), cmd.begin(), cmd.end());
        CommandResult r = ctr(args, 60s, contains(extra, "--tty"));
        BOOST_TEST_MESSAGE(r.describe());
        BOOST_TEST(!r.timedOut, "ctr run timed out: " << r.describe());
        return r;
    }

    /// `ctr run --rm`: runs cmd to its end and removes the container.
    CommandResult run(const std::string &id, const std::vector<std::string> &cmd)
    {
        return ctrRun(id, cmd, {"--rm"});
    }

    /// `ctr run -d`: starts cmd and leaves it running, its output going to logPath(id);
    /// requires the task to be RUNNING and returns its init pid.
    pid_t start(const std::string &id, const std::vector<std::string> &cmd,
                const std::vector<std::string> &extra = {})
    {
        std::vector<std::string> flags = {"--detach", "--log-uri",
                                          "file://" + logPath(id).string()};
        flags.insert(flags.end(), extra.begin(), extra.end());
        CommandResult r = ctrRun(id, cmd, flags);
        BOOST_REQUIRE_MESSAGE(r.ok(), r.describe());
        std::optional<TaskRow> row = task(id);
        BOOST_REQUIRE_MESSAGE(
            row && row->status == "RUNNING" && row->pid > 0,
            "no running task after ctr run -d: " << ctr({"tasks", "ls"}).describe());
        return row->pid;
    }

    /// `ctr task exec --exec-id ID-<n> [extra] ID cmd...`, in the foreground.
    CommandResult exec(const std::string &id, const std::vector<std::string> &cmd,
                       const std::vector<std::string> &extra = {})
    {
        static int serial = 0;
        std::vector<std::string> args = {"tasks",      "exec",
                                         "--fifo-dir", (env().dir / "fifo").string(),
                                         "--exec-id",  "exec-" + std::to_string(++serial)};
        args.insert(args.end(), extra.begin(), extra.end());
        args.push_back(id);
        args.insert(args.end(), cmd.begin(), cmd.end());
        CommandResult r = ctr(args, 60s, contains(extra, "--tty"));
        BOOST_TEST_MESSAGE(r.describe());
        BOOST_TEST(!r.timedOut, "ctr task exec timed out: " << r.describe());
        return r;
    }

    /// Where a detached container's output goes.
    static fs::path logPath(const std::string &id) { return env().dir / "logs" / (id + ".log"); }

    /// Checks that neither containerd nor the runtime keeps anything of container id: no
    /// container, task, snapshot, runtime state, cgroup or shim.
    static void checkGone(const std::string &id)
    {
        CommandResult containers = ctr({"containers", "list"});
        BOOST_TEST(!contains(firstColumn(containers.out), id),
                   "containerd kept the container: " << containers.describe());
        BOOST_TEST(taskStatus(id).empty(), "containerd kept the task");
        CommandResult snapshots = ctr({"snapshots", "list"});
        BOOST_TEST(!contains(firstColumn(snapshots.out), id),
                   "containerd kept the snapshot: " << snapshots.describe());
        CommandResult state = runRuntime({"state", id});
        BOOST_TEST(state.failed(),
                   "the runtime still has state for " << id << ": " << state.describe());
        for (const fs::path &d : cgroupDirs(id))
            BOOST_TEST(false, "the runtime left the cgroup " << d);
        // The shim exits once containerd has deleted the task, removing its socket.
        std::string socket = shimSocket(id);
        BOOST_TEST(eventually([&] { return !fs::exists(socket); }, 5s),
                   "the shim for " << id << " is still there: " << socket);
    }

private:
    std::vector<std::string> ids_;
};

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(ContainerdRun);

BOOST_AUTO_TEST_SUITE(containerd_e2e)

BOOST_FIXTURE_TEST_CASE(run_rm_returns_output_and_exit_code, ContainerdCase)
{
    std::string id = newId();
    CommandResult r = run(id, {"echo", "hi"});
    BOOST_TEST(r.exitCode == 0, r.describe());
    BOOST_TEST(r.out == "hi\n", r.describe());
    checkGone(id);
}

BOOST_FIXTURE_TEST_CASE(run_rm_returns_a_non_zero_exit_code, ContainerdCase)
{
    std::string id = newId();
    CommandResult r = run(id, {"sh", "-c", "echo out; echo err >&2; exit 3"});
    BOOST_TEST(r.exitCode == 3, r.describe());
    BOOST_TEST(r.out == "out\n", r.describe());
    BOOST_TEST(r.err.find("err\n") != std::string::npos, r.describe());
    checkGone(id);
}

BOOST_FIXTURE_TEST_CASE(run_of_a_missing_command_fails_with_the_runtime_error, ContainerdCase)
{
    // The shim reads the runtime's error from its --log (JSON) and containerd passes it on.
    std::string id = newId();
    CommandResult r = run(id, {"/bin/no-such-command"});
    BOOST_TEST(r.failed(), r.describe());
    BOOST_TEST(r.err.find("no-such-command") != std::string::npos, r.describe());
    checkGone(id);
}

BOOST_FIXTURE_TEST_CASE(exec_in_a_detached_container, ContainerdCase)
{
    std::string id = newId();
    pid_t init = start(id, {"sleep", "300"});
    // The cleanup finds leftover shim sockets by name: check that the name is right.
    BOOST_TEST(fs::exists(shimSocket(id)), "no shim socket " << shimSocket(id));

    CommandResult hello = exec(id, {"echo", "from-exec"});
    BOOST_TEST(hello.ok(), hello.describe());
    BOOST_TEST(hello.out == "from-exec\n", hello.describe());
    CommandResult code = exec(id, {"sh", "-c", "echo to-stderr >&2; exit 4"});
    BOOST_TEST(code.exitCode == 4, code.describe());
    BOOST_TEST(code.err.find("to-stderr") != std::string::npos, code.describe());
    CommandResult cwd = exec(id, {"pwd"}, {"--cwd", "/etc"});
    BOOST_TEST(cwd.out == "/etc\n", cwd.describe());
    CommandResult user = exec(id, {"id", "-u"}, {"--user", "65534:65534"});
    BOOST_TEST(user.out == "65534\n", user.describe());
    // The exec'd process runs in the container: its pid namespace, seen from inside.
    CommandResult self = exec(id, {"sh", "-c", "readlink /proc/1/exe; cat /proc/1/comm"});
    BOOST_TEST(self.out == "/bin/busybox\nsleep\n", self.describe());

    // Every exec'd process has exited and been reaped: only init is left.
    BOOST_TEST(eventually([&] { return ctrPs(id) == std::set<pid_t>{init}; }),
               "ps after the execs: " << ctr({"tasks", "ps", id}).describe());
    BOOST_TEST(taskStatus(id) == "RUNNING");
}

BOOST_FIXTURE_TEST_CASE(tty_run_and_exec, ContainerdCase)
{
    // With a terminal the shim passes --console-socket to create (run -t), or an exec process
    // file with "terminal": true and --console-socket (exec -t), and expects the pty master
    // back over that socket.
    std::string id = newId();
    CommandResult r = ctrRun(id, {"sh", "-c", "tty; test -t 0 && echo stdin-is-a-tty; exit 5"},
                             {"--rm", "--tty"});
    BOOST_TEST(r.exitCode == 5, r.describe());
    BOOST_TEST(r.out.find("/dev/pts/0") != std::string::npos, r.describe());
    BOOST_TEST(r.out.find("stdin-is-a-tty") != std::string::npos, r.describe());
    checkGone(id);

    id = newId();
    start(id, {"sleep", "300"});
    CommandResult e =
        exec(id, {"sh", "-c", "tty; test -t 1 && echo stdout-is-a-tty; exit 6"}, {"--tty"});
    BOOST_TEST(e.exitCode == 6, e.describe());
    BOOST_TEST(e.out.find("/dev/pts/") != std::string::npos, e.describe());
    BOOST_TEST(e.out.find("stdout-is-a-tty") != std::string::npos, e.describe());
}

BOOST_FIXTURE_TEST_CASE(ps_lists_the_container_processes, ContainerdCase)
{
    std::string id = newId();
    pid_t init = start(id, {"sh", "-c", "sleep 300 & sleep 300 & wait"});
    BOOST_TEST(innerPid(init) == "1", "ctr task ls gives " << init << ", not the container's init");
    CommandResult bg = exec(id, {"sleep", "301"}, {"--detach"});
    BOOST_REQUIRE_MESSAGE(bg.ok(), bg.describe());

    // init, its two sleeps and the exec'd sleep.
    std::set<pid_t> inside;
    BOOST_REQUIRE_MESSAGE(eventually([&] {
                              inside = pidsInPidNamespaceOf(init);
                              return inside.size() == 4;
                          }),
                          "the container holds " << inside.size() << " processes, not 4");
    CommandResult result;
    std::set<pid_t> listed = ctrPs(id, &result);
    BOOST_TEST(result.ok(), result.describe());
    BOOST_TEST(listed.count(init) == 1, result.describe());
    BOOST_TEST((listed == inside), "ctr task ps: " << result.out);
}

BOOST_FIXTURE_TEST_CASE(kill_all_stops_every_process, ContainerdCase)
{
    // A pid namespace's init ignores SIGTERM from outside when it has no handler: a plain
    // kill leaves the container running, and only kill --all (every process of the cgroup)
    // stops it: its sleeps die, so the shell's wait returns and the shell exits.
    std::string id = newId();
    pid_t init = start(id, {"sh", "-c", "sleep 300 & sleep 300 & wait"});
    std::set<pid_t> inside;
    BOOST_REQUIRE_MESSAGE(eventually([&] {
                              inside = pidsInPidNamespaceOf(init);
                              return inside.size() == 3;
                          }),
                          "the container holds " << inside.size() << " processes, not 3");

    CommandResult one = ctr({"tasks", "kill", "--signal", "SIGTERM", id});
    BOOST_TEST(one.ok(), one.describe());
    std::this_thread::sleep_for(500ms);
    BOOST_TEST(taskStatus(id) == "RUNNING");
    BOOST_TEST((pidsInPidNamespaceOf(init) == inside), "a plain kill stopped processes");

    CommandResult all = ctr({"tasks", "kill", "--all", "--signal", "SIGTERM", id});
    BOOST_TEST(all.ok(), all.describe());
    BOOST_TEST(eventually([&] { return taskStatus(id) == "STOPPED"; }),
               "after kill --all: " << ctr({"tasks", "ls"}).describe());
    for (pid_t pid : inside)
        BOOST_TEST(eventually([&] { return processGone(pid); }, 5s), "process " << pid << " lives");
    CommandResult ps = ctr({"tasks", "ps", id});
    BOOST_TEST(firstColumn(ps.out).empty(), ps.describe());

    CommandResult del = ctr({"tasks", "delete", id});
    BOOST_TEST(del.ok(), del.describe());
    CommandResult rm = ctr({"containers", "delete", id});
    BOOST_TEST(rm.ok(), rm.describe());
    checkGone(id);
}

BOOST_FIXTURE_TEST_CASE(kill_and_delete_force_of_a_stopped_task, ContainerdCase)
{
    // Once the init has exited the shim still passes kills on to the runtime: a plain kill must
    // fail the way runc's does ("container not running", which the shim reports as a finished
    // process), and `ctr task delete --force` has the shim send `kill --all ID 9`, which must
    // succeed on a stopped container, as it does with runc.
    std::string id = newId();
    start(id, {"sleep", "300"});
    CommandResult kill = ctr({"tasks", "kill", "--signal", "SIGKILL", id});
    BOOST_TEST(kill.ok(), kill.describe());
    BOOST_REQUIRE_MESSAGE(eventually([&] { return taskStatus(id) == "STOPPED"; }),
                          ctr({"tasks", "ls"}).describe());

    CommandResult again = ctr({"tasks", "kill", "--signal", "SIGKILL", id});
    BOOST_TEST(again.failed(), again.describe());
    BOOST_TEST(again.err.find("process already finished") != std::string::npos, again.describe());
    CommandResult del = ctr({"tasks", "delete", "--force", id});
    BOOST_TEST(del.ok(), del.describe());
    CommandResult rm = ctr({"containers", "delete", id});
    BOOST_TEST(rm.ok(), rm.describe());
    checkGone(id);
}

BOOST_FIXTURE_TEST_CASE(pause_freezes_and_resume_thaws, ContainerdCase)
{
    std::string id = newId();
    fs::path data = env().dir / ("data-" + id);
    fs::create_directories(data);
    fs::path ticks = data / "ticks";
    start(id, {"sh", "-c", "while :; do echo . >> /data/ticks; usleep 20000; done"},
          {"--mount", "type=bind,src=" + data.string() + ",dst=/data,options=rbind:rw"});
    BOOST_REQUIRE_MESSAGE(eventually([&] { return lineCount(ticks) >= 3; }),
                          "the counter does not count: " << lineCount(ticks));

    CommandResult pause = ctr({"tasks", "pause", id});
    BOOST_REQUIRE_MESSAGE(pause.ok(), pause.describe());
    BOOST_TEST(taskStatus(id) == "PAUSED", ctr({"tasks", "ls"}).describe());
    CommandResult state = runRuntime({"state", id});
    BOOST_TEST(state.out.find("\"status\": \"paused\"") != std::string::npos, state.describe());
    // pause returns once the cgroup is frozen: from then on nothing runs.
    size_t frozen = lineCount(ticks);
    std::this_thread::sleep_for(1s);
    BOOST_TEST(lineCount(ticks) == frozen, "the paused counter went on");

    CommandResult resume = ctr({"tasks", "resume", id});
    BOOST_REQUIRE_MESSAGE(resume.ok(), resume.describe());
    BOOST_TEST(taskStatus(id) == "RUNNING", ctr({"tasks", "ls"}).describe());
    BOOST_TEST(eventually([&] { return lineCount(ticks) > frozen; }, 5s),
               "the resumed counter does not count");
    CommandResult count = exec(id, {"sh", "-c", "wc -l < /data/ticks"});
    BOOST_TEST(count.ok(), count.describe());
    BOOST_TEST(std::atoi(count.out.c_str()) > static_cast<int>(frozen), count.describe());
}

BOOST_AUTO_TEST_SUITE_END()
