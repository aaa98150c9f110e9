#include "tests/integration/harness.h"
#include "tests/integration/mountinfo.h"

#include <fcntl.h>
#include <ftw.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace husk::test {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

/// The directory holding this test binary (<build>/tests/integration).
fs::path selfDir()
{
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::current_path() : exe.parent_path();
}

/// The value of an environment variable, or fallback when unset or empty.
std::string envOr(const char *name, const std::string &fallback)
{
    const char *value = std::getenv(name);
    return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

/// Reads a whole file, "" when it can't be read.
std::string slurp(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Writes text to a file, replacing it; fails the test when it can't.
void writeText(const fs::path &path, std::string_view text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    BOOST_REQUIRE_MESSAGE(out.good(), "cannot write " << path);
}

/// The busybox-static binary to build rootfs trees from.
std::string busyboxPath()
{
    return envOr("HUSK_BUSYBOX", "/bin/busybox");
}

/// The test process's pid, which names everything of this run: fixed at the first call, so a
/// forked janitor still finds the run's files.
const std::string &runPid()
{
    static const std::string pid = std::to_string(::getpid());
    return pid;
}

/// Where the per-run pristine rootfs lives.
fs::path pristinePath()
{
    return "/tmp/husk-rootfs-" + runPid();
}

/// The per-run pristine rootfs (busybox, applet links, probe, passwd/group), made once.
const fs::path &pristineRootfs()
{
    static const fs::path dir = [] {
        fs::path d = pristinePath();
        removeTree(d);
        for (const char *sub : {"bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev",
                                "tmp", "root", "home/test", "run", "var/tmp", "mnt"})
            fs::create_directories(d / sub);
        fs::permissions(d / "tmp", fs::perms(01777));
        fs::permissions(d / "var/tmp", fs::perms(01777));
        fs::permissions(d / "root", fs::perms(0700));
        BOOST_REQUIRE(::chown((d / "home/test").c_str(), 1000, 1000) == 0);

        fs::copy_file(busyboxPath(), d / "bin/busybox");
        fs::permissions(d / "bin/busybox", fs::perms(0755));
        CommandResult list = runCommand({busyboxPath(), "--list-full"});
        BOOST_REQUIRE_MESSAGE(list.ok(), list.describe());
        std::istringstream applets(list.out);
        std::string applet;
        while (std::getline(applets, applet)) {
            if (applet.empty() || applet == "bin/busybox")
                continue;
            fs::path link = d / applet;
            fs::create_directories(link.parent_path());
            std::error_code ec;
            fs::create_symlink("/bin/busybox", link, ec);
        }

        fs::copy_file(probePath(), d / "bin/husk-probe");
        fs::permissions(d / "bin/husk-probe", fs::perms(0755));
        writeText(d / "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                                    "test:x:1000:1000:test:/home/test:/bin/sh\n");
        writeText(d / "etc/group", "root:x:0:\n"
                                   "tty:x:5:\n"
                                   "test:x:1000:\n"
                                   "extra:x:1001:test\n");
        writeText(d / "etc/hostname", "husk-rootfs\n");
        return d;
    }();
    return dir;
}

/// Whether /run/netns was there when the run started (so the end of the run leaves it).
bool runNetnsExisted = true;

/// How many runtime commands were killed by their timeout in this run.
int runtimeTimeouts = 0;

/// After this many runtime timeouts the remaining tests fail at once instead of each waiting
/// out its own timeouts (and the whole binary running into meson's).
constexpr int maxRuntimeTimeouts = 3;

/// The prefix of this run's bundle directories.
std::string bundlePrefix()
{
    return "/tmp/husk-bundle-" + runPid() + "-";
}

/// Removes everything this run may have left: containers (delete --force), processes,
/// network namespaces, bundles, the root directory and the pristine rootfs.
void cleanupRun()
{
    std::string prefix = "husktest-" + runPid() + "-";
    CommandResult list = runHusk({"list", "-q"}, {.timeout = 15s});
    std::istringstream ids(list.out);
    std::string id;
    while (std::getline(ids, id)) {
        if (!id.starts_with(prefix))
            continue;
        BOOST_TEST_MESSAGE("cleanup: leftover container " << id);
        runHusk({"delete", "--force", id}, {.timeout = 15s});
    }
    killChildren();

    std::error_code ec;
    if (fs::exists("/run/netns", ec)) {
        for (const auto &entry : fs::directory_iterator("/run/netns", ec)) {
            std::string name = entry.path().filename().string();
            if (name.starts_with(prefix)) {
                BOOST_TEST_MESSAGE("cleanup: leftover netns " << name);
                runCommand({"ip", "netns", "delete", name});
            }
        }
        // `ip netns add` bind-mounts /run/netns onto itself; undo that if we caused it. A
        // plain (not lazy) unmount fails with EBUSY while anyone else has a netns in there.
        if (!runNetnsExisted && fs::is_empty("/run/netns", ec) && ::umount2("/run/netns", 0) == 0)
            ::rmdir("/run/netns");
    }

    std::vector<fs::path> bundles;
    for (const auto &entry : fs::directory_iterator("/tmp", ec))
        if (entry.path().string().starts_with(bundlePrefix()))
            bundles.push_back(entry.path());
    for (const fs::path &bundle : bundles) {
        BOOST_TEST_MESSAGE("cleanup: leftover bundle " << bundle);
        removeTree(bundle);
    }
    removeTree(rootDir());
    removeTree(pristinePath());
}

/// Termination hook: meson (on its timeout) or a user sent SIGTERM/SIGINT. meson SIGKILLs the
/// process group half a second later, so a janitor in a session of its own does the cleanup
/// while we exit at once. Our children are killed first: once we are gone they are not ours.
[[noreturn]] void terminate(int sig)
{
    std::vector<pid_t> children = childPids();
    std::fprintf(stderr, "husk tests: signal %d, cleaning up in the background\n", sig);
    exitLeavingJanitor(sig, [&] {
        for (pid_t pid : children) {
            ::killpg(pid, SIGKILL);
            ::kill(pid, SIGKILL);
        }
        cleanupRun();
    });
}

/// Next number for ids and namespace names.
int nextSerial()
{
    static int serial = 0;
    return ++serial;
}

// A relative path with a slash is made absolute: the runtime runs in other directories
// (`spec` in the bundle). A bare name ("runc") is left for PATH lookup.
std::string absoluteIfRelative(std::string path)
{
    if (path.find('/') != std::string::npos && path[0] != '/')
        return fs::absolute(path).lexically_normal().string();
    return path;
}

} // namespace

const std::string &runtimePath()
{
    static const std::string path = absoluteIfRelative(
        envOr("HUSK_RUNTIME", (selfDir() / "../../runtime/husk").lexically_normal().string()));
    return path;
}

bool isRunc()
{
    static const bool runc = [] {
        if (fs::path(runtimePath()).filename().string().find("runc") != std::string::npos)
            return true;
        CommandResult version = runCommand({runtimePath(), "--version"}, {.timeout = 10s});
        return version.out.starts_with("runc version");
    }();
    return runc;
}

const std::string &probePath()
{
    static const std::string path = absoluteIfRelative(
        envOr("HUSK_PROBE", (selfDir() / "../probe/husk-probe").lexically_normal().string()));
    return path;
}

const fs::path &rootDir()
{
    static const fs::path dir = "/run/husk-test-" + runPid();
    return dir;
}

std::string newContainerId()
{
    return "husktest-" + runPid() + "-" + std::to_string(nextSerial());
}

CommandResult runHusk(const std::vector<std::string> &args, const CommandOptions &options)
{
    std::vector<std::string> argv = {runtimePath(), "--root", rootDir().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r = runCommand(argv, options);
    if (r.timedOut)
        ++runtimeTimeouts;
    return r;
}

json parseJson(std::string_view text)
{
    for (const json &value : parseJsonLines(text))
        return value;
    return json();
}

std::vector<json> parseJsonLines(std::string_view text)
{
    std::vector<json> out;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view line = text.substr(start, end - start);
        start = end + 1;
        size_t first = line.find_first_of("{[");
        if (first == std::string_view::npos)
            continue;
        json value = json::parse(line.substr(first), nullptr, false);
        if (!value.is_discarded())
            out.push_back(std::move(value));
    }
    return out;
}

fs::path v1Hierarchy(const std::string &controller)
{
    for (const MountInfo &m : readMountInfo())
        if (m.fstype == "cgroup" &&
            ("," + m.superOptions + ",").find("," + controller + ",") != std::string::npos)
            return m.mountPoint;
    return {};
}

std::string readTrimmed(const fs::path &file)
{
    std::string s = slurp(file);
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    return s;
}

std::string hostNamespace(const std::string &name)
{
    std::error_code ec;
    fs::path target = fs::read_symlink("/proc/self/ns/" + name, ec);
    return ec ? std::string() : target.string();
}

std::string namespaceId(const std::string &type, const fs::path &file)
{
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0)
        return {};
    return type + ":[" + std::to_string(st.st_ino) + "]";
}

bool inPrivateNetns()
{
    // /proc/1/ns/net can't be read here, so judge by what a fresh `unshare --net` looks like:
    // nothing but the loopback device.
    struct if_nameindex *names = ::if_nameindex();
    if (names == nullptr)
        return false;
    bool onlyLo = true;
    for (struct if_nameindex *p = names; p->if_index != 0 && p->if_name != nullptr; ++p)
        onlyLo = onlyLo && std::string_view(p->if_name) == "lo";
    ::if_freenameindex(names);
    return onlyLo;
}

boost::test_tools::assertion_result notRunc(boost::unit_test::test_unit_id)
{
    boost::test_tools::assertion_result result(!isRunc());
    result.message() << "husk-only behaviour; runc (the oracle) differs";
    return result;
}

// ---- Bundle ----

Bundle::Bundle()
{
    std::string tmpl = bundlePrefix() + "XXXXXX";
    BOOST_REQUIRE_MESSAGE(::mkdtemp(tmpl.data()) != nullptr, "mkdtemp: " << std::strerror(errno));
    path_ = tmpl;
    // A failed requirement throws out of the constructor, and no destructor would remove it.
    try {
        fs::permissions(path_, fs::perms(0711));
        CommandResult copy = runCommand({"cp", "-a", pristineRootfs().string(), rootfs().string()});
        BOOST_REQUIRE_MESSAGE(copy.ok(), copy.describe());
        CommandResult spec = runHusk({"spec"}, {.timeout = 30s, .cwd = path_.string()});
        BOOST_REQUIRE_MESSAGE(spec.ok(), spec.describe());
        config_ = json::parse(slurp(path_ / "config.json"), nullptr, false);
        BOOST_REQUIRE_MESSAGE(config_.is_object(), "`spec` wrote no JSON object");
        config_["process"]["terminal"] = false;
        save();
    } catch (...) {
        removeTree(path_);
        throw;
    }
}

Bundle::~Bundle()
{
    removeTree(path_);
}

void Bundle::save() const
{
    writeText(path_ / "config.json", config_.dump(2));
}

void Bundle::writeRawConfig(std::string_view text) const
{
    writeText(path_ / "config.json", text);
}

void Bundle::setProbeArgs(const std::vector<std::string> &args)
{
    json argv = json::array({"/bin/husk-probe"});
    for (const std::string &a : args)
        argv.push_back(a);
    config_["process"]["args"] = argv;
}

void Bundle::setNamespace(const std::string &type, const std::string &path)
{
    json entry = {{"type", type}};
    if (!path.empty())
        entry["path"] = path;
    json &list = config_["linux"]["namespaces"];
    if (!list.is_array())
        list = json::array();
    for (json &ns : list) {
        if (ns.value("type", "") == type) {
            ns = entry;
            return;
        }
    }
    list.push_back(entry);
}

void Bundle::removeNamespace(const std::string &type)
{
    json &list = config_["linux"]["namespaces"];
    json kept = json::array();
    for (const json &ns : list)
        if (ns.value("type", "") != type)
            kept.push_back(ns);
    list = kept;
}

// ---- ContainerIo ----

ContainerIo::ContainerIo(const fs::path &dir, const std::string &name)
    : outPath_(dir / (name + ".out")), errPath_(dir / (name + ".err")),
      null_(::open("/dev/null", O_RDONLY | O_CLOEXEC)),
      out_(::open(outPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644)),
      err_(::open(errPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644))
{
    BOOST_REQUIRE_MESSAGE(null_ && out_ && err_, "cannot open stdio files in " << dir);
}

CommandOptions ContainerIo::options() const
{
    return {.stdinFd = null_.get(), .stdoutFd = out_.get(), .stderrFd = err_.get()};
}

std::string ContainerIo::out() const
{
    return slurp(outPath_);
}

std::string ContainerIo::err() const
{
    return slurp(errPath_);
}

void ContainerIo::clear()
{
    // The files are O_APPEND, so writers still holding them continue at the new end.
    BOOST_REQUIRE(::ftruncate(out_.get(), 0) == 0);
    BOOST_REQUIRE(::ftruncate(err_.get(), 0) == 0);
}

bool ContainerIo::waitForOut(std::string_view needle, std::chrono::milliseconds timeout) const
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        checkTermination();
        if (out().find(needle) != std::string::npos)
            return true;
        std::this_thread::sleep_for(20ms);
    }
    return out().find(needle) != std::string::npos;
}

