// Realtime group scheduling budgets (cgroup v1 cpu.rt_runtime_us), for a container whose
// process asks for SCHED_FIFO or SCHED_RR. The kernel refuses such a task in a cgroup with a
// budget of 0, which is what every new cgroup gets, and refuses a child more than its parent
// has left: the shares are compared in its own fixed point (to_ratio: runtime << 20 / period).

#include "libcontainer/cgroups/realtime.h"

#include <unistd.h>

#include <filesystem>

#include "common/file.h"
#include "common/text.h"

namespace husk::cgroups {

namespace {

constexpr int kBwShift = 20; // the kernel's fixed point for a runtime/period share

// The integer in a cgroup file.
Result<int64_t> readInt(const std::string &file)
{
    std::string text = HUSK_TRY(readFile(file));
    std::string_view v = trimBlanks(text);
    if (auto n = parseNumber<int64_t>(v))
        return *n;
    return fail(file + ": not an integer: " + inQuotes(v), EINVAL);
}

// A cgroup's realtime share as the kernel's to_ratio computes it; -1 (no limit) is all of it.
Result<uint64_t> realtimeShare(const std::string &dir)
{
    int64_t runtime = HUSK_TRY(readInt(dir + "/cpu.rt_runtime_us"));
    int64_t period = HUSK_TRY(readInt(dir + "/cpu.rt_period_us"));
    if (runtime < 0)
        return uint64_t{1} << kBwShift;
    if (period <= 0)
        return fail(dir + "/cpu.rt_period_us is not positive");
    return (static_cast<uint64_t>(runtime) << kBwShift) / static_cast<uint64_t>(period);
}

// Gives dir (whose cpu.rt_runtime_us is 0) what its parent's share has left.
Result<void> takeLeftRealtime(const std::string &dir)
{
    std::string parent = dir.substr(0, dir.rfind('/'));
    uint64_t left = HUSK_TRY(realtimeShare(parent));
    std::error_code ec;
    for (const auto &e : std::filesystem::directory_iterator(parent, ec)) {
        if (!e.is_directory(ec) || e.path() == dir)
            continue;
        uint64_t used = HUSK_TRY(realtimeShare(e.path().string()));
        left = used >= left ? 0 : left - used;
    }
    if (ec)
        return fail("list " + parent, ec.value());
    int64_t period = HUSK_TRY(readInt(dir + "/cpu.rt_period_us"));
    uint64_t runtime = (left * static_cast<uint64_t>(period)) >> kBwShift;
    if (runtime == 0)
        return fail("no realtime budget left in " + parent +
                        " (its other cgroups hold all of cpu.rt_runtime_us); set "
                        "linux.resources.cpu.realtimeRuntime to share it",
                    EBUSY);
    // A cgroup removed a moment ago still holds its budget in the kernel until it is freed:
    // the write is refused (EINVAL) for a few milliseconds after a realtime container's delete.
    for (int attempt = 0;; ++attempt) {
        auto written = writeExisting(dir + "/cpu.rt_runtime_us", std::to_string(runtime));
        if (written || attempt == 100 ||
            (written.error().code() != EINVAL && written.error().code() != EBUSY))
            return written;
        ::usleep(10'000);
    }
}

} // namespace

Result<void> fillRealtimeBudget(const std::string &leaf, const std::string &mountPoint,
                                bool leafToo)
{
    // The levels without a budget, from the leaf up to the first one that has one.
    std::vector<std::string> empty;
    std::string start = leaf;
    if (!leafToo)
        start.resize(start.rfind('/'));
    for (std::string cur = start; cur.size() > mountPoint.size(); cur.resize(cur.rfind('/'))) {
        if (HUSK_TRY(realtimeShare(cur)) != 0)
            break;
        empty.push_back(cur);
    }
    for (auto level = empty.rbegin(); level != empty.rend(); ++level)
        HUSK_TRY_CTX(takeLeftRealtime(*level), "realtime budget for " + *level);
    return {};
}

} // namespace husk::cgroups
