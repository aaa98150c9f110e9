// husk's pause process image: a freestanding static program (no libc, no loader) that a pod's
// pause child executes from a memfd, so the process that lives as long as the pod maps a few
// pages instead of husk with its libraries. It names itself husk:pause, blocks every signal,
// exits 0 on SIGTERM or SIGINT, and reaps every child on SIGCHLD (PID 1 of a shared PID
// namespace inherits the orphans). Built by libcontainer/meson.build with the compiler alone,
// outside the project's flags (no sanitizers, no PIE, no libc).

#include <asm/unistd.h>
#include <linux/prctl.h>
#include <linux/signal.h>
#include <linux/wait.h>

namespace {

long syscall4(long n, long a, long b, long c, long d)
{
    long ret;
#if defined(__x86_64__)
    register long r10 asm("r10") = d;
    asm volatile("syscall"
                 : "=a"(ret)
                 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
                 : "rcx", "r11", "memory");
#elif defined(__aarch64__)
    register long x8 asm("x8") = n;
    register long x0 asm("x0") = a;
    register long x1 asm("x1") = b;
    register long x2 asm("x2") = c;
    register long x3 asm("x3") = d;
    asm volatile("svc 0" : "=r"(x0) : "r"(x8), "0"(x0), "r"(x1), "r"(x2), "r"(x3) : "memory");
    ret = x0;
#else
#error "the pause image supports x86_64 and aarch64; other machines fork husk's own"
#endif
    return ret;
}

constexpr unsigned long kAllSignals = ~0UL; // the kernel's sigset for rt_sigprocmask: 64 bits

} // namespace

extern "C" [[noreturn]] void _start()
{
    static const char name[] = "husk:pause";
    syscall4(__NR_prctl, PR_SET_NAME, reinterpret_cast<long>(name), 0, 0);
    unsigned long all = kAllSignals;
    syscall4(__NR_rt_sigprocmask, SIG_BLOCK, reinterpret_cast<long>(&all), 0, sizeof all);
    for (;;) {
        long sig = syscall4(__NR_rt_sigtimedwait, reinterpret_cast<long>(&all), 0, 0, sizeof all);
        if (sig == SIGTERM || sig == SIGINT)
            syscall4(__NR_exit_group, 0, 0, 0, 0);
        if (sig == SIGCHLD)
            while (syscall4(__NR_wait4, -1, 0, WNOHANG, 0) > 0) {
            }
    }
}
