// Integration tests: what the container's process sees of linux.seccomp (errno, kill, trap, log
// and notify actions, argument conditions), of Landlock (process.landlock and the
// run.husk.landlock annotation), and the six kinds of hooks: their order, the state they get on
// stdin, where they run, args, env, timeouts and what a failing hook does to the lifecycle.

#ifndef BOOST_TEST_DYN_LINK // meson's boost dependency may define it already
#define BOOST_TEST_DYN_LINK
#endif
#define BOOST_TEST_MODULE security
#include <boost/test/unit_test.hpp>

#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.h"

using namespace husk::test;
using husk::UniqueFd;
using nlohmann::json;
namespace fs = std::filesystem;
namespace utf = boost::unit_test;

BOOST_TEST_GLOBAL_FIXTURE(RunFixture);

namespace {

// ---- helpers shared by the suites ----

/// Reads a whole file, "" when it can't be read.
std::string slurp(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// The host's busybox-static (the harness builds the rootfs from the same one).
std::string hostBusybox()
{
    const char *value = std::getenv("HUSK_BUSYBOX");
    return value != nullptr && *value != '\0' ? value : "/bin/busybox";
}

/// Whether a process exists (a zombie counts); orphans that landed on us are reaped first.
bool processAlive(pid_t pid)
{
    reapOrphans();
    return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

/// The cgroup directories named `name` directly below /sys/fs/cgroup or one of its
/// hierarchies (v1 or hybrid) that exist.
std::vector<std::string> cgroupDirs(const std::string &name)
{
    std::vector<std::string> out;
    std::error_code ec;
    if (fs::exists(fs::path("/sys/fs/cgroup") / name, ec))
        out.push_back("/sys/fs/cgroup/" + name);
    for (const auto &entry : fs::directory_iterator("/sys/fs/cgroup", ec))
        if (entry.is_directory(ec) && fs::exists(entry.path() / name, ec))
            out.push_back((entry.path() / name).string());
    return out;
}

/// Sets process.rlimits to no core dumps, so a killed probe leaves no core file behind.
void noCoreDumps(Bundle &b)
{
    b.config()["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 1024}, {"hard", 1024}},
                                        {{"type", "RLIMIT_CORE"}, {"soft", 0}, {"hard", 0}}};
}

// ---- seccomp ----

/// One linux.seccomp.syscalls entry; errnoRet < 0 leaves it out.
json seccompRule(const std::vector<std::string> &names, const std::string &action,
                 int errnoRet = -1, const std::vector<json> &args = {})
{
    json rule = {{"names", names}, {"action", action}};
    if (errnoRet >= 0)
        rule["errnoRet"] = errnoRet;
    if (!args.empty())
        rule["args"] = json(args);
    return rule;
}

/// One argument comparison of a rule.
json seccompArg(unsigned index, uint64_t value, const std::string &op = "SCMP_CMP_EQ")
{
    return {{"index", index}, {"value", value}, {"op", op}};
}

/// A filter that allows everything but what rules say.
json allowAllBut(const std::vector<json> &rules)
{
    return {{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", json(rules)}};
}

/// The names libseccomp knows for this architecture, except those in `without`.
std::vector<std::string> allSyscallsBut(const std::vector<std::string> &without)
{
    std::vector<std::string> names;
    for (int nr = 0; nr < 1024; ++nr) {
        char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
        if (name == nullptr)
            continue;
        std::string n = name;
        std::free(name);
        if (std::find(without.begin(), without.end(), n) == without.end())
            names.push_back(n);
    }
    return names;
}

/// SIGSYS as `run` reports a process killed by it: 128 + the signal, as a shell does.
constexpr int kKilledBySigsys = 128 + SIGSYS;

/// Whether this kernel lets a filter hand syscalls to a user-space agent.
boost::test_tools::assertion_result userNotifAvailable(utf::test_unit_id)
{
    std::ifstream f("/proc/sys/kernel/seccomp/actions_avail");
    std::string actions;
    std::getline(f, actions);
    boost::test_tools::assertion_result r(actions.find("user_notif") != std::string::npos);
    r.message() << "kernel lacks SECCOMP_RET_USER_NOTIF (actions_avail: " << actions << ")";
    return r;
}

/// What the seccomp agent received and did; filled by its thread, read after finish().
struct AgentReport {
    /// Empty when everything went as planned, else what went wrong first.
    std::string error;
    /// The container process state, as received.
    std::string stateText;
    /// The fds that came with the first message, and with later ones (the spec forbids those).
    size_t fds = 0;
    size_t lateFds = 0;
    /// The notification: the caller's pid (in our pid namespace), syscall number, arguments.
    uint32_t pid = 0;
    int nr = -1;
    uint64_t args[6] = {};
    /// Whether the answer was accepted by the kernel.
    bool answered = false;
};

/// A seccomp agent (config-linux.md, "listenerPath"): a thread accepts one connection from
/// the runtime, reads the container process state and the notify fd up to EOF, then answers
/// the first notification with `val` (error 0) or with the negative errno `error`. Every wait
/// has a timeout, and the destructor stops the thread at once.
class SeccompAgent
{
public:
    /// Listens on path and starts the thread.
    SeccompAgent(const fs::path &path, int64_t val, int32_t error)
        : path_(path), val_(val), error_(error),
          listen_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)),
          stop_(::eventfd(0, EFD_CLOEXEC))
    {
        BOOST_REQUIRE(listen_ && stop_);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        BOOST_REQUIRE(path.string().size() < sizeof addr.sun_path);
        std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        BOOST_REQUIRE_MESSAGE(
            ::bind(listen_.get(), reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0,
            "bind " << path << ": " << std::strerror(errno));
        BOOST_REQUIRE(::listen(listen_.get(), 4) == 0);
        thread_ = std::thread([this] { serve(); });
    }

    /// Stops and joins the thread.
    ~SeccompAgent()
    {
        stop();
        if (thread_.joinable())
            thread_.join();
    }
    SeccompAgent(const SeccompAgent &) = delete;
    SeccompAgent &operator=(const SeccompAgent &) = delete;

    /// Waits for the thread to be done (its timeouts bound the wait) and returns its report.
    const AgentReport &finish()
    {
        if (thread_.joinable())
            thread_.join();
        return report_;
    }

private:
    /// Tells the thread to give up whatever it waits for.
    void stop()
    {
        uint64_t one = 1;
        ssize_t w = ::write(stop_.get(), &one, sizeof one);
        (void)w;
    }

    /// Waits until fd is readable (or hung up): false on stop or timeout, noting why.
    bool waitFor(int fd, const char *what)
    {
        pollfd fds[2] = {{fd, POLLIN, 0}, {stop_.get(), POLLIN, 0}};
        int r;
        do {
            r = ::poll(fds, 2, 30000);
        } while (r < 0 && errno == EINTR);
        if (r > 0 && !(fds[1].revents & POLLIN))
            return true;
        report_.error =
            std::string(r == 0 ? "timed out waiting for " : "stopped waiting for ") + what;
        return false;
    }

    void serve()
    {
        if (!waitFor(listen_.get(), "the runtime's connection"))
            return;
        UniqueFd conn(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!conn) {
            report_.error = std::string("accept: ") + std::strerror(errno);
            return;
        }
        std::vector<UniqueFd> fds;
        for (bool first = true;; first = false) {
            if (!waitFor(conn.get(), "the container process state"))
                return;
            char buf[4096];
            iovec iov{buf, sizeof buf};
            alignas(cmsghdr) char control[CMSG_SPACE(8 * sizeof(int))];
            msghdr msg{};
            msg.msg_iov = &iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control;
            msg.msg_controllen = sizeof control;
            ssize_t n = ::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC);
            if (n < 0) {
                report_.error = std::string("recvmsg: ") + std::strerror(errno);
                return;
            }
            for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                    continue;
                size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < count; ++i) {
                    int fd;
                    std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                    fds.emplace_back(fd);
                    ++(first ? report_.fds : report_.lateFds);
                }
            }
            if (n == 0)
                break;
            report_.stateText.append(buf, static_cast<size_t>(n));
        }
        if (fds.empty()) {
            report_.error = "no fd came with the container process state";
            return;
        }
        int notifyFd = fds.front().get();
        if (!waitFor(notifyFd, "a notification"))
            return;
        seccomp_notif req{};
        if (::ioctl(notifyFd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
            report_.error = std::string("SECCOMP_IOCTL_NOTIF_RECV: ") + std::strerror(errno);
            return;
        }
        report_.pid = req.pid;
        report_.nr = req.data.nr;
        for (size_t i = 0; i < 6; ++i)
            report_.args[i] = req.data.args[i];
        seccomp_notif_resp resp{};
        resp.id = req.id;
        resp.val = val_;
        resp.error = error_;
        if (::ioctl(notifyFd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0) {
            report_.error = std::string("SECCOMP_IOCTL_NOTIF_SEND: ") + std::strerror(errno);
            return;
        }
        report_.answered = true;
    }

    fs::path path_;
    int64_t val_;
    int32_t error_;
    UniqueFd listen_;
    UniqueFd stop_;
    AgentReport report_;
    std::thread thread_;
};

/// Runs the probe's `syscall getpriority 0 WHO` in a container whose filter notifies
/// getpriority to an agent answering with val or error; checks what the agent got and returns
/// what the probe printed.
json notifiedGetpriority(Fixture &f, int64_t val, int32_t error)
{
    const uint64_t who = 4242; // no such process: unanswered, the call would fail with ESRCH
    fs::path socket = f.bundle.path() / "agent.sock";
    SeccompAgent agent(socket, val, error);
    json seccomp = allowAllBut({seccompRule({"getpriority"}, "SCMP_ACT_NOTIFY")});
    seccomp["listenerPath"] = socket.string();
    seccomp["listenerMetadata"] = "husk-test-metadata";
    f.bundle.config()["linux"]["seccomp"] = seccomp;
    f.bundle.setProbeArgs({"syscall", "getpriority", "0", std::to_string(who)});
    f.bundle.save();
    f.io.clear();

    // The runtime hands the notify fd over during create; the probe's call waits for the
    // agent's answer after start.
    std::string id = f.newId();
    CommandResult c = f.create(id);
    BOOST_REQUIRE_MESSAGE(c.ok(), c.describe());
    std::optional<json> st = f.state(id);
    BOOST_REQUIRE(st.has_value());
    pid_t pid = (*st)["pid"].get<pid_t>();
    CommandResult s = f.start(id);
    BOOST_REQUIRE_MESSAGE(s.ok(), s.describe());
    BOOST_REQUIRE_MESSAGE(f.waitForStatus(id, "stopped", 40s), "still " << f.status(id));
    const AgentReport &report = agent.finish();

    BOOST_TEST(report.error.empty(), report.error);
    json processState = json::parse(report.stateText, nullptr, false);
    BOOST_REQUIRE_MESSAGE(processState.is_object(), "not JSON: " << report.stateText);
    BOOST_TEST(processState["fds"] == json::array({"seccompFd"}), processState.dump());
    BOOST_TEST(report.fds == 1U);
    BOOST_TEST(report.lateFds == 0U);
    BOOST_TEST(processState.contains("ociVersion"), processState.dump());
    BOOST_TEST(processState["pid"] == pid, processState.dump());
    BOOST_TEST(processState["metadata"] == "husk-test-metadata", processState.dump());
    json &state = processState["state"];
    BOOST_TEST(state["id"] == id, processState.dump());
    BOOST_TEST(state["bundle"] == f.bundle.path().string(), processState.dump());
    BOOST_TEST(state["pid"] == pid, processState.dump());
    // Handed over in the middle of create (runtime.md: "the container is being created").
    BOOST_TEST(state["status"] == "creating", processState.dump());
    BOOST_TEST(report.pid == static_cast<uint32_t>(pid));
    BOOST_TEST(report.nr == SYS_getpriority);
    BOOST_TEST(report.args[0] == 0U);
    BOOST_TEST(report.args[1] == who);
    BOOST_TEST(report.answered);

    json out = parseJson(f.io.out());
    BOOST_REQUIRE_MESSAGE(out.is_object(), "probe printed no JSON: " << f.io.out() << f.io.err());
    return out;
}

// ---- Landlock ----

/// The kernel's Landlock ABI version, 0 without Landlock.
int landlockAbi()
{
    long v = ::syscall(444 /* landlock_create_ruleset */, nullptr, 0, 1U /* VERSION */);
    return v < 0 ? 0 : static_cast<int>(v);
}

/// Precondition: the kernel has Landlock.
boost::test_tools::assertion_result landlockAvailable(utf::test_unit_id)
{
    boost::test_tools::assertion_result r(landlockAbi() > 0);
    r.message() << "the kernel has no Landlock (or it is disabled)";
    return r;
}

/// Precondition: the kernel lacks the newest right husk knows, the "signal" scope (ABI 6), so
/// strict mode has something to refuse.
boost::test_tools::assertion_result landlockLacksSignalScope(utf::test_unit_id)
{
    int abi = landlockAbi();
    boost::test_tools::assertion_result r(abi > 0 && abi < 6);
    r.message() << "the kernel's Landlock ABI " << abi
                << (abi > 0 ? " has every right husk knows" : " means no Landlock");
    return r;
}

/// The file rights of the Landlock objects below: writing and making things, nothing else
/// (reading and executing stay unrestricted, so the probe still runs).
const std::vector<std::string> kWriteRights = {"write_file",  "make_reg",   "make_dir",
                                               "remove_file", "remove_dir", "truncate"};

/// A process.landlock object (runtime-spec PR 1241 shape) that allows writing only beneath
/// the given paths.
json landlockWriteOnlyBeneath(const std::vector<std::string> &paths)
{
    return {
        {"handledAccess", {{"handledAccessFS", kWriteRights}}},
        {"rules",
         {{"pathBeneath", json::array({{{"allowedAccess", kWriteRights}, {"paths", paths}}})}}}};
}

/// Runs the probe once per command in fresh containers and returns what each printed.
std::vector<json> probeEach(Fixture &f, const std::vector<std::vector<std::string>> &commands)
{
    std::vector<json> out;
    for (const std::vector<std::string> &c : commands)
        out.push_back(f.probe(c));
    return out;
}

/// Checks the "write only beneath /tmp" policy from inside: /tmp is writable, / and /etc are
/// not (EACCES from Landlock: the rootfs itself is writable), reading is untouched.
void checkWriteOnlyBeneathTmp(Fixture &f)
{
    std::vector<json> r = probeEach(f, {{"write", "/tmp/x"},
                                        {"write", "/etc/x"},
                                        {"write", "/x"},
                                        {"open", "/etc/hostname", "w"},
                                        {"open", "/etc/hostname", "r"},
                                        {"syscall", "mkdirat", "/tmp/dir"},
                                        {"syscall", "mkdirat", "/dir"}});
    BOOST_TEST(r[0]["ok"] == true, r[0].dump());
    BOOST_TEST(r[1]["error"] == "EACCES", r[1].dump());
    BOOST_TEST(r[2]["error"] == "EACCES", r[2].dump());
    BOOST_TEST(r[3]["error"] == "EACCES", r[3].dump());
    BOOST_TEST(r[4]["ok"] == true, r[4].dump());
    BOOST_TEST(r[5]["ok"] == true, r[5].dump());
    BOOST_TEST(r[6]["error"] == "EACCES", r[6].dump());
    BOOST_TEST(fs::exists(f.bundle.rootfs() / "tmp/x"));
    BOOST_TEST(!fs::exists(f.bundle.rootfs() / "etc/x"));
}

// ---- hooks ----

/// The script of a logging hook (busybox sh -c SCRIPT NAME ARG): appends one JSON line to
/// $HOOK_LOG with its $0 and $1 (from args), $HOOK_ENV (from env), its mount namespace and
/// the state it read on stdin. Hooks get no PATH, so busybox is named by $HOOK_BB.
constexpr const char *kLogScript =
    "printf '{\"hook\":\"%s\",\"arg\":\"%s\",\"env\":\"%s\",\"mnt\":\"%s\",\"state\":' "
    "\"$0\" \"$1\" \"$HOOK_ENV\" \"$(\"$HOOK_BB\" readlink /proc/self/ns/mnt)\" >> \"$HOOK_LOG\"; "
    "\"$HOOK_BB\" cat >> \"$HOOK_LOG\"; echo '}' >> \"$HOOK_LOG\"";

/// Where the hooks of a test write: <bundle>/hooklog on the host, bind-mounted at /hooklog
/// in the container, so hooks on either side of pivot_root append to the same file.
class HookLog
{
public:
    /// Makes the directory and adds the bind mount to the bundle's config (not saved).
    explicit HookLog(Bundle &b) : dir_(b.path() / "hooklog")
    {
        fs::create_directories(dir_);
        fs::create_directories(b.rootfs() / "hooklog");
        b.config()["mounts"].push_back({{"destination", "/hooklog"},
                                        {"type", "bind"},
                                        {"source", dir_.string()},
                                        {"options", {"rbind", "rw"}}});
    }

    /// A hook that logs under name. Hooks that run after pivot_root (startContainer) name
    /// busybox and the log by their paths in the container.
    json hook(const std::string &name, bool inContainer = false) const
    {
        std::string busybox = inContainer ? "/bin/busybox" : hostBusybox();
        std::string log = inContainer ? "/hooklog/log" : (dir_ / "log").string();
        return {{"path", busybox},
                {"args", {"sh", "-c", kLogScript, name, "arg-" + name}},
                {"env", {"HOOK_LOG=" + log, "HOOK_BB=" + busybox, "HOOK_ENV=env-" + name}}};
    }

    /// A hook that exits with status 3 without reading its stdin.
    json failing() const { return {{"path", hostBusybox()}, {"args", {"sh", "-c", "exit 3"}}}; }

    /// The entries logged so far.
    std::vector<json> entries() const { return parseJsonLines(slurp(dir_ / "log")); }

    /// The names of the entries logged so far, in order.
    std::vector<std::string> names() const
    {
        std::vector<std::string> out;
        for (const json &e : entries())
            out.push_back(e.value("hook", "?"));
        return out;
    }

    /// The logged entry of a hook by name, null when it did not run.
    json entry(const std::string &name) const
    {
        for (const json &e : entries())
            if (e.value("hook", "") == name)
                return e;
        return json();
    }

    /// The directory on the host.
    const fs::path &dir() const { return dir_; }

private:
    fs::path dir_;
};

/// The names joined for failure messages.
std::string joined(const std::vector<std::string> &names)
{
    std::string out;
    for (const std::string &n : names)
        out += (out.empty() ? "" : " ") + n;
    return "[" + out + "]";
}

/// The mount namespace of a host pid, "mnt:[inode]".
std::string mntNamespaceOf(pid_t pid)
{
    std::error_code ec;
    fs::path target = fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/mnt", ec);
    return ec ? std::string() : target.string();
}

/// Checks that a failed create left nothing: no state, no state directory, no process of the
/// container (initPid, from a hook's state, when known), no cgroup named cgroupName.
void checkNothingLeft(Fixture &f, const std::string &id, pid_t initPid,
                      const std::string &cgroupName)
{
    BOOST_TEST(!f.state(id).has_value(), "`state " << id << "` still answers");
    BOOST_TEST(!fs::exists(rootDir() / id), "state directory " << rootDir() / id << " left");
    if (initPid > 0)
        BOOST_TEST(!processAlive(initPid), "container init " << initPid << " still exists");
    std::vector<std::string> left = cgroupDirs(cgroupName);
    BOOST_TEST(left.empty(), "cgroups left: " << joined(left));
}

/// The init pid in a logged hook entry's state, 0 when absent.
pid_t statePid(const json &entry)
{
    if (!entry.is_object() || !entry.contains("state") || !entry["state"].is_object())
        return 0;
    return entry["state"].value("pid", 0);
}

} // namespace

// =====================================================================================

BOOST_FIXTURE_TEST_CASE(selinux_labels_are_ignored_with_a_warning_where_selinux_is_off, Fixture,
                        *utf::precondition(notRunc))
{
    if (fs::exists("/sys/fs/selinux/enforce")) {
        BOOST_TEST_MESSAGE("skipped: SELinux is enabled on this host");
        return;
    }
    // As runc's SELinux library and crun: the labels mean nothing without SELinux.
    bundle.config()["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0:c1,c2";
    bundle.config()["linux"]["mountLabel"] = "system_u:object_r:container_file_t:s0:c1,c2";
    bundle.setProbeArgs({"info"});
    bundle.save();
    CommandResult r = run(newId());
    BOOST_TEST(r.ok(), r.describe());
    size_t at = r.err.find("SELinux is not enabled");
    BOOST_TEST(at != std::string::npos, r.err);
    BOOST_TEST(r.err.find("SELinux is not enabled", at + 1) == std::string::npos, r.err);
}

BOOST_AUTO_TEST_SUITE(seccomp)

BOOST_FIXTURE_TEST_CASE(errno_rule_returns_errno_ret, Fixture)
{
    bundle.config()["linux"]["seccomp"] =
        allowAllBut({seccompRule({"mkdirat", "getpriority"}, "SCMP_ACT_ERRNO", 42)});
    json mk = probe({"syscall", "mkdirat", "/tmp/d"});
    BOOST_TEST(mk["ok"] == false, mk.dump());
    BOOST_TEST(mk["errno"] == 42, mk.dump());
    json prio = probe({"syscall", "getpriority", "0", "0"});
    BOOST_TEST(prio["errno"] == 42, prio.dump());
    // Other calls are untouched, and the filter is in place (mode 2, SECCOMP_MODE_FILTER).
    json uts = probe({"syscall", "uname"});
    BOOST_TEST(uts["ok"] == true, uts.dump());
    json info = probe({"info"});
    BOOST_TEST(info["seccomp"] == 2);
}

BOOST_FIXTURE_TEST_CASE(errno_rule_without_errno_ret_is_eperm, Fixture)
{
    // config-linux.md: errnoRet "If not specified its default value is EPERM".
    bundle.config()["linux"]["seccomp"] = allowAllBut({seccompRule({"uname"}, "SCMP_ACT_ERRNO")});
    json r = probe({"syscall", "uname"});
    BOOST_TEST(r["error"] == "EPERM", r.dump());
}

BOOST_FIXTURE_TEST_CASE(errno_rule_without_no_new_privileges, Fixture)
{
    // Without no_new_privs the filter must be loaded while still privileged (before the user
    // switch drops CAP_SYS_ADMIN); it must hold for the non-root process all the same.
    bundle.config()["process"]["noNewPrivileges"] = false;
    bundle.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
    bundle.config()["linux"]["seccomp"] =
        allowAllBut({seccompRule({"getpriority"}, "SCMP_ACT_ERRNO", 42)});
    json r = probe({"syscall", "getpriority", "0", "0"});
    BOOST_TEST(r["errno"] == 42, r.dump());
    json info = probe({"info"});
    BOOST_TEST(info["uid"] == 1000);
    BOOST_TEST(info["noNewPrivs"] == 0);
    BOOST_TEST(info["seccomp"] == 2);
}

BOOST_FIXTURE_TEST_CASE(default_errno_ret, Fixture)
{
    // An allowlist: every call libseccomp knows but getpriority is allowed, the rest fails
    // with defaultErrnoRet instead of EPERM.
    bundle.config()["linux"]["seccomp"] = {
        {"defaultAction", "SCMP_ACT_ERRNO"},
        {"defaultErrnoRet", 42},
        {"syscalls",
         json::array({seccompRule(allSyscallsBut({"getpriority"}), "SCMP_ACT_ALLOW")})}};
    json r = probe({"syscall", "getpriority", "0", "0"});
    BOOST_TEST(r["ok"] == false, r.dump());
    BOOST_TEST(r["errno"] == 42, r.dump());
}

BOOST_FIXTURE_TEST_CASE(syscalls_newer_than_the_profile_get_enosys, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    // runc's rule: a call numbered above every syscall the profile names is newer than the
    // profile, and gets ENOSYS, so a libc trying a new call falls back to an old one; a call
    // the profile knows and does not allow still gets the default action. (runc 1.1 does
    // this too, but its own init then needs calls this allowlist lacks.)
    bundle.config()["linux"]["seccomp"] = {
        {"defaultAction", "SCMP_ACT_ERRNO"},
        {"syscalls",
         json::array({seccompRule(allSyscallsBut({"getpriority"}), "SCMP_ACT_ALLOW")})}};
    json newer = probe({"syscall", "nr:1000"});
    BOOST_TEST(newer["error"] == "ENOSYS", newer.dump());
    json known = probe({"syscall", "getpriority", "0", "0"});
    BOOST_TEST(known["error"] == "EPERM", known.dump());
    // An allowing default denies nothing: the new call reaches the kernel (ENOSYS there too,
    // but from the kernel), and a KILL default still gives ENOSYS, not SIGSYS.
    bundle.config()["linux"]["seccomp"]["defaultAction"] = "SCMP_ACT_KILL_PROCESS";
    json killed = probe({"syscall", "nr:1000"});
    BOOST_TEST(killed["error"] == "ENOSYS", killed.dump());
}

BOOST_FIXTURE_TEST_CASE(the_built_in_default_profile_answers_enosys_for_newer_calls, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    fs::create_directories(bundle.path() / "spec-out");
    CommandResult spec = runHusk(
        {"spec", "--seccomp", "default", "--bundle", (bundle.path() / "spec-out").string()});
    BOOST_REQUIRE_MESSAGE(spec.ok(), spec.describe());
    json generated = json::parse(std::ifstream(bundle.path() / "spec-out/config.json"));
    bundle.config()["linux"]["seccomp"] = generated["linux"]["seccomp"];
    json newer = probe({"syscall", "nr:1000"});
    BOOST_TEST(newer["error"] == "ENOSYS", newer.dump());
    json denied = probe({"syscall", "personality", "0x0040000"}); // ADDR_NO_RANDOMIZE
    BOOST_TEST(denied["error"] == "EPERM", denied.dump());
}

BOOST_FIXTURE_TEST_CASE(args_conditioned_rules, Fixture)
{
    // getpriority(which, who): PRIO_PGRP (1) for any who fails with 43; PRIO_PROCESS (0) only
    // for who 4242 (both comparisons of one rule must hold) fails with 44.
    bundle.config()["linux"]["seccomp"] = allowAllBut({
        seccompRule({"getpriority"}, "SCMP_ACT_ERRNO", 43, {seccompArg(0, 1)}),
        seccompRule({"getpriority"}, "SCMP_ACT_ERRNO", 44, {seccompArg(0, 0), seccompArg(1, 4242)}),
    });
    json own = probe({"syscall", "getpriority", "0", "0"});
    BOOST_TEST(own["ok"] == true, own.dump());
    BOOST_TEST(own["ret"] == 20, own.dump()); // the kernel's 20 - nice, nice 0
    json group = probe({"syscall", "getpriority", "1", "0"});
    BOOST_TEST(group["errno"] == 43, group.dump());
    json both = probe({"syscall", "getpriority", "0", "4242"});
    BOOST_TEST(both["errno"] == 44, both.dump());
    // Unfiltered, that process does not exist: the second comparison alone does not match.
    json other = probe({"syscall", "getpriority", "2", "4242"});
    BOOST_TEST(other["error"] == "ESRCH", other.dump());
}

BOOST_FIXTURE_TEST_CASE(masked_eq_argument, Fixture)
{
    // SCMP_CMP_MASKED_EQ: (arg & valueTwo) == value. socket(AF_UNIX, type with
    // SOCK_CLOEXEC set, 0) fails, the same socket without it does not.
    json arg = {{"index", 1},
                {"value", SOCK_CLOEXEC},
                {"valueTwo", SOCK_CLOEXEC},
                {"op", "SCMP_CMP_MASKED_EQ"}};
    bundle.config()["linux"]["seccomp"] =
        allowAllBut({seccompRule({"socket"}, "SCMP_ACT_ERRNO", 45, {arg})});
    json plain = probe({"syscall", "socket", "1", std::to_string(SOCK_STREAM), "0"});
    BOOST_TEST(plain["ok"] == true, plain.dump());
    json cloexec =
        probe({"syscall", "socket", "1", std::to_string(SOCK_STREAM | SOCK_CLOEXEC), "0"});
    BOOST_TEST(cloexec["errno"] == 45, cloexec.dump());
}

BOOST_FIXTURE_TEST_CASE(kill_actions_end_the_process_with_sigsys, Fixture)
{
    // The probe is single-threaded, so killing the thread kills the process; TRAP sends a
    // SIGSYS the probe does not handle. `run` reports the signal as 128 + SIGSYS.
    noCoreDumps(bundle);
    for (const char *action :
         {"SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP"}) {
        BOOST_TEST_CONTEXT(action)
        {
            bundle.config()["linux"]["seccomp"] = allowAllBut({seccompRule({"getppid"}, action)});
            bundle.setProbeArgs({"syscall", "getppid"});
            bundle.save();
            io.clear();
            CommandResult r = run(newId());
            BOOST_TEST(r.exitCode == kKilledBySigsys, r.describe());
            BOOST_TEST(!r.signaled, r.describe());
            BOOST_TEST(r.out.empty(), r.describe());
        }
    }
}

BOOST_FIXTURE_TEST_CASE(log_action_lets_the_call_through, Fixture)
{
    bundle.config()["linux"]["seccomp"] = allowAllBut({seccompRule({"uname"}, "SCMP_ACT_LOG")});
    json r = probe({"syscall", "uname"});
    BOOST_TEST(r["ok"] == true, r.dump());
    BOOST_TEST(r["ret"] == 0, r.dump());
    BOOST_TEST(r["sysname"] == "Linux", r.dump());
}

BOOST_FIXTURE_TEST_CASE(errno_ret_on_an_action_without_errno_fails, Fixture)
{
    // config-linux.md, errnoRet and defaultErrnoRet: "When the action doesn't support an
    // errno, the runtime MUST print and error and fail."
    bundle.setProbeArgs({"exit", "0"});
    bundle.config()["linux"]["seccomp"] = allowAllBut({seccompRule({"uname"}, "SCMP_ACT_LOG", 5)});
    bundle.save();
    CommandResult rule = create(newId());
    BOOST_TEST(rule.failed(), rule.describe());

    bundle.config()["linux"]["seccomp"] = allowAllBut({seccompRule({"uname"}, "SCMP_ACT_ERRNO")});
    bundle.config()["linux"]["seccomp"]["defaultErrnoRet"] = 5;
    bundle.save();
    CommandResult def = create(newId());
    BOOST_TEST(def.failed(), def.describe());
}

BOOST_FIXTURE_TEST_CASE(notify_agent_answers_with_a_value, Fixture,
                        *utf::precondition(userNotifAvailable))
{
    json r = notifiedGetpriority(*this, 777, 0);
    BOOST_TEST(r["ok"] == true, r.dump());
    BOOST_TEST(r["ret"] == 777, r.dump());
}

BOOST_FIXTURE_TEST_CASE(notify_agent_answers_with_an_error, Fixture,
                        *utf::precondition(userNotifAvailable))
{
    json r = notifiedGetpriority(*this, 0, -EMEDIUMTYPE);
    BOOST_TEST(r["ok"] == false, r.dump());
    BOOST_TEST(r["errno"] == EMEDIUMTYPE, r.dump());
}

BOOST_FIXTURE_TEST_CASE(notify_without_an_agent_fails_create, Fixture,
                        *utf::precondition(userNotifAvailable))
{
    // config-linux.md, listenerPath: "If sending to this socket fails, the runtime MUST
    // generate an error."
    json seccomp = allowAllBut({seccompRule({"getpriority"}, "SCMP_ACT_NOTIFY")});
    seccomp["listenerPath"] = (bundle.path() / "nobody.sock").string();
    bundle.config()["linux"]["seccomp"] = seccomp;
    bundle.setProbeArgs({"syscall", "getpriority", "0", "0"});
    bundle.save();
    std::string id = newId();
    CommandResult r = create(id);
    BOOST_TEST(r.failed(), r.describe());
    BOOST_TEST(!state(id).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

// =====================================================================================

// Landlock is a husk extension (runtime-spec PR 1241): runc ignores it.
BOOST_AUTO_TEST_SUITE(landlock, *utf::precondition(notRunc) * utf::precondition(landlockAvailable))

BOOST_FIXTURE_TEST_CASE(writable_rootfs_without_landlock, Fixture)
{
    // The control for the tests below: with root.readonly false everything is writable, so
    // their EACCES comes from Landlock, not from the mount.
    bundle.config()["root"]["readonly"] = false;
    json etc = probe({"write", "/etc/x"});
    BOOST_TEST(etc["ok"] == true, etc.dump());
    json root = probe({"syscall", "mkdirat", "/dir"});
    BOOST_TEST(root["ok"] == true, root.dump());
}

BOOST_FIXTURE_TEST_CASE(process_landlock_write_only_beneath_tmp, Fixture)
{
    bundle.config()["root"]["readonly"] = false;
    bundle.config()["process"]["landlock"] = landlockWriteOnlyBeneath({"/tmp"});
    checkWriteOnlyBeneathTmp(*this);
    json info = probe({"info"});
    // landlock_restrict_self needs no_new_privs; the default spec has it set anyway.
    BOOST_TEST(info["noNewPrivs"] == 1);
}

BOOST_FIXTURE_TEST_CASE(annotation_write_only_beneath_tmp, Fixture)
{
    bundle.config()["root"]["readonly"] = false;
    bundle.config()["annotations"]["run.husk.landlock"] = landlockWriteOnlyBeneath({"/tmp"}).dump();
    checkWriteOnlyBeneathTmp(*this);
}

BOOST_FIXTURE_TEST_CASE(landlock_without_no_new_privileges_still_applies, Fixture)
{
    // landlock_restrict_self needs no_new_privs (or CAP_SYS_ADMIN); the runtime sets it.
    bundle.config()["root"]["readonly"] = false;
    bundle.config()["process"]["noNewPrivileges"] = false;
    bundle.config()["process"]["landlock"] = landlockWriteOnlyBeneath({"/tmp"});
    json etc = probe({"write", "/etc/x"});
    BOOST_TEST(etc["error"] == "EACCES", etc.dump());
    json tmp = probe({"write", "/tmp/x"});
    BOOST_TEST(tmp["ok"] == true, tmp.dump());
}

BOOST_FIXTURE_TEST_CASE(best_effort_skips_a_missing_path, Fixture)
{
    bundle.config()["root"]["readonly"] = false;
    bundle.config()["process"]["landlock"] = landlockWriteOnlyBeneath({"/no-such-dir", "/tmp"});
    json tmp = probe({"write", "/tmp/x"});
    BOOST_TEST(tmp["ok"] == true, tmp.dump());
    json etc = probe({"write", "/etc/x"});
    BOOST_TEST(etc["error"] == "EACCES", etc.dump());
}

BOOST_FIXTURE_TEST_CASE(strict_mode_fails_on_a_missing_path, Fixture)
{
    // disableBestEffort (PR 1111's name; enableBestEffort false is the same): a rule the
    // kernel cannot be given is an error, and the container's process never runs. The
    // paths are opened in the container, after the exec fifo, so this may surface at start.
    bundle.config()["root"]["readonly"] = false;
    json ll = landlockWriteOnlyBeneath({"/no-such-dir", "/tmp"});
    ll["disableBestEffort"] = true;
    bundle.config()["process"]["landlock"] = ll;
    bundle.setProbeArgs({"echo", "the process ran"});
    bundle.save();
    std::string id = newId();
    CommandResult c = create(id);
    CommandResult failed = c;
    if (c.ok()) {
        failed = start(id);
        failed.err += io.err();
    }
    BOOST_TEST(failed.failed(), failed.describe());
    BOOST_TEST(failed.err.find("/no-such-dir") != std::string::npos, failed.describe());
    BOOST_TEST(io.out().find("the process ran") == std::string::npos, io.out());
    std::string status = this->status(id);
    BOOST_TEST((status.empty() || status == "stopped"), status);
}

BOOST_FIXTURE_TEST_CASE(strict_mode_fails_create_for_a_right_the_kernel_lacks, Fixture,
                        *utf::precondition(landlockLacksSignalScope))
{
    bundle.config()["process"]["landlock"] = {
        {"handledAccess", {{"scoped", json::array({"signal"})}}}, {"disableBestEffort", true}};
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    std::string id = newId();
    CommandResult c = create(id);
    BOOST_TEST(c.failed(), c.describe());
    BOOST_TEST(c.err.find("signal") != std::string::npos, c.describe());
    BOOST_TEST(!state(id).has_value());
}

BOOST_FIXTURE_TEST_CASE(invalid_landlock_fails_create, Fixture)
{
    // A misspelt right would otherwise silently turn the sandbox off.
    json ll = landlockWriteOnlyBeneath({"/tmp"});
    ll["handledAccess"]["handledAccessFS"].push_back("write_files");
    bundle.config()["process"]["landlock"] = ll;
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    std::string id = newId();
    CommandResult c = create(id);
    BOOST_TEST(c.failed(), c.describe());
    BOOST_TEST(c.err.find("write_files") != std::string::npos, c.describe());
    BOOST_TEST(!state(id).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

// =====================================================================================

namespace {

/// Creates and starts id, and waits until it has stopped.
void runToStopped(Fixture &f, const std::string &id)
{
    CommandResult c = f.create(id);
    BOOST_REQUIRE_MESSAGE(c.ok(), c.describe());
    CommandResult s = f.start(id);
    BOOST_REQUIRE_MESSAGE(s.ok(), s.describe());
    BOOST_REQUIRE_MESSAGE(f.waitForStatus(id, "stopped"), "still " << f.status(id));
}

} // namespace

BOOST_AUTO_TEST_SUITE(hooks)

BOOST_FIXTURE_TEST_CASE(all_hooks_in_order_with_state_args_and_env, Fixture)
{
    HookLog log(bundle);
    bundle.config()["annotations"]["org.husk.test"] = "hooks";
    bundle.config()["hooks"] = {
        {"prestart", json::array({log.hook("prestart")})},
        {"createRuntime", json::array({log.hook("createRuntime.0"), log.hook("createRuntime.1")})},
        {"createContainer", json::array({log.hook("createContainer")})},
        {"startContainer", json::array({log.hook("startContainer", true)})},
        {"poststart", json::array({log.hook("poststart")})},
        {"poststop", json::array({log.hook("poststop")})},
    };
    bundle.setProbeArgs({"wait-signal"});
    bundle.save();
    std::string id = newId();

    CommandResult c = create(id);
    BOOST_REQUIRE_MESSAGE(c.ok(), c.describe());
    std::vector<std::string> created = {"prestart", "createRuntime.0", "createRuntime.1",
                                        "createContainer"};
    BOOST_TEST(log.names() == created, joined(log.names()));
    std::optional<json> st = state(id);
    BOOST_REQUIRE(st.has_value());
    pid_t pid = (*st)["pid"].get<pid_t>();
    std::string containerMnt = mntNamespaceOf(pid);
    BOOST_REQUIRE(!containerMnt.empty());
    BOOST_REQUIRE(containerMnt != hostNamespace("mnt"));

    CommandResult s = start(id);
    BOOST_REQUIRE_MESSAGE(s.ok(), s.describe());
    // poststart runs before start returns.
    std::vector<std::string> started = created;
    started.insert(started.end(), {"startContainer", "poststart"});
    BOOST_TEST(log.names() == started, joined(log.names()));
    BOOST_REQUIRE_MESSAGE(io.waitForOut("\"ready\""), "probe never got ready: " << io.out());

    CommandResult k = kill(id, "TERM");
    BOOST_REQUIRE_MESSAGE(k.ok(), k.describe());
    BOOST_REQUIRE_MESSAGE(waitForStatus(id, "stopped"), "still " << status(id));
    CommandResult d = remove(id);
    BOOST_REQUIRE_MESSAGE(d.ok(), d.describe());
    // poststop runs before delete returns.
    std::vector<std::string> all = started;
    all.push_back("poststop");
    BOOST_TEST(log.names() == all, joined(log.names()));

    for (json e : log.entries()) {
        std::string name = e.value("hook", "?");
        BOOST_TEST_CONTEXT(name)
        {
            json &state = e["state"];
            BOOST_TEST(e["arg"] == "arg-" + name, e.dump());
            BOOST_TEST(e["env"] == "env-" + name, e.dump());
            BOOST_TEST(state["id"] == id, e.dump());
            BOOST_TEST(state["bundle"] == bundle.path().string(), e.dump());
            BOOST_TEST(state.contains("ociVersion"), e.dump());
            BOOST_TEST(state["annotations"]["org.husk.test"] == "hooks", e.dump());
            bool inContainer = name == "createContainer" || name == "startContainer";
            BOOST_TEST(e["mnt"] == (inContainer ? containerMnt : hostNamespace("mnt")), e.dump());
            if (name == "poststop") {
                BOOST_TEST(state["status"] == "stopped", e.dump());
                BOOST_TEST((!state.contains("pid") || state["pid"] == 0), e.dump());
            } else {
                BOOST_TEST(state["pid"] == pid, e.dump());
            }
            if (name == "poststart")
                BOOST_TEST(state["status"] == "running", e.dump());
            if (name == "startContainer")
                BOOST_TEST(state["status"] == "created", e.dump());
            // runtime.md leaves it open whether the create-time hooks (after the
            // environment exists, before create returns) see "creating" (runc) or
            // "created" (husk: "after step 2 in the lifecycle").
            if (name.starts_with("prestart") || name.starts_with("createRuntime") ||
                name == "createContainer")
                BOOST_TEST((state["status"] == "creating" || state["status"] == "created"),
                           e.dump());
        }
    }
}

BOOST_FIXTURE_TEST_CASE(hooks_without_env_get_runc_s_environment_and_cwd, Fixture)
{
    // No "env": the runtime's environment for hooks the runtime runs, process.env for those
    // the init runs; createContainer hooks run in the container's root directory.
    HookLog log(bundle);
    auto record = [&](const std::string &name, bool inContainer) {
        std::string busybox = inContainer ? "/bin/busybox" : hostBusybox();
        std::string dir = inContainer ? "/hooklog" : log.dir().string();
        return json{
            {"path", busybox},
            {"args", {"sh", "-c", "pwd > \"$1.cwd\"; env > \"$1.env\"", "sh", dir + "/" + name}}};
    };
    bundle.config()["process"]["env"] = {"PATH=/bin", "HUSK_PROCESS_ENV=from-process"};
    bundle.config()["hooks"] = {
        {"prestart", json::array({record("prestart", false)})},
        {"createContainer", json::array({record("createContainer", false)})},
        {"startContainer", json::array({record("startContainer", true)})},
    };
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    ::setenv("HUSK_RUNTIME_ENV", "from-runtime", 1);
    std::string id = newId();
    CommandResult c = create(id);
    ::unsetenv("HUSK_RUNTIME_ENV");
    BOOST_REQUIRE_MESSAGE(c.ok(), c.describe());
    BOOST_REQUIRE(start(id).ok());
    BOOST_REQUIRE(waitForStatus(id, "stopped"));
    auto text = [&](const std::string &file) { return slurp(log.dir() / file); };
    BOOST_TEST(text("prestart.env").find("HUSK_RUNTIME_ENV=from-runtime") != std::string::npos,
               text("prestart.env"));
    for (const char *name : {"createContainer", "startContainer"}) {
        BOOST_TEST_CONTEXT(name)
        {
            std::string env = text(std::string(name) + ".env");
            BOOST_TEST(env.find("HUSK_PROCESS_ENV=from-process") != std::string::npos, env);
            BOOST_TEST(env.find("HUSK_RUNTIME_ENV") == std::string::npos, env);
        }
    }
    BOOST_TEST(text("createContainer.cwd") == fs::canonical(bundle.rootfs()).string() + "\n");
}

BOOST_FIXTURE_TEST_CASE(hook_timeout_fails_create_and_leaves_nothing, Fixture)
{
    HookLog log(bundle);
    std::string id = newId();
    bundle.config()["linux"]["cgroupsPath"] = "/" + id;
    fs::path pidFile = log.dir() / "sleeper.pid";
    json sleeper = {{"path", hostBusybox()},
                    {"args", {"sh", "-c", "echo $$ > \"$PID_FILE\"; exec \"$HOOK_BB\" sleep 30"}},
                    {"env", {"PID_FILE=" + pidFile.string(), "HOOK_BB=" + hostBusybox()}},
                    {"timeout", 1}};
    bundle.config()["hooks"] = {{"createRuntime", {log.hook("createRuntime"), sleeper}},
                                {"createContainer", json::array({log.hook("createContainer")})}};
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();

    auto begin = std::chrono::steady_clock::now();
    CommandResult c = create(id);
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - begin;
    BOOST_TEST(c.failed(), c.describe());
    BOOST_TEST(elapsed.count() < 15.0, "create took " << elapsed.count() << " s");
    if (!isRunc())
        BOOST_TEST(c.err.find("timed out") != std::string::npos, c.describe());
    BOOST_TEST((log.names() == std::vector<std::string>{"createRuntime"}), joined(log.names()));
    pid_t hookPid = std::atoi(slurp(pidFile).c_str());
    BOOST_TEST(hookPid > 0);
    BOOST_TEST(!processAlive(hookPid), "the timed-out hook " << hookPid << " still runs");
    checkNothingLeft(*this, id, statePid(log.entry("createRuntime")), id);
}

BOOST_FIXTURE_TEST_CASE(failing_create_hooks_fail_create_and_clean_up, Fixture)
{
    // Each of prestart, createRuntime and createContainer: create fails, no later hook runs
    // and nothing of the container is left (runtime.md, lifecycle steps 3 to 5).
    HookLog log(bundle);
    for (std::string kind : {"prestart", "createRuntime", "createContainer"}) {
        BOOST_TEST_CONTEXT(kind)
        {
            fs::remove(log.dir() / "log");
            std::string id = newId();
            bundle.config()["linux"]["cgroupsPath"] = "/" + id;
            // A logging hook before the failing one records the init's pid; neither the one
            // after it nor a createContainer hook after a failed createRuntime may run.
            json hooks = {{"createContainer", json::array({log.hook("createContainer")})}};
            hooks[kind] = {log.hook(kind + ".before"), log.failing(), log.hook(kind + ".after")};
            bundle.config()["hooks"] = hooks;
            bundle.setProbeArgs({"exit", "0"});
            bundle.save();
            CommandResult c = create(id);
            BOOST_TEST(c.failed(), c.describe());
            BOOST_TEST((log.names() == std::vector<std::string>{kind + ".before"}),
                       joined(log.names()));
            checkNothingLeft(*this, id, statePid(log.entry(kind + ".before")), id);
        }
    }
}

BOOST_FIXTURE_TEST_CASE(failed_create_kills_and_reaps_its_init_itself, Fixture,
                        *utf::precondition(notRunc))
{
    // A create that fails after the spawn (a createRuntime hook exits 3) kills the init
    // through its pidfd and reaps it before it returns: the init is gone, not even a zombie,
    // and it never lands on us (the harness is a child subreaper, so an init husk had left
    // unreaped would be re-parented here). Both spawn paths: one clone3, and an intermediate
    // that joins a namespace by path and clones the init with CLONE_PARENT.
    HookLog log(bundle);
    for (bool intermediate : {false, true}) {
        BOOST_TEST_CONTEXT((intermediate ? "through an intermediate" : "one clone3"))
        {
            fs::remove(log.dir() / "log");
            std::string id = newId();
            bundle.config()["linux"]["cgroupsPath"] = "/" + id;
            bundle.config()["hooks"] = {
                {"createRuntime", {log.hook("createRuntime"), log.failing()}}};
            if (intermediate)
                bundle.setNamespace("network", "/proc/" + std::to_string(::getpid()) + "/ns/net");
            bundle.setProbeArgs({"exit", "0"});
            bundle.save();
            CommandResult c = create(id);
            BOOST_TEST(c.failed(), c.describe());
            pid_t init = statePid(log.entry("createRuntime"));
            BOOST_TEST_REQUIRE(init > 0);
            siginfo_t info{};
            int onUs = ::waitid(P_PID, static_cast<id_t>(init), &info, WEXITED | WNOHANG | WNOWAIT);
            BOOST_TEST(onUs == -1, "init " << init << " was left for the subreaper to reap");
            BOOST_TEST(!fs::exists("/proc/" + std::to_string(init)),
                       "init " << init << " still exists (alive or a zombie)");
            checkNothingLeft(*this, id, init, id);
        }
    }
}

BOOST_FIXTURE_TEST_CASE(poststop_hooks_run_after_a_failed_create, Fixture)
{
    // runtime.md, lifecycle step 4: "If any createRuntime hook fails, the runtime MUST
    // generate an error, stop the container, and continue the lifecycle at step 12", and
    // step 13 invokes the poststop hooks.
    HookLog log(bundle);
    bundle.config()["hooks"] = {{"createRuntime", json::array({log.failing()})},
                                {"poststop", json::array({log.hook("poststop")})}};
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    std::string id = newId();
    CommandResult c = create(id);
    BOOST_TEST(c.failed(), c.describe());
    BOOST_TEST((log.names() == std::vector<std::string>{"poststop"}), joined(log.names()));
    BOOST_TEST(!state(id).has_value());
}

BOOST_FIXTURE_TEST_CASE(failing_start_container_hook_fails_start, Fixture)
{
    // Lifecycle step 7: the error is start's, and the user's program never runs.
    HookLog log(bundle);
    json failing = {{"path", "/bin/busybox"}, {"args", {"sh", "-c", "exit 3"}}};
    bundle.config()["hooks"] = {{"startContainer", {failing, log.hook("after", true)}}};
    bundle.setProbeArgs({"echo", "the process ran"});
    bundle.save();
    std::string id = newId();
    CommandResult c = create(id);
    BOOST_REQUIRE_MESSAGE(c.ok(), c.describe());
    CommandResult s = start(id);
    BOOST_TEST(s.failed(), s.describe());
    BOOST_TEST(log.names().empty(), joined(log.names()));
    BOOST_TEST(io.out().find("the process ran") == std::string::npos, io.out());
    std::string status = this->status(id);
    BOOST_TEST((status.empty() || status == "stopped"), status);
}

// runtime-spec 1.0 to 1.2 (husk writes ociVersion 1.2.0): a failing poststart hook is a
// warning and the rest goes on. 1.3.0 made it an error that stops the container, as runc has
// always done.
BOOST_FIXTURE_TEST_CASE(failing_poststart_hook_does_not_fail_start, Fixture,
                        *utf::precondition(notRunc))
{
    HookLog log(bundle);
    bundle.config()["hooks"] = {
        {"poststart", json::array({log.failing(), log.hook("poststart.after")})}};
    bundle.setProbeArgs({"wait-signal"});
    bundle.save();
    std::string id = newId();
    CommandResult c = create(id);
    BOOST_REQUIRE_MESSAGE(c.ok(), c.describe());
    CommandResult s = runHusk({"start", id}, {.timeout = 15s});
    BOOST_TEST(s.ok(), s.describe());
    BOOST_TEST(s.err.find("poststart") != std::string::npos, "no warning: " << s.describe());
    BOOST_TEST((log.names() == std::vector<std::string>{"poststart.after"}), joined(log.names()));
    BOOST_TEST(io.waitForOut("\"ready\""), "probe never got ready: " << io.out());
    BOOST_TEST(status(id) == "running");
}

BOOST_FIXTURE_TEST_CASE(failing_poststop_hook_does_not_fail_delete, Fixture)
{
    // Lifecycle step 13: a warning, and the remaining hooks and the lifecycle go on.
    HookLog log(bundle);
    bundle.config()["hooks"] = {
        {"poststop", json::array({log.failing(), log.hook("poststop.after")})}};
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    std::string id = newId();
    runToStopped(*this, id);
    CommandResult d = runHusk({"delete", id}, {.timeout = 15s});
    BOOST_TEST(d.ok(), d.describe());
    BOOST_TEST(d.err.find("poststop") != std::string::npos, "no warning: " << d.describe());
    BOOST_TEST((log.names() == std::vector<std::string>{"poststop.after"}), joined(log.names()));
    BOOST_TEST(!state(id).has_value());
    BOOST_TEST(!fs::exists(rootDir() / id));
}

BOOST_FIXTURE_TEST_CASE(hooks_that_ignore_stdin_do_not_kill_the_runtime, Fixture)
{
    // A hook need not read the state: one that is gone before the runtime has written it
    // (here exec fails at once, so the hook fails too) must not take the runtime down with
    // SIGPIPE. Each hook is one chance for that race; hundreds make it all but certain.
    HookLog log(bundle);
    json poststop = json::array();
    json missing = {{"path", "/no-such-hook"}};
    for (int i = 0; i < 300; ++i)
        poststop.push_back(missing);
    poststop.push_back(log.hook("poststop.after"));
    bundle.config()["hooks"] = {{"poststop", poststop}};
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    std::string id = newId();
    runToStopped(*this, id);
    CommandResult d = runHusk({"delete", id}, {.timeout = 60s});
    BOOST_TEST(d.ok(), d.describe());
    BOOST_TEST(!d.signaled, d.describe());
    BOOST_TEST((log.names() == std::vector<std::string>{"poststop.after"}), joined(log.names()));
    BOOST_TEST(!state(id).has_value());
    BOOST_TEST(!fs::exists(rootDir() / id));
}

BOOST_AUTO_TEST_SUITE_END()
