#include "libcontainer/process/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/unique_fd.h"
#include "libcontainer/process/clone.h"
#include "libcontainer/process/pidfd.h"

namespace husk {

namespace {

// Hook output is kept (for the log and the error) up to this much.
constexpr size_t kMaxOutput = 64 * 1024;

int64_t nowMs()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1'000'000;
}

std::string trimmed(const std::string &s)
{
    size_t end = s.find_last_not_of(" \n\r\t");
    return end == std::string::npos ? std::string() : s.substr(0, end + 1);
}

[[noreturn]] void execHook(const spec::Hook &hook, int in, int out)
{
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    std::vector<char *> argv;
    if (hook.args.empty())
        argv.push_back(const_cast<char *>(hook.path.c_str()));
    for (const std::string &a : hook.args)
        argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char *> envp;
    if (hook.env) {
        for (const std::string &e : *hook.env)
            envp.push_back(const_cast<char *>(e.c_str()));
    } else {
        for (char **e = environ; *e != nullptr; ++e)
            envp.push_back(*e);
    }
    envp.push_back(nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(hook.path.c_str(), argv.data(), envp.data());
    std::string msg = "exec " + hook.path + ": " + std::strerror(errno) + "\n";
    ssize_t w = ::write(STDERR_FILENO, msg.data(), msg.size());
    (void)w;
    ::_exit(127);
}

} // namespace

Result<void> runHook(const spec::Hook &hook, const std::string &stateJson, const std::string &field)
{
    const std::string what = field + " (" + hook.path + ")";
    log::step([&] { return "hook " + what + ": run"; });
    // stdin is a socket so the state can be sent with MSG_NOSIGNAL: a hook that exits or closes
    // stdin without reading must not kill husk with SIGPIPE (mid-create, that would skip the
    // cleanup). A process-wide SIG_IGN is no answer: hooks and containers would inherit it.
    int inPair[2], outPipe[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, inPair) < 0)
        return failErrno(what + ": socketpair");
    UniqueFd inRead(inPair[0]), inWrite(inPair[1]);
    if (::pipe2(outPipe, O_CLOEXEC) < 0)
        return failErrno(what + ": pipe");
    UniqueFd outRead(outPipe[0]), outWrite(outPipe[1]);

    int pidfdRaw = -1;
    pid_t pid = HUSK_TRY_CTX(process::cloneProcess(0, &pidfdRaw), what);
    if (pid == 0)
        execHook(hook, inRead.get(), outWrite.get());
    UniqueFd pidfd(pidfdRaw);
    inRead.reset();
    outWrite.reset();
    // The state is small (well under a socket buffer), so this never blocks on a hook that
    // does not read its stdin; EPIPE just means it did not want it.
    ssize_t w =
        ::send(inWrite.get(), stateJson.data(), stateJson.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)w;
    ::shutdown(inWrite.get(), SHUT_WR);
    inWrite.reset();

    std::string output;
    const int64_t deadline = hook.timeout ? nowMs() + int64_t{*hook.timeout} * 1000 : -1;
    bool exited = false, timedOut = false;
    while (!exited) {
        int wait = -1;
        if (deadline >= 0) {
            int64_t left = deadline - nowMs();
            if (left <= 0) {
                timedOut = true;
                break;
            }
            wait = static_cast<int>(left);
        }
        // A negative fd is ignored by poll: the output pipe drops out once it hits EOF.
        pollfd fds[2] = {{pidfd.get(), POLLIN, 0}, {outRead ? outRead.get() : -1, POLLIN, 0}};
        if (::poll(fds, 2, wait) < 0 && errno != EINTR)
            break;
        if (fds[1].revents & (POLLIN | POLLHUP)) {
            char buf[4096];
            ssize_t n = ::read(outRead.get(), buf, sizeof buf);
            if (n > 0 && output.size() < kMaxOutput)
                output.append(buf, static_cast<size_t>(n));
            if (n <= 0)
                outRead.reset();
        }
        if (fds[0].revents & POLLIN)
            exited = true;
    }
    if (timedOut) {
        (void)killThroughPidfd(pidfd.get(), Reap::Child, -1);
        if (std::string out = trimmed(output); !out.empty())
            log::info(what + ": " + out);
        return fail(what + ": timed out after " + std::to_string(*hook.timeout) + "s");
    }
    if (outRead) {
        // What the hook wrote just before exiting (a grandchild may hold the pipe: no wait).
        ::fcntl(outRead.get(), F_SETFL, O_NONBLOCK);
        char buf[4096];
        ssize_t n;
        while ((n = ::read(outRead.get(), buf, sizeof buf)) > 0 && output.size() < kMaxOutput)
            output.append(buf, static_cast<size_t>(n));
    }
    siginfo_t info{};
    while (::waitid(P_PIDFD, static_cast<id_t>(pidfd.get()), &info, WEXITED) < 0 &&
           errno == EINTR) {
    }
    std::string out = trimmed(output);
    if (!out.empty())
        log::info(what + ": " + out);
    if (info.si_code != CLD_EXITED)
        return fail(what + ": killed by signal " + std::to_string(info.si_status) +
                    (out.empty() ? "" : ": " + out));
    if (info.si_status != 0)
        return fail(what + ": exited with status " + std::to_string(info.si_status) +
                    (out.empty() ? "" : ": " + out));
    return {};
}

Result<void> runHooks(const std::vector<spec::Hook> &hooks, const std::string &stateJson,
                      const std::string &kind)
{
    for (size_t i = 0; i < hooks.size(); ++i)
        HUSK_TRY(runHook(hooks[i], stateJson, "hooks." + kind + "[" + std::to_string(i) + "]"));
    return {};
}

void runHooksWarnOnly(const std::vector<spec::Hook> &hooks, const std::string &stateJson,
                      const std::string &kind)
{
    for (size_t i = 0; i < hooks.size(); ++i)
        if (auto r = runHook(hooks[i], stateJson, "hooks." + kind + "[" + std::to_string(i) + "]");
            !r)
            log::warn(r.error().what());
}

} // namespace husk
