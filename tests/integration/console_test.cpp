// Integration tests: process.terminal with --console-socket: the runtime sends the pty master
// over a unix socket with SCM_RIGHTS, and the container's stdio is the pty slave.

#ifndef BOOST_TEST_DYN_LINK // meson's boost dependency may define it already
#define BOOST_TEST_DYN_LINK
#endif
#define BOOST_TEST_MODULE console
#include <boost/test/unit_test.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "tests/integration/harness.h"

using namespace husk::test;
using husk::UniqueFd;
using nlohmann::json;
namespace fs = std::filesystem;

BOOST_TEST_GLOBAL_FIXTURE(RunFixture);

namespace {

/// A listening unix socket for --console-socket that receives one pty master.
class ConsoleSocket
{
public:
    /// Listens on path.
    explicit ConsoleSocket(fs::path path) : path_(std::move(path))
    {
        listen_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        BOOST_REQUIRE(listen_);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        BOOST_REQUIRE(path_.string().size() < sizeof(addr.sun_path));
        std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
        BOOST_REQUIRE(::bind(listen_.get(), reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) ==
                      0);
        BOOST_REQUIRE(::listen(listen_.get(), 1) == 0);
    }

    /// The socket's path.
    const fs::path &path() const { return path_; }

    /// Accepts one connection and returns the fd it carried with SCM_RIGHTS (invalid if none).
    UniqueFd receive(std::chrono::milliseconds timeout = 10s)
    {
        pollfd p = {listen_.get(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1)
            return {};
        UniqueFd conn(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!conn)
            return {};
        char data[4096];
        iovec iov = {data, sizeof(data)};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof(control);
        if (::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC) < 0)
            return {};
        for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                int fd;
                std::memcpy(&fd, CMSG_DATA(c), sizeof(fd));
                return UniqueFd(fd);
            }
        }
        return {};
    }

private:
    fs::path path_;
    UniqueFd listen_;
};

/// Reads the pty master until the slave side is closed (EIO) or the timeout passes.
std::string readMaster(int fd, std::chrono::milliseconds timeout = 10s)
{
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        checkTermination();
        pollfd p = {fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0)
            continue;
        char buf[4096];
        ssize_t n = ::read(fd, buf, sizeof(buf));
        if (n > 0) {
            out.append(buf, static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        break; // EIO: every slave fd is closed, or EOF.
    }
    return out;
}

/// Test fixture: a terminal bundle and its console socket.
struct TerminalFixture : Fixture {
    TerminalFixture() : console(bundle.path() / "console.sock")
    {
        bundle.config()["process"]["terminal"] = true;
    }

    /// Creates and starts a terminal container running the probe with args; returns what it
    /// printed on the pty.
    std::string runOnPty(const std::vector<std::string> &args)
    {
        bundle.setProbeArgs(args);
        bundle.save();
        std::string id = newId();
        CommandResult c = create(id, {"--console-socket", console.path().string()});
        BOOST_REQUIRE_MESSAGE(c.ok(), c.describe());
        UniqueFd master = console.receive();
        BOOST_REQUIRE_MESSAGE(master, "no pty master arrived on the console socket");
        CommandResult s = start(id);
        BOOST_REQUIRE_MESSAGE(s.ok(), s.describe());
        std::string out = readMaster(master.get());
        BOOST_TEST(waitForStatus(id, "stopped"), "status: " << status(id));
        BOOST_TEST(io.out().empty(), "output went to stdout, not the pty: " << io.out());
        return out;
    }

    /// The socket the runtime sends the master to.
    ConsoleSocket console;
};

} // namespace

BOOST_AUTO_TEST_SUITE(console)

BOOST_FIXTURE_TEST_CASE(stdio_is_the_pty, TerminalFixture)
{
    std::string out = runOnPty({"info"});
    json info = parseJson(out);
    BOOST_REQUIRE_MESSAGE(info.is_object(), "no JSON on the pty: " << out);
    BOOST_TEST(info["isatty"] == json::array({true, true, true}), info["isatty"].dump());
    BOOST_TEST(info["ttyname"].get<std::string>().starts_with("/dev/pts/"), info["ttyname"]);
    BOOST_TEST(info["sid"] == 1);
}

