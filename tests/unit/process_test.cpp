// libcontainer/process/: the sync socket (sync.h) and its supervisor (supervise.h),
// timeOffsetsText (clone.h) and lookPath (init.h).

#define BOOST_TEST_MODULE process
#include "tests/unit/libcontainer_test_helpers.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <thread>
#include <string>
#include <vector>

#include "libcontainer/process/init.h"
#include "libcontainer/process/clone.h"
#include "libcontainer/process/supervise.h"
#include "libcontainer/process/sync.h"

using namespace husk;
using namespace husk::process;
using namespace lc_test;
namespace fs = std::filesystem;

namespace {

const SyncMsg kAllMsgs[] = {SyncMsg::ChildPid, SyncMsg::Go,       SyncMsg::ConsoleFd,
                            SyncMsg::Ready,    SyncMsg::ReadyAck, SyncMsg::Error};

std::pair<SyncSocket, SyncSocket> socketPair()
{
    return require(SyncSocket::pair());
}

bool isCloexec(int fd)
{
    return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}

} // namespace

BOOST_AUTO_TEST_SUITE(sync_socket)

BOOST_AUTO_TEST_CASE(message_names)
{
    BOOST_TEST(syncMsgName(SyncMsg::ChildPid) == std::string("ChildPid"));
    BOOST_TEST(syncMsgName(SyncMsg::Go) == std::string("Go"));
    BOOST_TEST(syncMsgName(SyncMsg::ConsoleFd) == std::string("ConsoleFd"));
    BOOST_TEST(syncMsgName(SyncMsg::Ready) == std::string("Ready"));
    BOOST_TEST(syncMsgName(SyncMsg::ReadyAck) == std::string("ReadyAck"));
    BOOST_TEST(syncMsgName(SyncMsg::Error) == std::string("Error"));
    BOOST_TEST(syncMsgName(static_cast<SyncMsg>(99)) == std::string("unknown"));
}

BOOST_AUTO_TEST_CASE(pair_is_seqpacket_and_cloexec)
{
    auto [a, b] = socketPair();
    for (int fd : {a.fd(), b.fd()}) {
        BOOST_TEST(fd >= 0);
        BOOST_TEST(isCloexec(fd));
        int type = 0;
        socklen_t len = sizeof type;
        BOOST_REQUIRE(::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0);
        BOOST_TEST(type == SOCK_SEQPACKET);
    }
}

BOOST_AUTO_TEST_CASE(eof_is_an_answer_only_for_recv_or_eof)
{
    // exec's parent takes EOF as "the process has exec'd"; a failed receive must stay an error.
    auto [a, b] = socketPair();
    requireOk(a.send(SyncMsg::Ready, 7));
    std::optional<SyncPacket> p = require(b.recvOrEof());
    BOOST_REQUIRE(p.has_value());
    BOOST_TEST((p->type == SyncMsg::Ready));
    BOOST_TEST(p->value == 7);
    a = SyncSocket(); // the peer's end closes, as on exec
    BOOST_TEST(!require(b.recvOrEof()).has_value());
    auto closed = b.recv();
    BOOST_REQUIRE(!closed.has_value());
    BOOST_TEST(closed.error().what() == "container process exited during setup");
    SyncSocket none; // no descriptor at all: an error, not EOF
    BOOST_TEST(!none.recvOrEof().has_value());
}

BOOST_AUTO_TEST_CASE(every_type_with_value_and_text)
{
    auto [a, b] = socketPair();
    int32_t value = -3;
    for (SyncMsg m : kAllMsgs) {
        std::string text = std::string("text of ") + syncMsgName(m);
        requireOk(a.send(m, value, text));
        SyncPacket p = require(b.recv());
        BOOST_TEST((p.type == m), syncMsgName(m));
        BOOST_TEST(p.value == value);
        BOOST_TEST(p.text == text);
        BOOST_TEST(!p.fd.isValid());
        value += 1000;
    }
    // Both directions, defaults for value and text.
    requireOk(b.send(SyncMsg::Go));
    SyncPacket go = require(a.recv());
    BOOST_TEST((go.type == SyncMsg::Go));
    BOOST_TEST(go.value == 0);
    BOOST_TEST(go.text.empty());
}

