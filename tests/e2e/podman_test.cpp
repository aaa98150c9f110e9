// End-to-end test: podman (with conmon) driving the runtime under test ($HUSK_RUNTIME) the way
// a user would, `podman --runtime <husk> run --rm IMAGE ...`.
//
// Everything podman touches is private to a temp dir /tmp/husk-podman-<pid>-XXXXXX:
// containers.conf, storage.conf and registries.conf (through CONTAINERS_CONF,
// CONTAINERS_STORAGE_CONF and CONTAINERS_REGISTRIES_CONF), the overlay graphroot and runroot,
// libpod's tmp_dir (file locks, state), the events log, the network config dir, TMPDIR and the
// XDG config/data/cache dirs. The image is imported locally from a tar of a busybox-static
// rootfs (no registry). Containers run with `netns = "none"`; the test itself runs under
// `unshare --net`.
//
// Rootful podman 4.3 still writes two things outside that dir whatever its configuration: the
// netavark run dir /run/containers/networks and the image blob-info cache
// /var/lib/containers/cache/blob-info-cache-v1.boltdb. The test removes them afterwards when they
// did not exist before it started (directories only when empty).
//
// containers.conf notes: `runtime_supports_json` names the runtime (by the basename podman
// derives from --runtime) so conmon passes `--log-format=json --log FILE` and podman reports the
// runtime's own error text; `default_ulimits` stays within this machine's hard limits (podman's
// default nofile=1048576 makes every runtime fail setrlimit). podman's default pids_limit (2048)
// is kept, so every run also exercises linux.resources.pids.
//
// Skips (exit 77) when podman is not installed, when not root, or when the runtime or busybox
// is missing. Cleans up (podman rm -af, rmi -af, system reset -f, leftover processes, the temp
// dir) whether it passed, failed, or got SIGTERM/SIGINT/SIGHUP.

#ifndef BOOST_TEST_DYN_LINK // meson's boost dependency may define it already
#define BOOST_TEST_DYN_LINK
#endif
#define BOOST_TEST_MODULE podman
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/e2e/image.h"
#include "tests/e2e/support.h"
#include "tests/integration/harness.h"

using namespace husk::test;
namespace fs = std::filesystem;