BOOST_FIXTURE_TEST_CASE(output_goes_through_line_discipline, TerminalFixture)
{
    std::string out = runOnPty({"echo", "hello", "pty"});
    BOOST_TEST(out == "hello pty\r\n");
}

// Not against runc: its `run -t` proxies only for a caller with a controlling terminal (it
// opens /dev/tty), which the harness does not have.
BOOST_FIXTURE_TEST_CASE(run_proxies_the_pty_without_onlcr, TerminalFixture,
                        *boost::unit_test::precondition(notRunc))
{
    // A foreground run with a terminal and no --console-socket proxies the pty itself; as
    // runc, it clears ONLCR so what the container prints compares as text ("\n", not "\r\n").
    bundle.setProbeArgs({"echo", "hello", "pty"});
    bundle.save();
    CommandResult r = run(newId());
    BOOST_TEST(r.ok(), r.describe());
    BOOST_TEST(r.out == "hello pty\n", r.describe());
}

BOOST_FIXTURE_TEST_CASE(console_size, TerminalFixture)
{
    bundle.config()["process"]["consoleSize"] = {{"height", 33}, {"width", 111}};
    json info = parseJson(runOnPty({"info"}));
    BOOST_REQUIRE(info.contains("winsize"));
    BOOST_TEST(info["winsize"]["rows"] == 33);
    BOOST_TEST(info["winsize"]["cols"] == 111);
}

BOOST_FIXTURE_TEST_CASE(dev_console_is_the_pty, TerminalFixture)
{
    json st = parseJson(runOnPty({"stat", "/dev/console"}));
    BOOST_TEST(st["exists"] == true, st.dump());
    BOOST_TEST(st["type"] == "char", st.dump());
    BOOST_TEST(st["rdevMajor"] == 136, st.dump());
}

BOOST_FIXTURE_TEST_CASE(terminal_without_console_socket_fails, TerminalFixture)
{
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    std::string id = newId();
    CommandResult c = create(id);
    BOOST_TEST(c.exitCode == 1, c.describe());
    BOOST_TEST(status(id).empty());
}

BOOST_FIXTURE_TEST_CASE(console_socket_without_terminal_fails, TerminalFixture)
{
    bundle.config()["process"]["terminal"] = false;
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    std::string id = newId();
    CommandResult c = create(id, {"--console-socket", console.path().string()});
    BOOST_TEST(c.exitCode == 1, c.describe());
    BOOST_TEST(status(id).empty());
}

BOOST_FIXTURE_TEST_CASE(console_socket_not_listening_fails, TerminalFixture)
{
    bundle.setProbeArgs({"exit", "0"});
    bundle.save();
    std::string id = newId();
    CommandResult c = create(id, {"--console-socket", (bundle.path() / "nobody.sock").string()});
    BOOST_TEST(c.exitCode == 1, c.describe());
    BOOST_TEST(status(id).empty());
}

BOOST_FIXTURE_TEST_CASE(exec_tty_over_console_socket, TerminalFixture)
{
    // A container without a terminal; `exec -t -d` gives the new process a pty of its own,
    // whose master goes to the console socket.
    bundle.config()["process"]["terminal"] = false;
    std::string id = startWaiting();
    CommandResult e = runHusk({"exec", "--tty", "--detach", "--console-socket",
                               console.path().string(), id, "/bin/husk-probe", "info"});
    BOOST_REQUIRE_MESSAGE(e.ok(), e.describe());
    UniqueFd master = console.receive();
    BOOST_REQUIRE_MESSAGE(master, "no pty master arrived on the console socket");
    json info = parseJson(readMaster(master.get()));
    BOOST_TEST(info["isatty"] == json::array({true, true, true}), info["isatty"].dump());
    BOOST_TEST(info["ttyname"].get<std::string>().starts_with("/dev/pts/"), info["ttyname"]);
    BOOST_TEST(info["sid"] == info["pid"], "the exec'd process leads its session");
}

BOOST_AUTO_TEST_SUITE_END()