BOOST_AUTO_TEST_CASE(message_boundaries_kept)
{
    auto [a, b] = socketPair();
    requireOk(a.send(SyncMsg::ChildPid, 4711));
    requireOk(a.send(SyncMsg::Ready, 0, "first"));
    requireOk(a.send(SyncMsg::Ready, 0, "second"));
    BOOST_TEST(require(b.expect(SyncMsg::ChildPid)).value == 4711);
    BOOST_TEST(require(b.expect(SyncMsg::Ready)).text == "first");
    BOOST_TEST(require(b.expect(SyncMsg::Ready)).text == "second");
}

BOOST_AUTO_TEST_CASE(long_text_is_truncated_not_split)
{
    auto [a, b] = socketPair();
    requireOk(a.send(SyncMsg::Error, EINVAL, std::string(10000, 'x')));
    requireOk(a.send(SyncMsg::Go));
    SyncPacket p = require(b.recv());
    BOOST_TEST((p.type == SyncMsg::Error));
    BOOST_TEST(p.text == std::string(4096, 'x'));
    BOOST_TEST((require(b.recv()).type == SyncMsg::Go));
}

BOOST_AUTO_TEST_CASE(fd_passing)
{
    auto [a, b] = socketPair();
    int pipeFds[2];
    BOOST_REQUIRE(::pipe(pipeFds) == 0);
    UniqueFd readEnd(pipeFds[0]);
    UniqueFd writeEnd(pipeFds[1]);
    requireOk(a.send(SyncMsg::ConsoleFd, 0, {}, writeEnd.get()));
    writeEnd.reset(); // the only write end left is the one in flight

    SyncPacket p = require(b.expect(SyncMsg::ConsoleFd));
    BOOST_REQUIRE(p.fd.isValid());
    BOOST_TEST(isCloexec(p.fd.get())); // received with MSG_CMSG_CLOEXEC
    BOOST_REQUIRE(::write(p.fd.get(), "hello", 5) == 5);
    p.fd.reset();
    char buf[16] = {};
    BOOST_TEST(::read(readEnd.get(), buf, sizeof buf) == 5);
    BOOST_TEST(std::string(buf) == "hello");
    BOOST_TEST(::read(readEnd.get(), buf, sizeof buf) == 0); // the received fd was the last
}

BOOST_AUTO_TEST_CASE(expect_wrong_type)
{
    auto [a, b] = socketPair();
    requireOk(a.send(SyncMsg::Ready));
    auto r = b.expect(SyncMsg::Go);
    BOOST_TEST(errorText(r) == "sync: expected Go, got Ready");
    BOOST_TEST(errorCode(r) == 0);

    requireOk(a.send(SyncMsg::ReadyAck));
    BOOST_TEST(errorText(b.expect(SyncMsg::ChildPid)) == "sync: expected ChildPid, got ReadyAck");
}

BOOST_AUTO_TEST_CASE(peer_error_becomes_local_error)
{
    auto [a, b] = socketPair();
    a.sendError(Error("mount /proc: mount proc on /proc", EPERM));
    auto r = b.expect(SyncMsg::Ready);
    BOOST_TEST(errorCode(r) == EPERM);
    BOOST_TEST(errorMessage(r) == "mount /proc: mount proc on /proc");
    BOOST_TEST(errorText(r) == "mount /proc: mount proc on /proc: Operation not permitted");

    // An Error without errno, received with plain recv(), is just a packet.
    a.sendError(Error("process.args: must not be empty"));
    SyncPacket p = require(b.recv());
    BOOST_TEST((p.type == SyncMsg::Error));
    BOOST_TEST(p.value == 0);
    BOOST_TEST(p.text == "process.args: must not be empty");
}

BOOST_AUTO_TEST_CASE(eof_after_peer_closes)
{
    auto [a, b] = socketPair();
    requireOk(a.send(SyncMsg::Go));
    a.close();
    BOOST_TEST(a.fd() == -1);
    // What was sent before the close is still delivered, then EOF.
    BOOST_TEST((require(b.recv()).type == SyncMsg::Go));
    BOOST_TEST(errorText(b.recv()) == "container process exited during setup");
    BOOST_TEST(errorText(b.expect(SyncMsg::Ready)) == "container process exited during setup");
}

BOOST_AUTO_TEST_CASE(send_to_closed_peer)
{
    auto [a, b] = socketPair();
    b.close();
    auto r = a.send(SyncMsg::Go); // MSG_NOSIGNAL: an error, not SIGPIPE
    BOOST_TEST(errorCode(r) == EPIPE);
    BOOST_TEST(errorMessage(r) == "send Go");
}

