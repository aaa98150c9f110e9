#include "libcontainer/process/supervise.h"

#include <string>

namespace husk::process {

Result<void> Supervisor::go(pid_t hostPid)
{
    return sock_.send(SyncMsg::Go, hostPid);
}

Result<void> Supervisor::untilReady()
{
    return serve(Phase::UntilReady);
}

Result<void> Supervisor::acknowledgeReady()
{
    return sock_.send(SyncMsg::ReadyAck);
}

Result<void> Supervisor::untilExec()
{
    return serve(Phase::UntilExec);
}

Result<void> Supervisor::serve(Phase phase)
{
    const char *who = phase == Phase::UntilReady ? "container init" : "exec'd process";
    for (;;) {
        // Until exec, EOF is the success (the child's end is close-on-exec); until Ready it is
        // the child's death. A receive that failed is never taken for either.
        std::optional<SyncPacket> msg = HUSK_TRY(sock_.recvOrEof());
        if (!msg) {
            if (phase == Phase::UntilExec)
                return {};
            return fail(std::string(who) + " exited during setup");
        }
        auto unexpected = [&] {
            return fail(std::string("sync: unexpected ") + syncMsgName(msg->type) + " from the " +
                        who);
        };
        switch (msg->type) {
        case SyncMsg::Error:
            return fail(msg->text, msg->value);
        case SyncMsg::ConsoleFd:
            if (!handlers_.consoleFd || !msg->fd)
                return unexpected();
            HUSK_TRY(handlers_.consoleFd(std::move(msg->fd)));
            break;
        case SyncMsg::SeccompFd:
            if (!handlers_.seccompFd || !msg->fd)
                return unexpected();
            HUSK_TRY(handlers_.seccompFd(std::move(msg->fd)));
            HUSK_TRY(sock_.send(SyncMsg::SeccompFdAck));
            break;
        case SyncMsg::CreateHooks:
            if (phase != Phase::UntilReady || !handlers_.createHooks)
                return unexpected();
            HUSK_TRY(handlers_.createHooks());
            HUSK_TRY(sock_.send(SyncMsg::CreateHooksDone));
            break;
        case SyncMsg::Ready:
            if (phase != Phase::UntilReady)
                return unexpected();
            return {};
        default:
            return unexpected();
        }
    }
}

} // namespace husk::process
