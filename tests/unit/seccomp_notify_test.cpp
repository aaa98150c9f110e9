// libcontainer/security/seccomp/notify.h and spec/state.h's containerProcessState: the container
// process state, the hand-off to a seccomp agent and the notify listener, ending with a real agent
// answering a notified syscall. No root: the filters are loaded in forked children under
// no_new_privs.

#define BOOST_TEST_MODULE seccomp_notify
#include "tests/unit/libcontainer_test_helpers.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "libcontainer/security/seccomp/filter.h"
#include "libcontainer/security/seccomp/notify.h"
#include "spec/state.h"

using namespace husk;
using namespace lc_test;
using Json = nlohmann::json;
namespace utf = boost::unit_test;

namespace {

constexpr int kTimeoutMs = 10000;

spec::State sampleState()
{
    spec::State s;
    s.ociVersion = "1.2.0";
    s.id = "oci-container1";
    s.status = "creating";
    s.bundle = "/containers/redis";
    s.annotations = {{"myKey", "myValue"}};
    s.rootfs = "/containers/redis/rootfs"; // not part of the OCI state: must not appear
    s.created = "2024-05-01T10:20:30Z";
    s.owner = "root";
    return s;
}

// A listening AF_UNIX stream socket in a temp dir: the seccomp agent's end.
struct Agent {
    TempDir dir;
    std::string path = dir / "agent.sock";
    UniqueFd fd;

    Agent()
    {
        fd.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        BOOST_REQUIRE(fd);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        BOOST_REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0);
        BOOST_REQUIRE(::listen(fd.get(), 1) == 0);
    }
};

// What one connection delivered: the bytes up to EOF, the fds of the first message, and
// how many fds arrived with later messages (the spec allows them only in the first).
struct Delivery {
    std::string text;
    std::vector<UniqueFd> fds;
    int lateFds = 0;
};

bool waitReadable(int fd)
{
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, kTimeoutMs) == 1;
}

Delivery receive(const Agent &agent)
{
    BOOST_REQUIRE_MESSAGE(waitReadable(agent.fd.get()), "no connection from the runtime");
    UniqueFd conn(::accept4(agent.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
    BOOST_REQUIRE(conn);
    Delivery d;
    for (bool first = true;; first = false) {
        BOOST_REQUIRE_MESSAGE(waitReadable(conn.get()), "runtime stopped sending");
        char buf[4096];
        iovec iov{buf, sizeof buf};
        alignas(cmsghdr) char control[CMSG_SPACE(4 * sizeof(int))];
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t n = ::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC);
        BOOST_REQUIRE(n >= 0);
        BOOST_TEST(!(msg.msg_flags & MSG_CTRUNC));
        for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < count; ++i) {
                int fd;
                std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                if (first)
                    d.fds.emplace_back(fd);
                else
                    ++d.lateFds, ::close(fd);
            }
        }
        if (n == 0)
            return d;
        d.text.append(buf, static_cast<size_t>(n));
    }
}

