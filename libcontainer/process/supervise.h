#pragma once

// The parent's side of the sync protocol (sync.h), one for `create` and `exec` alike. The
// caller states its intent (run the child until it is ready, or until it execs) and gives a
// handler for each request the child may make on the way; the supervisor receives the
// messages in order, answers the ones that need an acknowledgement once their handler
// succeeded, and turns a child's Error, an unexpected message or the child's death into an
// error of its own. Which requests are allowed depends on the phase:
//
//   until Ready (the init)   ConsoleFd, SeccompFd (-> SeccompFdAck), CreateHooks
//                            (-> CreateHooksDone), then Ready; EOF means the init died.
//   until exec (`exec`)      ConsoleFd, SeccompFd (-> SeccompFdAck); EOF means the process
//                            exec'd (its end is close-on-exec).
//
// A request without a handler is as unexpected as a message of the wrong phase.

#include <sys/types.h>

#include <functional>

#include "common/result.h"
#include "common/unique_fd.h"
#include "libcontainer/process/sync.h"

namespace husk::process {

/// What the parent does for each request of the child.
struct SupervisorHandlers {
    /// The pty master (process.terminal): to --console-socket, or kept to proxy it.
    std::function<Result<void>(UniqueFd master)> consoleFd;
    /// The seccomp notify fd: to the agent at linux.seccomp.listenerPath.
    std::function<Result<void>(UniqueFd notifyFd)> seccompFd;
    /// The init's mounts are done: prestart and createRuntime hooks (init only).
    std::function<Result<void>()> createHooks;
};

/// Drives one child through the sync protocol.
class Supervisor
{
public:
    Supervisor(SyncSocket &sock, SupervisorHandlers handlers)
        : sock_(sock), handlers_(std::move(handlers))
    {}

    /// Lets the child go (its id maps are written and it is in its cgroups); carries its pid as
    /// the host sees it.
    [[nodiscard]] Result<void> go(pid_t hostPid = 0);
    /// Serves the init's requests until it reports Ready.
    [[nodiscard]] Result<void> untilReady();
    /// Tells the init its state is recorded: it goes on to wait for start.
    [[nodiscard]] Result<void> acknowledgeReady();
    /// Serves an exec'd process's requests until its exec closes the socket.
    [[nodiscard]] Result<void> untilExec();

private:
    enum class Phase { UntilReady, UntilExec };
    // Serves messages until the phase's end; true when it ended (Ready or EOF).
    [[nodiscard]] Result<void> serve(Phase phase);

    SyncSocket &sock_;
    SupervisorHandlers handlers_;
};

} // namespace husk::process