// ---- NamedNetns ----

NamedNetns::NamedNetns() : name_("husktest-" + runPid() + "-ns" + std::to_string(nextSerial()))
{
    CommandResult r = runCommand({"ip", "netns", "add", name_});
    BOOST_REQUIRE_MESSAGE(r.ok(), r.describe());
}

NamedNetns::~NamedNetns()
{
    CommandResult r = runCommand({"ip", "netns", "delete", name_});
    if (!r.ok())
        BOOST_TEST_MESSAGE("cleanup: " << r.describe());
}

// ---- NamespaceHolder ----

NamespaceHolder::NamespaceHolder(int flags)
{
    int sync[2];
    BOOST_REQUIRE(::pipe2(sync, O_CLOEXEC) == 0);
    UniqueFd readEnd(sync[0]), writeEnd(sync[1]);
    pid_ = ::fork();
    BOOST_REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
        // Never outlive the harness, and hold none of its fds.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        char ok = ::unshare(flags) == 0 ? '1' : '0';
        if (::write(writeEnd.get(), &ok, 1) != 1)
            ::_exit(1);
        ::close_range(0, ~0U, 0);
        for (;;)
            ::pause();
    }
    writeEnd.reset();
    char ok = '0';
    BOOST_REQUIRE_MESSAGE(::read(readEnd.get(), &ok, 1) == 1 && ok == '1',
                          "namespace holder could not unshare");
}

