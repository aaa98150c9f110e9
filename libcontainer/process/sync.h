#pragma once

// Parent <-> child messages over a socketpair(SOCK_SEQPACKET). Who sends what, in order:
//
//   intermediate -> parent  ChildPid(pid,fd) only when namespaces are joined by path or a time
//                                            namespace needs offsets: the intermediate setns()es,
//                                            clones the init (CLONE_PARENT | CLONE_PIDFD) and
//                                            sends its pid and pidfd, then exits.
//   parent -> init          Go(hostPid)      uid/gid maps written, init placed in its cgroups;
//                                            carries the init's pid as the host sees it.
//   init -> parent          CreateHooks      mounts and devices are done, pivot_root is next:
//                                            the parent runs prestart and createRuntime hooks
//   parent -> init          CreateHooksDone  (only when the config has such hooks).
//   init -> parent          SeccompFd(fd)    right after a filter with SCMP_ACT_NOTIFY rules is
//   parent -> init          SeccompFdAck     loaded; acknowledged once the seccomp agent at
//                                            linux.seccomp.listenerPath has the fd.
//   init -> parent          ConsoleFd(fd)    the pty master, when process.terminal is true; the
//                                            parent forwards it to --console-socket.
//   init -> parent          Ready            everything is set up; the init is about to block
//                                            on the exec fifo.
//   parent -> init          ReadyAck         state.json and the pid file are written.
//   any child -> parent     Error(errno,msg) setup failed; the child _exit()s right after.
//
// A message other than the one expected is an error naming both; EOF means the peer died.
// The parent's side of everything after ChildPid is process::Supervisor (supervise.h).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/unique_fd.h"

namespace husk::process {

/// The typed messages of the create handshake.
enum class SyncMsg : uint32_t {
    ChildPid = 1,
    Go,
    ConsoleFd,
    Ready,
    ReadyAck,
    Error,
    CreateHooks,
    CreateHooksDone,
    SeccompFd,
    SeccompFdAck,
};

/// The name of a message, for errors.
const char *syncMsgName(SyncMsg m);

/// One received message.
struct SyncPacket {
    SyncMsg type = SyncMsg::Error;
    int32_t value = 0; // pid for ChildPid, errno for Error
    std::string text;  // message for Error
    UniqueFd fd;       // for ConsoleFd, SeccompFd and ChildPid
};

/// One end of the sync socketpair.
class SyncSocket
{
public:
    SyncSocket() = default;
    /// Takes one end of the pair.
    explicit SyncSocket(UniqueFd fd) : fd_(std::move(fd)) {}

    /// Makes a connected pair (both ends close-on-exec).
    [[nodiscard]] static Result<std::pair<SyncSocket, SyncSocket>> pair();

    /// Sends a message, optionally passing one fd with SCM_RIGHTS.
    [[nodiscard]] Result<void> send(SyncMsg type, int32_t value = 0, std::string_view text = {},
                                    int passFd = -1);
    /// Sends an Error message carrying err (best effort: the sender exits right after).
    void sendError(const Error &err);
    /// Receives the next message; EOF is an error ("peer exited").
    [[nodiscard]] Result<SyncPacket> recv();
    /// Receives the next message, or nullopt at EOF: for a peer whose exec closes its end
    /// (close-on-exec), where EOF is the success; a failed receive is still an error.
    [[nodiscard]] Result<std::optional<SyncPacket>> recvOrEof();
    /// Receives a message that must be `type`; a peer Error is returned as this side's error.
    [[nodiscard]] Result<SyncPacket> expect(SyncMsg type);

    /// The underlying descriptor.
    int fd() const { return fd_.get(); }
    /// Closes this end.
    void close() { fd_.reset(); }

private:
    UniqueFd fd_;
};

} // namespace husk::process
