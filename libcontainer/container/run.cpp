// `run`: create + start, then wait for the container's init as its (sub)reaper, forwarding
// signals, and delete it afterwards.

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <optional>

#include "common/log.h"
#include "libcontainer/process/console.h"
#include "libcontainer/container/container.h"
#include "libcontainer/container/internal.h"
#include "libcontainer/process/pidfd.h"
#include "libcontainer/process/signals.h"
#include "libcontainer/container/state_store.h"
#include "spec/parse.h"

namespace husk {

namespace {

// Signals a foreground `run` passes on to the container instead of acting on them.
constexpr int kForwarded[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
                              SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGALRM};

bool configWantsTerminal(const std::string &bundle)
{
    auto c = spec::loadConfig(bundle.empty() ? "." : bundle);
    return c && c->process && c->process->terminal;
}

} // namespace

sigset_t forwardedSignals()
{
    sigset_t set;
    sigemptyset(&set);
    for (int s : kForwarded)
        sigaddset(&set, s);
    return set;
}

Result<int> waitForProcess(int pidfd, int sigfd, int timeoutSeconds)
{
    timespec start{};
    ::clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        int waitMs = -1;
        if (timeoutSeconds > 0) {
            timespec now{};
            ::clock_gettime(CLOCK_MONOTONIC, &now);
            int64_t elapsed =
                (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1'000'000;
            int64_t left = int64_t{timeoutSeconds} * 1000 - elapsed;
            if (left <= 0) {
                // The exit status of timeout(1) and of the seeds' sandbox exec.
                (void)killThroughPidfd(pidfd, Reap::Child);
                return 124;
            }
            waitMs = static_cast<int>(left);
        }
        pollfd fds[2] = {{pidfd, POLLIN, 0}, {sigfd, POLLIN, 0}};
        if (::poll(fds, 2, waitMs) < 0) {
            if (errno == EINTR)
                continue;
            return failErrno("wait for container");
        }
        if (fds[1].revents & POLLIN) {
            signalfd_siginfo si;
            if (::read(sigfd, &si, sizeof si) == sizeof si)
                (void)pidfdSignal(pidfd, static_cast<int>(si.ssi_signo));
        }
        if (fds[0].revents & POLLIN) {
            siginfo_t info{};
            if (::waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED) < 0)
                return failErrno("reap container process");
            // Orphans re-parented to us (subreaper) are reaped too.
            while (::waitpid(-1, nullptr, WNOHANG) > 0) {
            }
            return info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
        }
    }
}

Result<int> runContainer(const GlobalOptions &g, const CreateOptions &o, const RunOptions &r,
                         CreateFn create, DeleteFn remove)
{
    CreateOptions opts = o;
    std::optional<ConsoleReceiver> receiver;
    if (!r.detach) {
        // The init is our child (CLONE_PARENT even through an intermediate); as subreaper we
        // also reap what it leaves behind in a container without a pid namespace.
        if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
            return failErrno("become subreaper");
        if (opts.consoleSocket.empty() && configWantsTerminal(opts.bundle)) {
            HUSK_TRY(StateStore::open(g.root)); // the socket lives under the root: make it
            receiver.emplace(HUSK_TRY(ConsoleReceiver::listenIn(g.root)));
            opts.consoleSocket = receiver->path();
        }
    }
    sigset_t set = forwardedSignals();
    sigaddset(&set, SIGWINCH);
    // Blocked before create so nothing is lost between start and the wait loop; the init
    // resets its mask before exec.
    BlockedSignals blocked(set);

    pid_t pid = HUSK_TRY(create(g, opts));
    UniqueFd master;
    if (receiver) {
        master = HUSK_TRY(receiver->receive());
        clearOnlcr(master.get());
    }
    if (auto s = startContainer(g, o.id); !s) {
        (void)remove(g, o.id, true);
        return std::unexpected(s.error());
    }
    if (r.detach)
        return 0;
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0)
        return failErrno("pidfd_open container init");
    UniqueFd owned(pidfd);
    sigset_t fwd = forwardedSignals();
    UniqueFd sigfd(::signalfd(-1, &fwd, SFD_CLOEXEC));
    if (master)
        proxyConsole(master.get(), pidfd, sigfd.get());
    auto code = waitForProcess(pidfd, sigfd.get(), 0);
    if (!r.keep)
        if (auto d = remove(g, o.id, true); !d)
            log::warn("delete after run: " + d.error().what());
    return code;
}

} // namespace husk
