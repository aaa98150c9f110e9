#include "libcontainer/security/seccomp/notify.h"

#include "common/fd_passing.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace husk {

namespace {

constexpr const char *kNotify = "SCMP_ACT_NOTIFY";

// Calls the init makes between loading the filter and handing its notify fd over. Notified
// there, they would wait for an agent that can only get the fd once they return: a deadlock
// (runc refuses NOTIFY on "write" for the same reason, its sync pipe being written to).
constexpr const char *kHandOffSyscalls[] = {"sendmsg", "socketcall"};

} // namespace

bool seccompUsesNotify(const spec::Seccomp &s)
{
    if (s.defaultAction == kNotify)
        return true;
    for (const spec::SeccompSyscall &sc : s.syscalls)
        if (sc.action == kNotify)
            return true;
    return false;
}

Result<void> validateSeccompNotify(const spec::Seccomp &s)
{
    const std::string f = "linux.seccomp.";
    if (!s.listenerMetadata.empty() && s.listenerPath.empty())
        return fail(f + "listenerMetadata: set without listenerPath");
    if (s.listenerPath.size() >= sizeof(sockaddr_un::sun_path))
        return fail(f + "listenerPath: longer than " +
                    std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes");
    if (!seccompUsesNotify(s))
        return {}; // listenerPath alone is ignored (config-linux.md)
    if (s.defaultAction == kNotify)
        return fail(f + "defaultAction: SCMP_ACT_NOTIFY cannot be the default action (the "
                        "init could not hand its notify fd over)");
    if (s.listenerPath.empty())
        return fail(f + "listenerPath: required when SCMP_ACT_NOTIFY is used");
    for (size_t i = 0; i < s.syscalls.size(); ++i) {
        const spec::SeccompSyscall &sc = s.syscalls[i];
        if (sc.action != kNotify)
            continue;
        for (const std::string &name : sc.names)
            for (const char *handOff : kHandOffSyscalls)
                if (name == handOff)
                    return fail(f + "syscalls[" + std::to_string(i) +
                                "].action: SCMP_ACT_NOTIFY cannot be used for " + name +
                                " (the init passes the notify fd to husk with it)");
    }
    return {};
}

Result<void> sendToSeccompAgent(const std::string &listenerPath, std::string_view processState,
                                int notifyFd)
{
    const std::string ctx = "linux.seccomp.listenerPath " + listenerPath;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (listenerPath.empty() || listenerPath.size() >= sizeof addr.sun_path)
        return fail(ctx + ": not a usable socket path");
    std::memcpy(addr.sun_path, listenerPath.c_str(), listenerPath.size() + 1);
    UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock)
        return failErrno(ctx + ": socket");
    if (::connect(sock.get(), reinterpret_cast<sockaddr *>(&addr), sizeof addr) < 0)
        return failErrno(ctx + ": connect");
    const std::string_view payload = processState;
    size_t sent = 0;
    bool fdSent = false;
    while (sent < payload.size()) {
        // The fd rides with the first sendmsg only (config-linux.md, "container process
        // state"); a stream socket may take the payload in several.
        size_t n =
            HUSK_TRY_CTX(sendWithFd(sock.get(), payload.substr(sent), fdSent ? -1 : notifyFd),
                         ctx + ": send container process state");
        fdSent = true;
        sent += static_cast<size_t>(n);
    }
    // One message per connection: the agent reads to EOF. close() reports nothing useful for
    // a socket, so its result is not checked.
    sock.reset();
    return {};
}

} // namespace husk