namespace {

/// Paths rootful podman creates outside its configured dirs; removed at the end when new.
/// Ordered so that files come before the directories holding them.
const std::vector<fs::path> kGlobalSideEffects = {
    "/var/lib/containers/cache/blob-info-cache-v1.boltdb",
    "/var/lib/containers/cache",
    "/var/lib/containers",
    "/run/containers/networks",
    "/run/containers",
};

/// The run's shared state (one podman setup for all test cases).
struct PodmanEnv {
    /// The podman binary.
    std::string podman;
    /// The runtime under test.
    std::string runtime;
    /// The temp dir holding everything podman writes.
    fs::path dir;
    /// The imported image, localhost/husk-e2e-<pid>:latest.
    std::string image;
    /// Whether setup got as far as an imported image; otherwise setupError says why not.
    bool ready = false;
    std::string setupError;
    /// Which of kGlobalSideEffects did not exist before we started.
    std::vector<fs::path> newGlobals;
    /// Set once cleanup ran (it runs from the destructor or the termination hook).
    bool cleanedUp = false;
};

PodmanEnv &env()
{
    static PodmanEnv e;
    return e;
}

/// Runs podman with args (its config comes from the environment set up by the fixture).
CommandResult podman(const std::vector<std::string> &args, std::chrono::milliseconds timeout = 120s)
{
    std::vector<std::string> argv = {env().podman};
    argv.insert(argv.end(), args.begin(), args.end());
    return runCommand(argv, {.timeout = timeout});
}

/// Writes containers.conf, storage.conf and registries.conf into dir and points podman at them.
bool writeConfigs(const fs::path &dir, const std::string &runtime, std::string &error)
{
    std::string name = fs::path(runtime).filename().string();
    for (const char *sub : {"storage", "run", "tmp", "net", "imgtmp"})
        fs::create_directories(dir / sub);
    std::string containers = "# written by husk's e2e podman test\n"
                             "[containers]\n"
                             "default_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\n"
                             "netns = \"none\"\n"
                             "\n"
                             "[network]\n"
                             "network_backend = \"netavark\"\n"
                             "network_config_dir = " +
                             toml((dir / "net").string()) +
                             "\n"
                             "\n"
                             "[engine]\n"
                             "cgroup_manager = \"cgroupfs\"\n"
                             "events_logger = \"file\"\n"
                             "events_logfile_path = " +
                             toml((dir / "events.log").string()) +
                             "\n"
                             "lock_type = \"file\"\n"
                             "tmp_dir = " +
                             toml((dir / "tmp").string()) +
                             "\n"
                             "image_copy_tmp_dir = " +
                             toml((dir / "imgtmp").string()) +
                             "\n"
                             "static_dir = " +
                             toml((dir / "storage/libpod").string()) +
                             "\n"
                             "volume_path = " +
                             toml((dir / "storage/volumes").string()) +
                             "\n"
                             "runtime = " +
                             toml(name) +
                             "\n"
                             "runtime_supports_json = [" +
                             toml(name) +
                             "]\n"
                             "\n"
                             "[engine.runtimes]\n" +
                             toml(name) + " = [" + toml(runtime) + "]\n";
    std::string storage = "[storage]\n"
                          "driver = \"overlay\"\n"
                          "runroot = " +
                          toml((dir / "run").string()) +
                          "\n"
                          "graphroot = " +
                          toml((dir / "storage").string()) + "\n";
    std::string registries = "unqualified-search-registries = []\n";
    if (!writeFile(dir / "containers.conf", containers) ||
        !writeFile(dir / "storage.conf", storage) ||
        !writeFile(dir / "registries.conf", registries)) {
        error = "cannot write the podman config files in " + dir.string();
        return false;
    }
    ::setenv("CONTAINERS_CONF", (dir / "containers.conf").c_str(), 1);
    ::setenv("CONTAINERS_STORAGE_CONF", (dir / "storage.conf").c_str(), 1);
    ::setenv("CONTAINERS_REGISTRIES_CONF", (dir / "registries.conf").c_str(), 1);
    ::setenv("TMPDIR", (dir / "imgtmp").c_str(), 1);
    // `system reset` cleans up podman machine dirs under $XDG_CONFIG_HOME (creating
    // ~/.config/containers/podman on the way): keep the per-user dirs in the temp dir too.
    for (const char *xdg : {"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"}) {
        fs::path d = dir / "xdg" / xdg;
        fs::create_directories(d);
        ::setenv(xdg, d.c_str(), 1);
    }
    // Make sure this podman talks to nothing but its local, private setup.
    ::unsetenv("CONTAINER_HOST");
    ::unsetenv("CONTAINER_CONNECTION");
    return true;
}

/// Removes every container and image, resets podman's storage, kills what we started and
/// is still running, and removes the temp dir and the global paths podman created. Runs once.
void cleanup(bool interrupted = false)
{
    PodmanEnv &e = env();
    if (e.cleanedUp || e.dir.empty())
        return;
    e.cleanedUp = true;
    if (interrupted) {
        // A podman command of ours may still be running (holding container locks): stop it
        // first, so the removal below does not wait for it.
        for (pid_t pid : processesMentioning(e.dir.string(), "podman")) {
            std::fprintf(stderr, "cleanup: killing podman %d\n", static_cast<int>(pid));
            ::kill(pid, SIGKILL);
        }
        reapOrphans();
    }
    CommandResult rm = podman({"rm", "--all", "--force", "--time", "0"}, 60s);
    if (!rm.ok())
        std::fprintf(stderr, "cleanup: %s\n", rm.describe().c_str());
    CommandResult rmi = podman({"rmi", "--all", "--force"}, 60s);
    if (!rmi.ok())
        std::fprintf(stderr, "cleanup: %s\n", rmi.describe().c_str());
    CommandResult reset = podman({"system", "reset", "--force"}, 60s);
    if (!reset.ok())
        std::fprintf(stderr, "cleanup: %s\n", reset.describe().c_str());
    for (pid_t pid : processesMentioning(e.dir.string())) {
        std::fprintf(stderr, "cleanup: killing leftover process %d\n", static_cast<int>(pid));
        ::kill(pid, SIGKILL);
    }
    reapOrphans();
    // removeTree unmounts anything left mounted below the dir (overlay layers, shm) first.
    removeTree(e.dir);
    for (const fs::path &p : e.newGlobals) {
        std::error_code ec;
        if (fs::is_directory(fs::symlink_status(p, ec)))
            ::rmdir(p.c_str()); // only when empty: someone else may use it by now
        else
            fs::remove(p, ec);
    }
    for (const char *name :
         {"CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF", "CONTAINERS_REGISTRIES_CONF", "TMPDIR",
          "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"})
        ::unsetenv(name);
}

/// SIGTERM/SIGINT/SIGHUP (e.g. meson's timeout) during a podman command: clean up and exit.
void terminate(int sig)
{
    std::fprintf(stderr, "podman_test: got signal %d, cleaning up\n", sig);
    cleanup(true);
    ::_exit(128 + sig);
}

/// Global fixture: one private podman setup and image for the whole run.
struct PodmanRun {
    PodmanRun()
    {
        PodmanEnv &e = env();
        // meson reports exit status 77 as a skipped test.
        e.podman = envOr("HUSK_PODMAN", findProgram("podman"));
        if (e.podman.empty() || ::access(e.podman.c_str(), X_OK) != 0)
            skipRun("podman is not installed (apt-get install podman)");
        if (::geteuid() != 0)
            skipRun("the podman e2e test needs root");
        e.runtime = runtimePath();
        if (::access(e.runtime.c_str(), X_OK) != 0)
            skipRun(e.runtime + " is not an executable (" + std::strerror(errno) +
                    "); set HUSK_RUNTIME");
        std::string busybox = envOr("HUSK_BUSYBOX", "/bin/busybox");
        if (::access(busybox.c_str(), X_OK) != 0)
            skipRun(busybox + " is missing (install busybox-static)");

        std::error_code ec;
        for (const fs::path &p : kGlobalSideEffects)
            if (!fs::exists(fs::symlink_status(p, ec)))
                e.newGlobals.push_back(p);

        std::string pattern = "/tmp/husk-podman-" + std::to_string(::getpid()) + "-XXXXXX";
        std::vector<char> buf(pattern.begin(), pattern.end());
        buf.push_back('\0');
        if (::mkdtemp(buf.data()) == nullptr) {
            e.setupError = "mkdtemp " + pattern + ": " + std::strerror(errno);
            return;
        }
        e.dir = buf.data();
        installTerminationHandler(terminate);

        BOOST_TEST_MESSAGE("podman: " << e.podman << ", runtime: " << e.runtime
                                      << ", dir: " << e.dir);
        if (inPrivateNetns()) {
            // Only in our own network namespace: never touch the host's links.
            runCommand({"ip", "link", "set", "lo", "up"}, {.timeout = 10s});
        } else {
            BOOST_TEST_MESSAGE("warning: not in a private network namespace; run under "
                               "`unshare --net` (containers use --network none anyway)");
        }

        if (!writeConfigs(e.dir, e.runtime, e.setupError))
            return;
        CommandResult version = podman({"--version"}, 30s);
        if (!version.ok()) {
            e.setupError = "podman --version failed: " + version.describe();
            return;
        }
        BOOST_TEST_MESSAGE(trim(version.out));
        auto tar = buildRootfsTar(e.dir);
        if (!tar) {
            e.setupError = "build the rootfs: " + tar.error().what();
            return;
        }
        e.image = "localhost/husk-e2e-" + std::to_string(::getpid()) + ":latest";
        CommandResult import =
            podman({"import", "--quiet", "--change", "CMD [\"/bin/sh\"]", "--change",
                    "ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin", tar->string(), e.image});
        if (!import.ok()) {
            e.setupError = "podman import failed: " + import.describe();
            return;
        }
        fs::remove(*tar, ec);
        e.ready = true;
    }

