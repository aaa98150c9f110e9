#include "libcontainer/process/signals.h"

#include <signal.h>

#include <charconv>

namespace husk {

namespace {

struct SignalName {
    std::string_view name;
    int number;
};

constexpr SignalName kSignals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

bool parseInt(std::string_view s, int &out)
{
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

} // namespace

Result<int> parseSignal(std::string_view text)
{
    std::string upper(text); // runc accepts "term" as well as "TERM"
    for (char &c : upper)
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 'a' + 'A');
    std::string_view s = upper;
    int n = 0;
    if (parseInt(s, n)) {
        if (n <= 0 || n > SIGRTMAX)
            return fail("invalid signal \"" + std::string(text) + "\"");
        return n;
    }
    if (s.starts_with("SIG"))
        s.remove_prefix(3);
    for (const SignalName &e : kSignals)
        if (e.name == s)
            return e.number;
    // RTMIN, RTMIN+n, RTMAX, RTMAX-n
    for (std::string_view base : {std::string_view("RTMIN"), std::string_view("RTMAX")}) {
        if (!s.starts_with(base))
            continue;
        std::string_view rest = s.substr(base.size());
        int b = base == "RTMIN" ? SIGRTMIN : SIGRTMAX;
        int off = 0;
        if (!rest.empty()) {
            char sign = rest[0];
            if ((sign != '+' && sign != '-') || !parseInt(rest.substr(1), off))
                break;
            off = sign == '+' ? off : -off;
        }
        int sig = b + off;
        if (sig < SIGRTMIN || sig > SIGRTMAX)
            break;
        return sig;
    }
    return fail("unknown signal \"" + std::string(text) + "\"");
}

std::string signalName(int sig)
{
    for (const SignalName &e : kSignals)
        if (e.number == sig)
            return std::string(e.name);
    return std::to_string(sig);
}

} // namespace husk