NamespaceHolder::~NamespaceHolder()
{
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
}

std::string NamespaceHolder::path(const std::string &type) const
{
    return "/proc/" + std::to_string(pid_) + "/ns/" + type;
}

// ---- Fixture ----

Fixture::Fixture() : io(bundle.path(), "stdio")
{
    BOOST_REQUIRE_MESSAGE(runtimeTimeouts < maxRuntimeTimeouts,
                          "the runtime timed out " << runtimeTimeouts
                                                   << " times in this run; not trying again");
}

Fixture::~Fixture()
{
    // Most ids are gone already (deleted by the test, or `run` cleaned up); the delete is
    // still tried for each, and only a failure that leaves state behind is worth a message.
    for (const std::string &id : ids_) {
        CommandResult r = runHusk({"delete", "--force", id}, {.timeout = 30s});
        if (!r.ok() && fs::exists(rootDir() / id))
            BOOST_TEST_MESSAGE("cleanup: " << r.describe());
    }
    // Whatever is still running now was left behind (a container the runtime lost track of,
    // a stuck helper): all of it landed on us, the subreaper.
    killChildren();
}

std::string Fixture::newId()
{
    std::string id = newContainerId();
    ids_.push_back(id);
    return id;
}

void Fixture::track(const std::string &id)
{
    ids_.push_back(id);
}