BOOST_AUTO_TEST_CASE(across_a_fork)
{
    auto [parent, child] = socketPair();
    pid_t pid = ::fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
        parent.close();
        int code = 0;
        if (!child.send(SyncMsg::ChildPid, static_cast<int32_t>(::getpid())))
            code = 1;
        else if (!child.expect(SyncMsg::Go))
            code = 2;
        else
            child.sendError(Error("child says no", ENOSPC));
        ::_exit(code);
    }
    child.close();
    BOOST_TEST(require(parent.expect(SyncMsg::ChildPid)).value == pid);
    requireOk(parent.send(SyncMsg::Go));
    auto r = parent.expect(SyncMsg::Ready);
    BOOST_TEST(errorCode(r) == ENOSPC);
    BOOST_TEST(errorMessage(r) == "child says no");
    BOOST_TEST(errorText(parent.recv()) == "container process exited during setup");
    int status = 0;
    BOOST_REQUIRE(::waitpid(pid, &status, 0) == pid);
    BOOST_TEST(WIFEXITED(status));
    BOOST_TEST(WEXITSTATUS(status) == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(time_offsets)

BOOST_AUTO_TEST_CASE(text)
{
    BOOST_TEST(timeOffsetsText({}) == "");
    BOOST_TEST(timeOffsetsText({{"monotonic", {3600, 5}}}) == "monotonic 3600 5\n");
    BOOST_TEST(timeOffsetsText({{"monotonic", {3600, 5}}, {"boottime", {-10, 999999999}}}) ==
               "boottime -10 999999999\nmonotonic 3600 5\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(look_path)

namespace {

// bin1/tool (0755), bin1/data (0644), bin1/dir/, bin2/tool (0755), bin2/only2 (0700).
struct PathFixture {
    TempDir tmp;
    std::string bin1 = tmp / "bin1";
    std::string bin2 = tmp / "bin2";

    PathFixture()
    {
        fs::create_directories(bin1 + "/dir");
        fs::create_directories(bin2);
        file(bin1 + "/tool", 0755);
        file(bin1 + "/data", 0644);
        file(bin2 + "/tool", 0755);
        file(bin2 + "/only2", 0700);
    }

    static void file(const std::string &path, mode_t mode)
    {
        std::ofstream(path) << "#!/bin/sh\n";
        BOOST_REQUIRE(::chmod(path.c_str(), mode) == 0);
    }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(absolute_path, PathFixture)
{
    BOOST_TEST(require(lookPath(bin1 + "/tool", {})) == bin1 + "/tool");
    // PATH plays no part for a name with a slash.
    BOOST_TEST(require(lookPath(bin1 + "/tool", {"PATH=" + bin2})) == bin1 + "/tool");

    auto notExec = lookPath(bin1 + "/data", {});
    BOOST_TEST(errorCode(notExec) == EACCES);
    BOOST_TEST(errorMessage(notExec) == "exec: \"" + bin1 + "/data\"");

    auto missing = lookPath(bin1 + "/missing", {});
    BOOST_TEST(errorCode(missing) == ENOENT);
    BOOST_TEST(errorMessage(missing) == "exec: \"" + bin1 + "/missing\"");
}

BOOST_FIXTURE_TEST_CASE(directory_is_an_error, PathFixture)
{
    auto r = lookPath(bin1 + "/dir", {});
    BOOST_TEST(errorCode(r) == EACCES);
    BOOST_TEST(errorMessage(r) == "exec: \"" + bin1 + "/dir\": is a directory");
}

BOOST_FIXTURE_TEST_CASE(path_search_in_order, PathFixture)
{
    std::vector<std::string> env = {"HOME=/root", "PATH=/nonexistent:" + bin1 + ":" + bin2};
    BOOST_TEST(require(lookPath("tool", env)) == bin1 + "/tool");
    BOOST_TEST(require(lookPath("only2", env)) == bin2 + "/only2");
    BOOST_TEST(require(lookPath("tool", {"PATH=" + bin2 + ":" + bin1})) == bin2 + "/tool");
    // The last PATH= wins, as in runc, which setenv()s the entries in order before its lookup.
    BOOST_TEST(require(lookPath("tool", {"PATH=" + bin1, "PATH=" + bin2})) == bin2 + "/tool");
}

BOOST_FIXTURE_TEST_CASE(not_found, PathFixture)
{
    std::vector<std::string> env = {"PATH=" + bin1 + ":" + bin2};
    BOOST_TEST(errorMessage(lookPath("x", env)) ==
               "exec: \"x\": executable file not found in $PATH");

    // Non-executable files and directories are passed over.
    BOOST_TEST(errorMessage(lookPath("data", env)) ==
               "exec: \"data\": executable file not found in $PATH");
    BOOST_TEST(errorMessage(lookPath("dir", env)) ==
               "exec: \"dir\": executable file not found in $PATH");
    // ...but a later directory may still have it.
    PathFixture::file(bin2 + "/data", 0755);
    BOOST_TEST(require(lookPath("data", env)) == bin2 + "/data");
}

BOOST_AUTO_TEST_CASE(default_path)
{
    // No PATH in the env: husk's default PATH, which has sh on any Linux host.
    std::string sh = require(lookPath("sh", {"HOME=/"}));
    BOOST_TEST(sh.ends_with("/sh"));
    BOOST_TEST(sh.starts_with("/"));
}

BOOST_FIXTURE_TEST_CASE(empty_path_entry_is_cwd, PathFixture)
{
    std::string saved = fs::current_path().string();
    fs::current_path(bin1);
    auto r = lookPath("tool", {"PATH=/nonexistent::" + bin2});
    fs::current_path(saved);
    BOOST_TEST(require(std::move(r)) == "./tool");
}

BOOST_AUTO_TEST_SUITE_END()

// ---- process::Supervisor against a fake child over a real socketpair -------------------------

namespace {

// A scripted child on a thread: each step sends or expects one message. What it saw is
// recorded for the test to check once it has finished (Boost.Test asserts stay on the main
// thread).
struct FakePeer {
    SyncSocket sock;
    std::vector<std::string> seen;
    std::thread thread;

    template <typename F> void run(F script)
    {
        thread = std::thread([this, script] {
            script(*this);
            sock.close(); // the child exits (or execs): the parent sees EOF
        });
    }
    void send(SyncMsg m, int32_t value = 0, int fd = -1)
    {
        if (!sock.send(m, value, {}, fd))
            seen.push_back("send failed");
    }
    void expect(SyncMsg m)
    {
        auto p = sock.expect(m);
        seen.push_back(p ? std::string("got ") + syncMsgName(m) + "(" + std::to_string(p->value) +
                               ")"
                         : "error: " + p.error().what());
    }
    ~FakePeer()
    {
        if (thread.joinable())
            thread.join();
    }
};

// An fd to pass around: one end of a pipe.
UniqueFd somePipe()
{
    int p[2];
    BOOST_REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    ::close(p[1]);
    return UniqueFd(p[0]);
}

} // namespace

BOOST_AUTO_TEST_SUITE(supervisor)

BOOST_AUTO_TEST_CASE(init_requests_are_served_in_order_and_acknowledged)
{
    auto [parent, child] = socketPair();
    FakePeer peer{std::move(child)};
    UniqueFd console = somePipe(), notify = somePipe();
    peer.run([&](FakePeer &p) {
        p.expect(SyncMsg::Go);
        p.send(SyncMsg::ConsoleFd, 0, console.get());
        p.send(SyncMsg::SeccompFd, 0, notify.get());
        p.expect(SyncMsg::SeccompFdAck);
        p.send(SyncMsg::CreateHooks);
        p.expect(SyncMsg::CreateHooksDone);
        p.send(SyncMsg::Ready);
        p.expect(SyncMsg::ReadyAck);
    });
    std::vector<std::string> handled;
    SupervisorHandlers h;
    h.consoleFd = [&](UniqueFd fd) -> Result<void> {
        handled.push_back(fd ? "console fd" : "console without fd");
        return {};
    };
    h.seccompFd = [&](UniqueFd fd) -> Result<void> {
        handled.push_back(fd ? "seccomp fd" : "seccomp without fd");
        return {};
    };
    h.createHooks = [&]() -> Result<void> {
        handled.push_back("hooks");
        return {};
    };
    Supervisor s(parent, std::move(h));
    requireOk(s.go(4242));
    requireOk(s.untilReady());
    requireOk(s.acknowledgeReady());
    peer.thread.join();
    BOOST_TEST(handled == (std::vector<std::string>{"console fd", "seccomp fd", "hooks"}));
    BOOST_TEST(peer.seen ==
               (std::vector<std::string>{"got Go(4242)", "got SeccompFdAck(0)",
                                         "got CreateHooksDone(0)", "got ReadyAck(0)"}));
}

BOOST_AUTO_TEST_CASE(exec_ends_at_eof_and_serves_the_seccomp_fd)
{
    auto [parent, child] = socketPair();
    FakePeer peer{std::move(child)};
    UniqueFd notify = somePipe();
    peer.run([&](FakePeer &p) {
        p.expect(SyncMsg::Go);
        p.send(SyncMsg::SeccompFd, 0, notify.get());
        p.expect(SyncMsg::SeccompFdAck);
    });
    int seccompFds = 0;
    SupervisorHandlers h;
    h.seccompFd = [&](UniqueFd) -> Result<void> {
        ++seccompFds;
        return {};
    };
    Supervisor s(parent, std::move(h));
    requireOk(s.go());
    requireOk(s.untilExec());
    peer.thread.join();
    BOOST_TEST(seccompFds == 1);
    BOOST_TEST(peer.seen == (std::vector<std::string>{"got Go(0)", "got SeccompFdAck(0)"}));
}

BOOST_AUTO_TEST_CASE(a_message_of_the_wrong_phase_or_direction_is_an_error)
{
    {
        auto [parent, child] = socketPair();
        FakePeer peer{std::move(child)};
        peer.run([](FakePeer &p) { p.send(SyncMsg::ReadyAck); }); // the parent's message
        Supervisor s(parent, {});
        BOOST_TEST(errorText(s.untilReady()) ==
                   "sync: unexpected ReadyAck from the container init");
    }
    {
        auto [parent, child] = socketPair();
        FakePeer peer{std::move(child)};
        peer.run([](FakePeer &p) { p.send(SyncMsg::CreateHooks); }); // only an init has hooks
        SupervisorHandlers h;
        h.createHooks = []() -> Result<void> { return {}; };
        Supervisor s(parent, std::move(h));
        BOOST_TEST(errorText(s.untilExec()) ==
                   "sync: unexpected CreateHooks from the exec'd process");
    }
    {
        auto [parent, child] = socketPair();
        FakePeer peer{std::move(child)};
        peer.run([](FakePeer &p) { p.send(SyncMsg::Ready); });
        Supervisor s(parent, {});
        BOOST_TEST(errorText(s.untilExec()) == "sync: unexpected Ready from the exec'd process");
    }
    {
        // A request nobody handles (no terminal was asked for) is as unexpected.
        auto [parent, child] = socketPair();
        FakePeer peer{std::move(child)};
        UniqueFd fd = somePipe();
        peer.run([&](FakePeer &p) { p.send(SyncMsg::ConsoleFd, 0, fd.get()); });
        Supervisor s(parent, {});
        BOOST_TEST(errorText(s.untilReady()) ==
                   "sync: unexpected ConsoleFd from the container init");
    }
}

BOOST_AUTO_TEST_CASE(a_peer_that_dies_mid_protocol_is_an_error_until_ready)
{
    auto [parent, child] = socketPair();
    FakePeer peer{std::move(child)};
    UniqueFd fd = somePipe();
    peer.run([&](FakePeer &p) { p.send(SyncMsg::ConsoleFd, 0, fd.get()); }); // then exits
    int consoles = 0;
    SupervisorHandlers h;
    h.consoleFd = [&](UniqueFd) -> Result<void> {
        ++consoles;
        return {};
    };
    Supervisor s(parent, std::move(h));
    BOOST_TEST(errorText(s.untilReady()) == "container init exited during setup");
    BOOST_TEST(consoles == 1);
}

BOOST_AUTO_TEST_CASE(the_childs_error_and_a_failing_handler_end_it)
{
    {
        auto [parent, child] = socketPair();
        FakePeer peer{std::move(child)};
        peer.run([](FakePeer &p) { p.sock.sendError(Error("rootfs: mount /proc", EPERM)); });
        Supervisor s(parent, {});
        auto r = s.untilReady();
        BOOST_TEST(errorMessage(r) == "rootfs: mount /proc");
        BOOST_TEST(errorCode(r) == EPERM);
    }
    {
        // A failed createRuntime hook: no CreateHooksDone is sent, the child sees EOF.
        auto [parent, child] = socketPair();
        FakePeer peer{std::move(child)};
        peer.run([](FakePeer &p) {
            p.send(SyncMsg::CreateHooks);
            p.expect(SyncMsg::CreateHooksDone);
        });
        SupervisorHandlers h;
        h.createHooks = []() -> Result<void> { return fail("createRuntime hook exited 1"); };
        {
            Supervisor s(parent, std::move(h));
            BOOST_TEST(errorText(s.untilReady()) == "createRuntime hook exited 1");
        }
        parent.close();
        peer.thread.join();
        BOOST_TEST(peer.seen ==
                   (std::vector<std::string>{"error: container process exited during setup"}));
    }
}

BOOST_AUTO_TEST_SUITE_END()
