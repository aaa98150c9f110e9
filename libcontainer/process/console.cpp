#include "libcontainer/process/console.h"

#include "common/fd_passing.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

namespace husk {

namespace {

Result<sockaddr_un> unixAddress(const std::string &path)
{
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path)
        return fail("socket path too long: " + path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    return addr;
}

} // namespace

Result<UniqueFd> connectConsoleSocket(const std::string &path)
{
    sockaddr_un addr = HUSK_TRY(unixAddress(path));
    UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s)
        return failErrno("socket");
    if (::connect(s.get(), reinterpret_cast<sockaddr *>(&addr), sizeof addr) < 0)
        return failErrno("--console-socket: connect " + path);
    return s;
}

Result<void> sendConsoleFd(int socket, int masterFd)
{
    // runc sends the master's name as the payload; console-socket readers ignore or log it.
    if (auto r = sendWithFd(socket, "/dev/ptmx", masterFd); !r)
        return wrap(r.error(), "send pty master");
    return {};
}

Result<ConsoleReceiver> ConsoleReceiver::listenIn(const std::string &dir)
{
    std::string path = dir + "/console-" + std::to_string(::getpid()) + ".sock";
    sockaddr_un addr = HUSK_TRY(unixAddress(path));
    UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s)
        return failErrno("socket");
    ::unlink(path.c_str());
    if (::bind(s.get(), reinterpret_cast<sockaddr *>(&addr), sizeof addr) < 0)
        return failErrno("bind console socket " + path);
    if (::listen(s.get(), 1) < 0)
        return failErrno("listen on console socket");
    return ConsoleReceiver(std::move(s), path);
}

ConsoleReceiver::~ConsoleReceiver()
{
    if (fd_)
        ::unlink(path_.c_str());
}

Result<UniqueFd> ConsoleReceiver::receive()
{
    UniqueFd conn(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn)
        return failErrno("accept console connection");
    char buf[256];
    UniqueFd master;
    HUSK_TRY_CTX(recvWithFd(conn.get(), buf, sizeof buf, master), "receive pty master");
    if (master)
        return master;
    return fail("console socket: no pty master received");
}

void clearOnlcr(int master)
{
    termios t{};
    if (::tcgetattr(master, &t) == 0) {
        t.c_oflag &= ~static_cast<tcflag_t>(ONLCR);
        ::tcsetattr(master, TCSANOW, &t);
    }
}

void proxyConsole(int master, int pidfd, int forwardFd)
{
    termios saved{};
    bool raw = ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (raw) {
        termios t = saved;
        // Raw input; but the container's pty no longer turns "\n" into "\r\n" (clearOnlcr),
        // so the caller's terminal keeps doing it for what is shown on it.
        ::cfmakeraw(&t);
        t.c_oflag |= OPOST | ONLCR;
        ::tcsetattr(STDIN_FILENO, TCSANOW, &t);
        winsize ws{};
        if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
            ::ioctl(master, TIOCSWINSZ, &ws);
    }
    sigset_t winch;
    sigemptyset(&winch);
    sigaddset(&winch, SIGWINCH);
    UniqueFd sfd(::signalfd(-1, &winch, SFD_CLOEXEC));
    bool stdinOpen = true;
    char buf[8192];
    for (;;) {
        pollfd fds[5] = {{master, POLLIN, 0},
                         {stdinOpen ? STDIN_FILENO : -1, POLLIN, 0},
                         {pidfd, POLLIN, 0},
                         {sfd.get(), POLLIN, 0},
                         {forwardFd, POLLIN, 0}};
        if (::poll(fds, 5, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[0].revents & POLLIN) {
            ssize_t n = ::read(master, buf, sizeof buf);
            if (n > 0) {
                ssize_t w = ::write(STDOUT_FILENO, buf, static_cast<size_t>(n));
                (void)w;
                continue;
            }
        }
        if (fds[1].revents & (POLLIN | POLLHUP)) {
            ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n > 0) {
                ssize_t w = ::write(master, buf, static_cast<size_t>(n));
                (void)w;
            } else {
                stdinOpen = false;
            }
        }
        if (fds[3].revents & POLLIN) {
            signalfd_siginfo si;
            ssize_t r = ::read(sfd.get(), &si, sizeof si);
            (void)r;
            winsize ws{};
            if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
                ::ioctl(master, TIOCSWINSZ, &ws);
        }
        if (fds[4].revents & POLLIN) {
            signalfd_siginfo si;
            if (::read(forwardFd, &si, sizeof si) == sizeof si)
                ::syscall(SYS_pidfd_send_signal, pidfd, static_cast<int>(si.ssi_signo), nullptr, 0);
        }
        if ((fds[2].revents & POLLIN) || (fds[0].revents & (POLLHUP | POLLERR)))
            break;
    }
    // Drain what the process wrote just before exiting.
    ::fcntl(master, F_SETFL, O_NONBLOCK);
    for (;;) {
        ssize_t n = ::read(master, buf, sizeof buf);
        if (n <= 0)
            break;
        ssize_t w = ::write(STDOUT_FILENO, buf, static_cast<size_t>(n));
        (void)w;
    }
    if (raw)
        ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
}

} // namespace husk
