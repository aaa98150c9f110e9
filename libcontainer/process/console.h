#pragma once

#include <string>

#include "common/result.h"
#include "common/unique_fd.h"

namespace husk {

/// Connects to an orchestrator's --console-socket (AF_UNIX stream).
[[nodiscard]] Result<UniqueFd> connectConsoleSocket(const std::string &path);

/// Sends the pty master over a console socket with SCM_RIGHTS, as runc does.
[[nodiscard]] Result<void> sendConsoleFd(int socket, int masterFd);

/// A private console socket for `run` in the foreground with a terminal: it listens on a
/// path (so create connects as it would to an orchestrator) and hands back the master.
class ConsoleReceiver
{
public:
    /// Listens on a fresh socket under dir.
    [[nodiscard]] static Result<ConsoleReceiver> listenIn(const std::string &dir);
    ConsoleReceiver(ConsoleReceiver &&) = default;
    ~ConsoleReceiver();

    /// The socket path to pass as the console socket.
    const std::string &path() const { return path_; }
    /// Accepts the connection create made and receives the master.
    [[nodiscard]] Result<UniqueFd> receive();

private:
    ConsoleReceiver(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
    UniqueFd fd_;
    std::string path_;
};

/// Clears ONLCR on the pty (through its master) as runc does for the pty it proxies itself, so
/// the container's "\n" reaches husk's stdout as "\n", not "\r\n": output piped from
/// `run -t` or `exec -t` compares as text. Done as soon as husk holds the master, before the
/// process runs.
void clearOnlcr(int master);

/// Copies stdin to the master and the master to stdout until the process behind pidfd exits,
/// with the caller's terminal in raw mode, window size changes passed on, and signals read from
/// forwardFd (a signalfd) sent on to the process.
void proxyConsole(int master, int pidfd, int forwardFd);

} // namespace husk
