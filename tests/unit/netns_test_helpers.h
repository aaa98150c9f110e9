#pragma once

// Shared by the unit tests that fork: a check run in a child, so the test runner keeps its own
// state, or in a child that first unshares a network namespace of its own, so nothing a kernel
// test does can reach the host's interfaces or ruleset (the namespace, its links and nf_tables
// tables go away when the child exits, pass or fail); second namespaces held by an fd; link
// names of this test process alone; preconditions that skip with the reason; and the values of
// parses (addresses, prefixes) that must succeed. STEP and TAKE end a kernel test's child at its
// first failed step.

// meson's boost dependency already passes -DBOOST_TEST_DYN_LINK=1.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sched.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"
#include "common/unique_fd.h"

namespace netns_test {

/// A precondition's answer: holds when ok, else the test is skipped saying why (STYLE.md 13:
/// never a silent pass).
inline boost::test_tools::assertion_result skipUnless(bool ok, std::string_view why)
{
    boost::test_tools::assertion_result r(ok);
    r.message() << why;
    return r;
}

/// The value of a parse that must succeed; the test stops with the parser's error otherwise.
template <typename T> T parsed(husk::Result<T> r)
{
    BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.error().what()));
    return std::move(*r);
}

/// Runs fn in a forked child; returns "" or what went wrong there (fn's answer, or how the
/// child died).
inline std::string inChild(const std::function<std::string()> &fn)
{
    int p[2];
    BOOST_REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    pid_t pid = ::fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(p[0]);
        std::string err = fn();
        ssize_t w = ::write(p[1], err.data(), err.size());
        (void)w;
        ::_exit(err.empty() ? 0 : 1);
    }
    ::close(p[1]);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0)
        out.append(buf, static_cast<size_t>(n));
    ::close(p[0]);
    int status = 0;
    BOOST_REQUIRE(::waitpid(pid, &status, 0) == pid);
    if (out.empty() && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        out = "child died with status " + std::to_string(status);
    return out;
}

/// As inChild(), the child first unsharing a fresh network namespace, so nothing fn does can
/// reach the host's interfaces or ruleset.
inline std::string inPrivateNetns(const std::function<std::string()> &fn)
{
    return inChild([&fn] {
        return ::unshare(CLONE_NEWNET) == 0
                   ? fn()
                   : std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
    });
}

/// The calling thread's network namespace, held by an fd.
inline husk::UniqueFd currentNetns()
{
    return husk::UniqueFd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
}

/// A new network namespace held by an fd, the calling thread staying where it is.
inline husk::UniqueFd newNetns()
{
    husk::UniqueFd self = currentNetns();
    if (!self || ::unshare(CLONE_NEWNET) < 0)
        return {};
    husk::UniqueFd created = currentNetns();
    if (::setns(self.get(), CLONE_NEWNET) < 0)
        ::_exit(3); // stuck in the wrong namespace: never carry on
    return created;
}

/// A link name of this test process alone: "hkt", a tag, the pid (at most 15 bytes).
inline std::string hkt(std::string_view tag)
{
    return "hkt" + std::string(tag) + std::to_string(::getpid() % 100000);
}

/// What a command prints, stdout and stderr (ip(8) and nft(8), to cross-check the library).
inline std::string run(const std::string &command)
{
    std::string out;
    FILE *pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (!pipe)
        return out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0)
        out.append(buf, n);
    ::pclose(pipe);
    return out;
}

} // namespace netns_test

/// In a kernel test's child (a function returning "" or the failure): ends the test with expr's
/// error, named by the expression.
#define STEP(expr)                                                                                 \
    do {                                                                                           \
        if (auto step_ = (expr); !step_)                                                           \
            return std::string(#expr) + ": " + step_.error().what();                               \
    } while (0)

/// In a kernel test's child: declares name as expr's value, or ends the test with its error.
#define TAKE(name, expr)                                                                           \
    auto name##_result_ = (expr);                                                                  \
    if (!name##_result_)                                                                           \
        return std::string(#expr) + ": " + name##_result_.error().what();                          \
    auto &name = *name##_result_
