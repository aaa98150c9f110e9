// CgroupManager's freezer: pause and resume. v1 has a freezer controller with a three-state
// freezer.state; cgroup2 has the core file cgroup.freeze and reports the result in
// cgroup.events. Either way the write only starts the freeze: tasks stop as they reach the
// signal-delivery path, so the state is polled until the kernel reports it done.

#include "libcontainer/cgroups/manager.h"

#include <chrono>
#include <functional>
#include <thread>

#include "common/file.h"

namespace husk::cgroups {

namespace {

using Clock = std::chrono::steady_clock;

// How long a freeze may take before it is given up; runc allows about as much.
constexpr auto kFreezeTimeout = std::chrono::seconds(5);

std::string trimmed(std::string s)
{
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    return s;
}

// Polls done() until it is true or the timeout passes; returns whether it became true.
Result<bool> waitUntil(const std::function<Result<bool>()> &done)
{
    auto deadline = Clock::now() + kFreezeTimeout;
    auto pause = std::chrono::microseconds(100);
    for (;;) {
        if (HUSK_TRY(done()))
            return true;
        if (Clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::microseconds(10'000));
    }
}

Result<bool> v2Frozen(const std::string &dir)
{
    std::string text = HUSK_TRY(readFile(dir + "/cgroup.events"));
    return parseFlatKeyed(text)["frozen"] == 1;
}

Result<void> freezeV1(const std::string &dir)
{
    const std::string state = dir + "/freezer.state";
    // A task that forks or sleeps uninterruptibly can keep the cgroup FREEZING. Writing
    // FROZEN again retries the tasks not yet frozen, and a short thaw now and then lets a
    // task blocked on a frozen one move on (runc does the same).
    auto deadline = Clock::now() + kFreezeTimeout;
    for (int i = 1;; ++i) {
        if (i % 50 == 0) {
            (void)writeExisting(state, "THAWED");
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        HUSK_TRY_CTX(writeExisting(state, "FROZEN"), "freeze");
        std::string now = trimmed(HUSK_TRY_CTX(readFile(state), "freeze"));
        if (now == "FROZEN")
            return {};
        if (now != "FREEZING")
            return fail("freeze: unexpected freezer.state \"" + now + "\"");
        if (Clock::now() >= deadline)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    (void)writeExisting(state, "THAWED");
    return fail("freeze: the cgroup was still FREEZING after 5 seconds; thawed it again");
}

} // namespace

Result<Version> CgroupManager::freezerVersion() const
{
    if (!dirFor(Version::V1, "freezer").empty())
        return Version::V1;
    if (!dirFor(Version::V2, "").empty())
        return Version::V2;
    return fail("the freezer is not available on this host (no v1 freezer hierarchy and no "
                "cgroup v2)");
}

Result<void> CgroupManager::freeze()
{
    Version v = HUSK_TRY(freezerVersion());
    if (v == Version::V1)
        return freezeV1(dirFor(v, "freezer"));
    std::string dir = dirFor(v, "");
    HUSK_TRY_CTX(writeExisting(dir + "/cgroup.freeze", "1"), "freeze");
    if (HUSK_TRY_CTX(waitUntil([&] { return v2Frozen(dir); }), "freeze"))
        return {};
    (void)writeExisting(dir + "/cgroup.freeze", "0");
    return fail("freeze: cgroup.events did not report \"frozen 1\" within 5 seconds; thawed "
                "it again");
}

Result<void> CgroupManager::thaw()
{
    Version v = HUSK_TRY(freezerVersion());
    std::string dir = dirFor(v, v == Version::V1 ? "freezer" : "");
    bool thawed = false;
    if (v == Version::V1) {
        HUSK_TRY_CTX(writeExisting(dir + "/freezer.state", "THAWED"), "thaw");
        thawed = HUSK_TRY_CTX(waitUntil([&]() -> Result<bool> {
                                  std::string s = HUSK_TRY(readFile(dir + "/freezer.state"));
                                  return trimmed(s) == "THAWED";
                              }),
                              "thaw");
    } else {
        HUSK_TRY_CTX(writeExisting(dir + "/cgroup.freeze", "0"), "thaw");
        thawed = HUSK_TRY_CTX(waitUntil([&]() -> Result<bool> {
                                  bool frozen = HUSK_TRY(v2Frozen(dir));
                                  return !frozen;
                              }),
                              "thaw");
    }
    if (!thawed)
        return fail("thaw: the cgroup was still frozen after 5 seconds (a frozen ancestor?)");
    return {};
}

Result<bool> CgroupManager::isFrozen() const
{
    Version v = HUSK_TRY(freezerVersion());
    if (v == Version::V2)
        return v2Frozen(dirFor(v, ""));
    std::string s = HUSK_TRY(readFile(dirFor(v, "freezer") + "/freezer.state"));
    return trimmed(s) == "FROZEN";
}

} // namespace husk::cgroups
