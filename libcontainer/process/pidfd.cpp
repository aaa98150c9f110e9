#include "libcontainer/process/pidfd.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

namespace husk {

std::optional<uint64_t> processStartTime(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::nullopt;
    char buf[1024];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0)
        return std::nullopt;
    buf[n] = '\0';
    // comm (field 2) may contain spaces and parentheses: fields resume after the last ')'.
    char *p = strrchr(buf, ')');
    if (!p)
        return std::nullopt;
    p += 2; // ") "
    char state = *p;
    if (state == 'Z' || state == 'X')
        return std::nullopt;
    // p is at field 3; starttime is field 22.
    for (int field = 3; field < 22; ++field) {
        p = strchr(p, ' ');
        if (!p)
            return std::nullopt;
        ++p;
    }
    return strtoull(p, nullptr, 10);
}

bool processMatches(pid_t pid, uint64_t startTime)
{
    if (pid <= 0)
        return false;
    auto t = processStartTime(pid);
    return t && *t == startTime;
}

std::optional<bool> startedAfterDirectory(uint64_t startTicks, int dirfd)
{
    struct statx sx {};
    if (::statx(dirfd, "", AT_EMPTY_PATH, STATX_BTIME, &sx) < 0 || !(sx.stx_mask & STATX_BTIME))
        return std::nullopt;
    using Nanos = long long;
    auto nanos = [](Nanos sec, Nanos nsec) { return sec * 1'000'000'000 + nsec; };
    const Nanos born = nanos(sx.stx_btime.tv_sec, sx.stx_btime.tv_nsec);
    // The start time counts ticks since boot; boot on the realtime clock is now minus uptime.
    timespec real{}, boot{};
    ::clock_gettime(CLOCK_REALTIME, &real);
    ::clock_gettime(CLOCK_BOOTTIME, &boot);
    const Nanos hz = ::sysconf(_SC_CLK_TCK);
    const Nanos started = nanos(real.tv_sec, real.tv_nsec) - nanos(boot.tv_sec, boot.tv_nsec) +
                          static_cast<Nanos>(startTicks) * (1'000'000'000 / hz);
    // Start times have clock-tick (10 ms) resolution: two ticks of grace.
    return started + 20'000'000 >= born;
}

Result<UniqueFd> openVerifiedPidfd(pid_t pid, uint64_t startTime)
{
    if (pid <= 0)
        return fail("no process", ESRCH);
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0)
        return failErrno("pidfd_open " + std::to_string(pid));
    UniqueFd pidfd(fd);
    // The pidfd pins the process; checking the start time after opening it closes the
    // window in which the pid could have been reused.
    if (!processMatches(pid, startTime))
        return fail("process " + std::to_string(pid) + " is gone", ESRCH);
    return pidfd;
}

Result<void> pidfdSignal(int pidfd, int sig)
{
    if (::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) < 0)
        return failErrno("send signal " + std::to_string(sig));
    return {};
}

bool pidfdWaitExit(int pidfd, int timeoutMs)
{
    pollfd p{pidfd, POLLIN, 0};
    for (;;) {
        int r = ::poll(&p, 1, timeoutMs);
        if (r < 0 && errno == EINTR)
            continue;
        return r > 0;
    }
}

bool killThroughPidfd(int pidfd, Reap reap, int timeoutMs, int sig)
{
    (void)pidfdSignal(pidfd, sig);
    if (!pidfdWaitExit(pidfd, timeoutMs))
        return false;
    if (reap == Reap::Child) {
        siginfo_t info{};
        while (::waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED) < 0 && errno == EINTR) {
        }
    }
    return true;
}

} // namespace husk
