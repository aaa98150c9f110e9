#include "libcontainer/cgroups/attach_warmup.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "common/file.h"
#include "libcontainer/cgroups/layout.h"

namespace husk::cgroups {

namespace {

#if defined(__x86_64__) || defined(__aarch64__)
// The child shares husk's memory (CLONE_VM: no page tables to copy, no copy-on-write faults
// after), so it must not touch what husk's own thread uses: libc's write() would store a
// failure in husk's errno. These two syscalls are made by hand, and nothing else runs there.
long rawSyscall3(long nr, long a, long b, long c)
{
    long ret;
#if defined(__x86_64__)
    asm volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
#else
    register long x8 asm("x8") = nr;
    register long x0 asm("x0") = a;
    register long x1 asm("x1") = b;
    register long x2 asm("x2") = c;
    asm volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    ret = x0;
#endif
    return ret;
}

int moveSelf(void *procsFd)
{
    // "0" is the writer itself: moved to the cgroup it is already in.
    rawSyscall3(SYS_write, static_cast<long>(reinterpret_cast<intptr_t>(procsFd)),
                reinterpret_cast<long>("0"), 1);
    return 0; // clone() makes the exit syscall with this
}

alignas(64) char childStack[16384];

long spawnMover(int procsFd, int *pidfd)
{
    return ::clone(moveSelf, childStack + sizeof childStack, CLONE_VM | CLONE_PIDFD | SIGCHLD,
                   reinterpret_cast<void *>(static_cast<intptr_t>(procsFd)), pidfd);
}
#else
long spawnMover(int procsFd, int *pidfd)
{
    clone_args args{};
    args.flags = CLONE_PIDFD;
    args.pidfd = reinterpret_cast<uintptr_t>(pidfd);
    args.exit_signal = SIGCHLD;
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) {
        (void)!::write(procsFd, "0", 1);
        ::_exit(0);
    }
    return pid;
}
#endif

} // namespace

UniqueFd startAttachWarmup()
{
    auto layout = detectLayout();
    if (!layout || layout->mode == Mode::V2)
        return {};
    auto own = readFile("/proc/self/cgroup");
    if (!own)
        return {};
    auto paths = parseProcCgroup(*own);
    for (const Hierarchy &h : layout->hierarchies) {
        if (h.key == "unified")
            continue;
        auto it = paths.find(h.key);
        if (it == paths.end())
            continue;
        std::string procs = h.mountPoint + (it->second == "/" ? "" : it->second) + "/cgroup.procs";
        int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            return {}; // not ours to write (rootless): the join will wait, as it always did
        UniqueFd procsFd(fd);
        int pidfd = -1;
        if (spawnMover(procsFd.get(), &pidfd) < 0)
            return {};
        // The child has its own copy of the fd table (no CLONE_FILES): closing here is safe.
        return UniqueFd(pidfd);
    }
    return {};
}

void finishAttachWarmup(UniqueFd &child)
{
    if (!child)
        return;
    siginfo_t info;
    while (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(child.get()), &info,
                    WEXITED) < 0 &&
           errno == EINTR) {
    }
    child.reset();
}

} // namespace husk::cgroups