// Kills and reaps a forked child unless the test reaped it.
class Child
{
public:
    explicit Child(pid_t pid) : pid_(pid) {}
    Child(const Child &) = delete;
    Child &operator=(const Child &) = delete;
    ~Child()
    {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    pid_t pid() const { return pid_; }
    // The exit code, or -signal.
    int wait()
    {
        int status = 0;
        BOOST_REQUIRE(::waitpid(pid_, &status, 0) == pid_);
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }

private:
    pid_t pid_;
};

struct CtxDeleter {
    void operator()(void *c) const { seccomp_release(c); }
};

// A filter that allows everything and notifies getppid, built with libseccomp directly
// (independent of compileSeccomp's own handling of SCMP_ACT_NOTIFY).
SeccompProgram notifyGetppid(unsigned int flags = 0)
{
    std::unique_ptr<void, CtxDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
    BOOST_REQUIRE(ctx);
    BOOST_REQUIRE(seccomp_rule_add(ctx.get(), SCMP_ACT_NOTIFY, SCMP_SYS(getppid), 0) == 0);
    UniqueFd mem(static_cast<int>(::syscall(SYS_memfd_create, "test-bpf", MFD_CLOEXEC)));
    BOOST_REQUIRE(mem);
    BOOST_REQUIRE(seccomp_export_bpf(ctx.get(), mem.get()) == 0);
    off_t size = ::lseek(mem.get(), 0, SEEK_END);
    BOOST_REQUIRE(size > 0);
    SeccompProgram p;
    p.flags = flags;
    p.instructions.resize(static_cast<size_t>(size) / sizeof(sock_filter));
    BOOST_REQUIRE(::pread(mem.get(), p.instructions.data(), static_cast<size_t>(size), 0) == size);
    return p;
}

boost::test_tools::assertion_result userNotifAvailable(utf::test_unit_id)
{
    std::ifstream f("/proc/sys/kernel/seccomp/actions_avail");
    std::string actions;
    std::getline(f, actions);
    boost::test_tools::assertion_result r(actions.find("user_notif") != std::string::npos);
    r.message() << "kernel lacks SECCOMP_RET_USER_NOTIF (actions_avail: " << actions << ")";
    return r;
}

boost::test_tools::assertion_result compileAcceptsNotify(utf::test_unit_id id)
{
    boost::test_tools::assertion_result avail = userNotifAvailable(id);
    if (!avail)
        return avail;
    spec::Seccomp s;
    s.defaultAction = "SCMP_ACT_ALLOW";
    s.listenerPath = "/run/agent.sock";
    s.syscalls.push_back({{"getppid"}, "SCMP_ACT_NOTIFY", std::nullopt, {}});
    auto p = compileSeccomp(s);
    boost::test_tools::assertion_result r(p.has_value());
    if (!p)
        r.message() << "compileSeccomp still refuses NOTIFY: " << p.error().what();
    return r;
}

// The child's side of the whole exchange: load p with a listener, hand the fd to the agent,
// drop its own copy, and check that getppid() returns what the agent answered. Exit codes
// name the step that failed.
[[noreturn]] void runNotifiedChild(const SeccompProgram &p, const std::string &agentPath)
{
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        ::_exit(10);
    auto fd = loadSeccompWithListener(p);
    if (!fd)
        ::_exit(11);
    spec::State st = sampleState();
    if (!sendToSeccompAgent(agentPath,
                            spec::containerProcessStateText(st, ::getpid(), "MKNOD=/dev/null"),
                            fd->get()))
        ::_exit(12);
    fd->reset();
    long r = ::syscall(SYS_getppid);
    ::_exit(r == 4242 ? 0 : 13);
}

// The agent's side: read the state, then answer one notification with 4242.
void answerAsAgent(const Agent &agent, pid_t child)
{
    Delivery d = receive(agent);
    Json j = Json::parse(d.text, nullptr, false);
    BOOST_REQUIRE_MESSAGE(!j.is_discarded(), "not JSON: " + d.text);
    BOOST_TEST(j["fds"] == Json::array({"seccompFd"}));
    BOOST_TEST(j["pid"] == child);
    BOOST_TEST(j["state"]["pid"] == child);
    BOOST_TEST(j["metadata"] == "MKNOD=/dev/null");
    BOOST_TEST(j["state"]["id"] == "oci-container1");
    BOOST_REQUIRE(d.fds.size() == 1U);
    int nfd = d.fds[0].get();
    BOOST_REQUIRE_MESSAGE(waitReadable(nfd), "no notification arrived");
    seccomp_notif *req = nullptr;
    seccomp_notif_resp *resp = nullptr;
    BOOST_REQUIRE(seccomp_notify_alloc(&req, &resp) == 0);
    std::unique_ptr<seccomp_notif, void (*)(seccomp_notif *)> reqOwner(
        req, [](seccomp_notif *r) { seccomp_notify_free(r, nullptr); });
    std::unique_ptr<seccomp_notif_resp, void (*)(seccomp_notif_resp *)> respOwner(
        resp, [](seccomp_notif_resp *r) { seccomp_notify_free(nullptr, r); });
    BOOST_REQUIRE(seccomp_notify_receive(nfd, req) == 0);
    BOOST_TEST(req->pid == static_cast<uint32_t>(child));
    BOOST_TEST(req->data.nr == SCMP_SYS(getppid));
    BOOST_TEST(seccomp_notify_id_valid(nfd, req->id) == 0);
    resp->id = req->id;
    resp->val = 4242;
    resp->error = 0;
    resp->flags = 0;
    BOOST_REQUIRE(seccomp_notify_respond(nfd, resp) == 0);
}

} // namespace

BOOST_AUTO_TEST_SUITE(process_state)