    ~PodmanRun() { cleanup(); }
};

/// What `podman --runtime R run --rm --cidfile F IMAGE cmd...` did, and the container's id.
struct RunResult {
    CommandResult result;
    std::string id;
};

/// Per-test fixture: requires the setup to have worked.
struct PodmanCase {
    PodmanCase()
    {
        BOOST_REQUIRE_MESSAGE(env().ready, "podman setup failed: " << env().setupError);
    }

    /// Runs cmd in a fresh --rm container with the runtime under test, then checks that
    /// neither podman nor the runtime kept the container.
    RunResult run(const std::vector<std::string> &cmd)
    {
        static int serial = 0;
        fs::path cidfile = env().dir / ("cid-" + std::to_string(++serial));
        std::vector<std::string> args = {"--runtime", env().runtime,    "run",      "--rm",
                                         "--cidfile", cidfile.string(), env().image};
        args.insert(args.end(), cmd.begin(), cmd.end());
        RunResult r{podman(args), trim(readFile(cidfile))};
        BOOST_TEST_MESSAGE(r.result.describe());
        BOOST_TEST(!r.result.timedOut, "podman timed out: " << r.result.describe());

        CommandResult ps = podman({"ps", "--all", "--quiet", "--no-trunc"}, 60s);
        BOOST_TEST(ps.ok(), ps.describe());
        BOOST_TEST(trim(ps.out).empty(), "run --rm left containers behind: " << ps.out);
        if (!r.id.empty()) {
            // podman never passes --root, so the runtime's default root holds its state.
            CommandResult state = runCommand({env().runtime, "state", r.id}, {.timeout = 30s});
            BOOST_TEST(state.failed(),
                       "the runtime still has state for " << r.id << ": " << state.describe());
        }
        return r;
    }
};

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(PodmanRun);

BOOST_AUTO_TEST_SUITE(podman_e2e)

BOOST_FIXTURE_TEST_CASE(echo_hi, PodmanCase)
{
    RunResult r = run({"echo", "hi"});
    BOOST_TEST(r.result.exitCode == 0, r.result.describe());
    BOOST_TEST(r.result.out == "hi\n", r.result.describe());
}

BOOST_FIXTURE_TEST_CASE(exit_code_passes_through, PodmanCase)
{
    RunResult r = run({"sh", "-c", "exit 3"});
    BOOST_TEST(r.result.exitCode == 3, r.result.describe());
}

BOOST_FIXTURE_TEST_CASE(hostname_is_the_short_id, PodmanCase)
{
    RunResult r = run({"hostname"});
    BOOST_REQUIRE_MESSAGE(r.result.exitCode == 0, r.result.describe());
    std::string name = trim(r.result.out);
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    BOOST_TEST(!name.empty(), r.result.describe());
    BOOST_TEST(name != std::string(host), "the container has the host's hostname " << host);
    BOOST_REQUIRE_MESSAGE(r.id.size() >= 12, "no container id in the cidfile");
    BOOST_TEST(name == r.id.substr(0, 12), "hostname " << name << ", container id " << r.id);
}

BOOST_FIXTURE_TEST_CASE(missing_command_is_127, PodmanCase)
{
    RunResult r = run({"nonexistent-cmd"});
    BOOST_TEST(r.result.exitCode == 127, r.result.describe());
    BOOST_TEST(r.result.err.find("executable file not found") != std::string::npos,
               r.result.describe());
}

BOOST_FIXTURE_TEST_CASE(exec_pause_and_remove_a_running_container, PodmanCase)
{
    // conmon runs `exec --process FILE --detach --pid-file F` and podman `pause`, `resume`,
    // `kill` and `delete --force` on the runtime.
    std::string name = "husk-e2e-" + std::to_string(::getpid());
    CommandResult started = podman(
        {"--runtime", env().runtime, "run", "-d", "--name", name, env().image, "sleep", "300"});
    BOOST_REQUIRE_MESSAGE(started.ok(), started.describe());
    std::string id = trim(started.out);
    struct Remove {
        std::string name;
        ~Remove() { podman({"rm", "--force", "--time", "0", name}, 60s); }
    } remove{name};

    CommandResult hello = podman({"exec", name, "echo", "from-exec"});
    BOOST_TEST(hello.ok(), hello.describe());
    BOOST_TEST(hello.out == "from-exec\n", hello.describe());
    CommandResult code = podman({"exec", name, "sh", "-c", "exit 4"});
    BOOST_TEST(code.exitCode == 4, code.describe());
    CommandResult vars = podman({"exec", "--env", "HUSK_E2E=1", "--workdir", "/etc", name, "sh",
                                 "-c", "echo $HUSK_E2E $(pwd)"});
    BOOST_TEST(vars.out == "1 /etc\n", vars.describe());

    BOOST_REQUIRE(podman({"pause", name}).ok());
    CommandResult paused = podman({"inspect", "--format", "{{.State.Status}}", name});
    BOOST_TEST(trim(paused.out) == "paused", paused.describe());
    CommandResult st = runCommand({env().runtime, "state", id}, {.timeout = 30s});
    BOOST_TEST(st.out.find("\"status\": \"paused\"") != std::string::npos, st.describe());
    BOOST_REQUIRE(podman({"unpause", name}).ok());
    CommandResult running = podman({"inspect", "--format", "{{.State.Status}}", name});
    BOOST_TEST(trim(running.out) == "running", running.describe());

    CommandResult rm = podman({"rm", "--force", "--time", "0", name}, 60s);
    BOOST_TEST(rm.ok(), rm.describe());
    CommandResult gone = runCommand({env().runtime, "state", id}, {.timeout = 30s});
    BOOST_TEST(gone.failed(), "the runtime still has state for " << id);
}

BOOST_AUTO_TEST_SUITE_END()