CommandResult Fixture::create(const std::string &id, const std::vector<std::string> &extra)
{
    return create(id, bundle, io, extra);
}

CommandResult Fixture::create(const std::string &id, const Bundle &b, ContainerIo &out,
                              const std::vector<std::string> &extra,
                              const std::vector<int> &extraFds)
{
    track(id);
    std::vector<std::string> args = {"create", "--bundle", b.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(id);
    CommandOptions options = out.options();
    options.extraFds = extraFds;
    options.timeout = 30s;
    CommandResult r = runHusk(args, options);
    r.out = out.out();
    r.err = out.err();
    return r;
}

CommandResult Fixture::run(const std::string &id, const std::vector<std::string> &extra)
{
    track(id);
    std::vector<std::string> args = {"run", "--bundle", bundle.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(id);
    CommandOptions options = io.options();
    options.timeout = 30s;
    CommandResult r = runHusk(args, options);
    r.out = io.out();
    r.err = io.err();
    reapOrphans();
    return r;
}

CommandResult Fixture::start(const std::string &id)
{
    return runHusk({"start", id}, {.timeout = 15s});
}

CommandResult Fixture::kill(const std::string &id, const std::string &signal)
{
    return runHusk({"kill", id, signal}, {.timeout = 15s});
}

CommandResult Fixture::remove(const std::string &id, bool force)
{
    if (force)
        return runHusk({"delete", "--force", id}, {.timeout = 30s});
    return runHusk({"delete", id}, {.timeout = 15s});
}

std::optional<json> Fixture::state(const std::string &id)
{
    CommandResult r = runHusk({"state", id}, {.timeout = 15s});
    if (!r.ok())
        return std::nullopt;
    json value = json::parse(r.out, nullptr, false);
    if (value.is_discarded())
        return std::nullopt;
    return value;
}

std::string Fixture::status(const std::string &id)
{
    std::optional<json> s = state(id);
    return s && s->contains("status") && (*s)["status"].is_string()
               ? (*s)["status"].get<std::string>()
               : std::string();
}

bool Fixture::waitForStatus(const std::string &id, const std::string &wanted,
                            std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        reapOrphans();
        checkTermination();
        if (status(id) == wanted)
            return true;
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(50ms);
    }
}

json Fixture::probe(const std::vector<std::string> &args)
{
    bundle.setProbeArgs(args);
    bundle.save();
    io.clear();
    CommandResult r = run(newId());
    BOOST_REQUIRE_MESSAGE(r.ok(), r.describe());
    json value = parseJson(r.out);
    BOOST_REQUIRE_MESSAGE(!value.is_null(), "probe printed no JSON: " << r.describe());
    return value;
}

json Fixture::probeDetached(const std::vector<std::string> &args,
                            const std::vector<std::string> &extra, const std::vector<int> &extraFds)
{
    bundle.setProbeArgs(args);
    bundle.save();
    io.clear();
    std::string id = newId();
    CommandResult c = create(id, bundle, io, extra, extraFds);
    BOOST_REQUIRE_MESSAGE(c.ok(), c.describe());
    CommandResult s = start(id);
    BOOST_REQUIRE_MESSAGE(s.ok(), s.describe());
    BOOST_REQUIRE_MESSAGE(waitForStatus(id, "stopped"), "still " << status(id));
    CommandResult d = remove(id);
    BOOST_CHECK_MESSAGE(d.ok(), d.describe());
    json value = parseJson(io.out());
    BOOST_REQUIRE_MESSAGE(!value.is_null(), "probe printed no JSON: " << io.out() << io.err());
    return value;
}

CommandResult Fixture::createMustFail()
{
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    std::string id = newId();
    CommandResult r = create(id);
    BOOST_TEST(r.failed(), r.describe());
    BOOST_TEST(!state(id).has_value(), "create of " << id << " failed but left its state");
    return r;
}

std::string Fixture::startWaiting()
{
    bundle.setProbeArgs({"wait-signal"});
    bundle.save();
    io.clear();
    std::string id = newId();
    CommandResult c = create(id);
    BOOST_REQUIRE_MESSAGE(c.ok(), c.describe());
    CommandResult s = start(id);
    BOOST_REQUIRE_MESSAGE(s.ok(), s.describe());
    BOOST_REQUIRE_MESSAGE(io.waitForOut("\"ready\""), "probe never got ready: " << io.out());
    return id;
}

// ---- RunFixture ----

RunFixture::RunFixture()
{
    // meson reports exit status 77 as a skipped test: say why and skip rather than fail
    // every case when there is nothing to test.
    for (const std::string &needed : {runtimePath(), probePath()}) {
        if (::access(needed.c_str(), X_OK) != 0) {
            std::fprintf(stderr,
                         "skipping: %s is not an executable (%s); set HUSK_RUNTIME "
                         "and HUSK_PROBE\n",
                         needed.c_str(), std::strerror(errno));
            std::exit(77);
        }
    }
    if (::geteuid() != 0) {
        std::fprintf(stderr, "skipping: integration tests need root\n");
        std::exit(77);
    }
    runPid();
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    installTerminationHandler(terminate);
    std::error_code ec;
    fs::create_directories(rootDir(), ec);
    fs::permissions(rootDir(), fs::perms(0700), ec);
    runNetnsExisted = fs::exists("/run/netns");
    BOOST_TEST_MESSAGE("runtime: " << runtimePath() << (isRunc() ? " (runc oracle)" : ""));
    BOOST_TEST_MESSAGE("probe: " << probePath() << ", root: " << rootDir());
    if (!inPrivateNetns())
        BOOST_TEST_MESSAGE("warning: not in a private network namespace; run under "
                           "`unshare --net`");
}

RunFixture::~RunFixture()
{
    cleanupRun();
}

std::set<std::string> links()
{
    CommandResult r = runCommand({"ip", "-o", "link", "show"});
    std::set<std::string> names;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);)
        if (auto colon = line.find(": "); colon != std::string::npos)
            names.insert(line.substr(colon + 2, line.find(':', colon + 2) - colon - 2));
    return names;
}

std::string ruleset()
{
    return runCommand({"nft", "list", "ruleset"}).out;
}

void warmPodNetwork()
{
    std::string warm = "husktest-warmpod-" + std::to_string(::getpid());
    BOOST_REQUIRE(runHusk({"pod", "create", warm}, {.timeout = 60s}).ok());
    BOOST_REQUIRE(runHusk({"pod", "rm", warm}, {.timeout = 60s}).ok());
}

} // namespace husk::test