BOOST_AUTO_TEST_CASE(exact_json)
{
    Json j = spec::containerProcessState(sampleState(), 4422,
                                         "MKNOD=/dev/null,/dev/net/tun;BPF_MAP_TYPES=hash,array");
    // config-linux.md's example, with husk's ociVersion; nlohmann orders keys by name.
    BOOST_TEST(j.dump() ==
               R"({"fds":["seccompFd"],"metadata":"MKNOD=/dev/null,/dev/net/tun;BPF_MAP_TYPES=)"
               R"(hash,array","ociVersion":"1.2.0","pid":4422,"state":{"annotations":{"myKey":)"
               R"("myValue"},"bundle":"/containers/redis","id":"oci-container1","ociVersion":)"
               R"("1.2.0","pid":4422,"status":"creating"}})");
}

BOOST_AUTO_TEST_CASE(empty_metadata_and_annotations_omitted)
{
    spec::State s = sampleState();
    s.annotations.clear();
    s.pid = 17; // the pid argument wins: the agent sees one pid
    BOOST_TEST(spec::containerProcessState(s, 99, "").dump() ==
               R"({"fds":["seccompFd"],"ociVersion":"1.2.0","pid":99,"state":{"bundle":)"
               R"("/containers/redis","id":"oci-container1","ociVersion":"1.2.0","pid":99,)"
               R"("status":"creating"}})");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(notify_rules)

spec::Seccomp withNotify()
{
    spec::Seccomp s;
    s.defaultAction = "SCMP_ACT_ALLOW";
    s.listenerPath = "/run/agent.sock";
    s.syscalls.push_back({{"read"}, "SCMP_ACT_ALLOW", std::nullopt, {}});
    s.syscalls.push_back({{"mknod", "mknodat"}, "SCMP_ACT_NOTIFY", std::nullopt, {}});
    return s;
}

BOOST_AUTO_TEST_CASE(uses_notify)
{
    spec::Seccomp s = withNotify();
    BOOST_TEST(seccompUsesNotify(s));
    s.syscalls.pop_back();
    BOOST_TEST(!seccompUsesNotify(s));
    s.defaultAction = "SCMP_ACT_NOTIFY";
    BOOST_TEST(seccompUsesNotify(s));
    BOOST_TEST(!seccompUsesNotify(spec::Seccomp{}));
}

BOOST_AUTO_TEST_CASE(validate)
{
    requireOk(validateSeccompNotify(withNotify()));

    spec::Seccomp s = withNotify();
    s.listenerPath.clear();
    BOOST_TEST(errorText(validateSeccompNotify(s)) ==
               "linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used");

    s = withNotify();
    s.defaultAction = "SCMP_ACT_NOTIFY";
    BOOST_TEST(contains(errorText(validateSeccompNotify(s)),
                        "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default"));

    s = withNotify();
    s.syscalls[1].names.push_back("sendmsg");
    BOOST_TEST(errorText(validateSeccompNotify(s)) ==
               "linux.seccomp.syscalls[1].action: SCMP_ACT_NOTIFY cannot be used for sendmsg "
               "(the init passes the notify fd to husk with it)");

    s = withNotify();
    s.listenerPath = "/" + std::string(107, 'a');
    BOOST_TEST(errorText(validateSeccompNotify(s)) ==
               "linux.seccomp.listenerPath: longer than 107 bytes");

    // Without NOTIFY a listenerPath is ignored (config-linux.md) but metadata alone is not.
    s = withNotify();
    s.syscalls.pop_back();
    requireOk(validateSeccompNotify(s));
    s.listenerPath.clear();
    s.listenerMetadata = "x";
    BOOST_TEST(errorText(validateSeccompNotify(s)) ==
               "linux.seccomp.listenerMetadata: set without listenerPath");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(agent)

BOOST_AUTO_TEST_CASE(no_agent_is_an_error)
{
    TempDir dir;
    std::string path = dir / "missing.sock";
    auto r = sendToSeccompAgent(path, "{}", 0);
    BOOST_TEST(errorText(r) ==
               "linux.seccomp.listenerPath " + path + ": connect: No such file or directory");

    // A socket file nobody listens on.
    std::string dead = dir / "dead.sock";
    UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, dead.c_str(), sizeof addr.sun_path - 1);
    BOOST_REQUIRE(::bind(s.get(), reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0);
    BOOST_TEST(errorCode(sendToSeccompAgent(dead, "{}", 0)) == ECONNREFUSED);

    BOOST_TEST(contains(errorText(sendToSeccompAgent("", "{}", 0)), "not a usable socket path"));
}

// A payload larger than the socket buffer goes out in several sendmsg calls; the fd must
// arrive with the first and only there.
BOOST_AUTO_TEST_CASE(delivers_state_and_fd)
{
    Agent agent;
    int pipeFds[2];
    BOOST_REQUIRE(::pipe2(pipeFds, O_CLOEXEC) == 0);
    UniqueFd readEnd(pipeFds[0]), writeEnd(pipeFds[1]);
    std::string bigMetadata(512 * 1024, 'm');
    std::string state = spec::containerProcessStateText(sampleState(), 1234, bigMetadata);
    Child sender(::fork());
    BOOST_REQUIRE(sender.pid() >= 0);
    if (sender.pid() == 0)
        ::_exit(sendToSeccompAgent(agent.path, state, writeEnd.get()) ? 0 : 1);
    Delivery d = receive(agent);
    BOOST_TEST(sender.wait() == 0);
    BOOST_TEST(Json::parse(d.text) == Json::parse(state));
    BOOST_TEST(d.lateFds == 0);
    BOOST_REQUIRE(d.fds.size() == 1U);
    // The received fd is the pipe's write end.
    BOOST_REQUIRE(::write(d.fds[0].get(), "x", 1) == 1);
    char c = 0;
    BOOST_TEST(::read(readEnd.get(), &c, 1) == 1);
    BOOST_TEST(c == 'x');
}

BOOST_AUTO_TEST_CASE(listener_fd, *utf::precondition(userNotifAvailable))
{
    // TSYNC with NEW_LISTENER needs TSYNC_ESRCH, which loadSeccompWithListener adds; the fd
    // must be close-on-exec so the container's program never inherits it.
    SeccompProgram p = notifyGetppid(SECCOMP_FILTER_FLAG_TSYNC);
    Child child(::fork());
    BOOST_REQUIRE(child.pid() >= 0);
    if (child.pid() == 0) {
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
            ::_exit(10);
        auto fd = loadSeccompWithListener(p);
        if (!fd)
            ::_exit(11);
        int flags = ::fcntl(fd->get(), F_GETFD);
        ::_exit(flags >= 0 && (flags & FD_CLOEXEC) ? 0 : 12);
    }
    BOOST_TEST(child.wait() == 0);
}

BOOST_AUTO_TEST_CASE(listener_closed_gives_enosys, *utf::precondition(userNotifAvailable))
{
    // If no agent ever holds the fd (husk failed to hand it over and closed its copies), a
    // notified call fails with ENOSYS instead of hanging the container.
    SeccompProgram p = notifyGetppid();
    Child child(::fork());
    BOOST_REQUIRE(child.pid() >= 0);
    if (child.pid() == 0) {
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
            ::_exit(10);
        auto fd = loadSeccompWithListener(p);
        if (!fd)
            ::_exit(11);
        fd->reset();
        long r = ::syscall(SYS_getppid);
        ::_exit(r == -1 && errno == ENOSYS ? 0 : 12);
    }
    BOOST_TEST(child.wait() == 0);
}

BOOST_AUTO_TEST_CASE(load_errors_are_reported)
{
    SeccompProgram empty; // zero instructions: EINVAL from the kernel
    Child child(::fork());
    BOOST_REQUIRE(child.pid() >= 0);
    if (child.pid() == 0) {
        ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        auto fd = loadSeccompWithListener(empty);
        ::_exit(!fd && fd.error().code() == EINVAL ? 0 : 1);
    }
    BOOST_TEST(child.wait() == 0);
}

// The whole exchange with a real agent: the child's getppid() is answered with 4242.
BOOST_AUTO_TEST_CASE(agent_answers_notified_syscall, *utf::precondition(userNotifAvailable))
{
    Agent agent;
    SeccompProgram p = notifyGetppid();
    Child child(::fork());
    BOOST_REQUIRE(child.pid() >= 0);
    if (child.pid() == 0)
        runNotifiedChild(p, agent.path);
    answerAsAgent(agent, child.pid());
    BOOST_TEST(child.wait() == 0);
}

// The same through compileSeccomp, once it no longer refuses SCMP_ACT_NOTIFY.
BOOST_AUTO_TEST_CASE(agent_with_compiled_profile, *utf::precondition(compileAcceptsNotify))
{
    Agent agent;
    spec::Seccomp s;
    s.defaultAction = "SCMP_ACT_ALLOW";
    s.listenerPath = agent.path;
    s.syscalls.push_back({{"getppid"}, "SCMP_ACT_NOTIFY", std::nullopt, {}});
    requireOk(validateSeccompNotify(s));
    SeccompProgram p = require(compileSeccomp(s));
    Child child(::fork());
    BOOST_REQUIRE(child.pid() >= 0);
    if (child.pid() == 0)
        runNotifiedChild(p, agent.path);
    answerAsAgent(agent, child.pid());
    BOOST_TEST(child.wait() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
