// pause, resume, update, events: the commands that act on a container's cgroup.

#include <poll.h>
#include <time.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdint>
#include <iostream>

#include "common/log.h"
#include "libcontainer/cgroups/manager.h"
#include "libcontainer/cgroups/stats.h"
#include "libcontainer/container/container.h"
#include "libcontainer/container/internal.h"
#include "libcontainer/container/id.h"
#include "libcontainer/container/manage.h"
#include "libcontainer/process/attrs/intel_rdt.h"
#include "libcontainer/process/pidfd.h"
#include "spec/parse.h"

namespace husk {

namespace {

// Keys in runc's order (type, id, data), which consumers that match text rely on.
nlohmann::ordered_json statsEvent(const std::string &id, const cgroups::Stats &stats)
{
    nlohmann::ordered_json e;
    e["type"] = "stats";
    e["id"] = id;
    e["data"] = cgroups::statsJson(stats);
    return e;
}

// "512", "512k", "1.5g"? No: integers with an optional binary suffix (k, m, g, t, with an
// optional "b"), as runc's RAMInBytes; "-1" is unlimited.
Result<int64_t> parseBytes(const std::string &flag, const std::string &text)
{
    if (text == "-1")
        return -1;
    size_t i = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
        ++i;
    if (i == 0 || i > 18)
        return fail(flag + " \"" + text + "\": expected a size such as 512m or -1");
    int64_t n = std::stoll(text.substr(0, i));
    std::string unit = text.substr(i);
    for (char &ch : unit)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (unit.size() == 2 && unit[1] == 'b')
        unit.resize(1);
    int shift = unit.empty() || unit == "b" ? 0
                : unit == "k"               ? 10
                : unit == "m"               ? 20
                : unit == "g"               ? 30
                : unit == "t"               ? 40
                                            : -1;
    if (shift < 0)
        return fail(flag + " \"" + text + "\": unknown unit \"" + unit + "\"");
    if (shift > 0 && n > (INT64_MAX >> shift))
        return fail(flag + " \"" + text + "\": too large");
    return n << shift;
}

Result<int64_t> parseInt(const std::string &flag, const std::string &text)
{
    size_t used = 0;
    int64_t v = 0;
    try {
        v = std::stoll(text, &used);
    } catch (const std::exception &) {
        used = 0;
    }
    if (used == 0 || used != text.size())
        return fail(flag + " \"" + text + "\": expected an integer");
    return v;
}

int64_t monotonicMs()
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1'000'000;
}

} // namespace

Result<void> pauseContainer(const GlobalOptions &g, const std::string &id)
{
    LockedContainer c = HUSK_TRY(lockContainer(g, id, ContainerDir::Config::Summary));
    if (!canPause(c.status))
        return fail("cannot pause a container that is " + std::string(statusName(c.status)));
    cgroups::CgroupManager cg(c.rec.cgroup);
    HUSK_TRY(cg.freeze());
    c.rec.status = Status::Paused;
    if (auto r = c.dir.save(c.rec); !r) {
        (void)cg.thaw();
        return r;
    }
    return {};
}

Result<void> resumeContainer(const GlobalOptions &g, const std::string &id)
{
    LockedContainer c = HUSK_TRY(lockContainer(g, id, ContainerDir::Config::Summary));
    if (c.status != Status::Paused)
        return fail("cannot resume a container that is " + std::string(statusName(c.status)) +
                    " (only a paused one)");
    cgroups::CgroupManager cg(c.rec.cgroup);
    HUSK_TRY(cg.thaw());
    c.rec.status = Status::Running; // liveStatus still says "created" while the fifo exists
    return c.dir.save(c.rec);
}

Result<void> updateContainer(const GlobalOptions &g, const std::string &id,
                             const nlohmann::json &resources)
{
    if (!resources.is_object())
        return fail("update: resources must be a JSON object");
    LockedContainer c = HUSK_TRY(lockContainer(g, id));
    if (c.status == Status::Stopped)
        return fail("cannot update a stopped container");
    // The change alone is parsed and applied: only what was asked for is written.
    nlohmann::json delta = {{"ociVersion", "1.2.0"},
                            {"root", {{"path", "rootfs"}}},
                            {"linux", {{"resources", resources}}}};
    spec::Config parsed = HUSK_TRY_CTX(spec::parseConfig(delta), "update");
    cgroups::CgroupManager cg(c.rec.cgroup);
    HUSK_TRY(cg.apply(*parsed.linux->resources));
    // Recorded so the change survives (state, a later update, events).
    recordResources(c.rec, resources);
    return c.dir.save(c.rec);
}

Result<void> containerEvents(const GlobalOptions &g, const std::string &id, const EventsOptions &o,
                             std::ostream &out)
{
    HUSK_TRY(validateId(id));
    StateStore store = HUSK_TRY(StateStore::open(g.root));
    ContainerDir dir = HUSK_TRY(store.openContainer(id));
    StateRecord rec = HUSK_TRY(dir.load(ContainerDir::Config::Summary));
    if (liveStatus(dir, rec) == Status::Stopped)
        return fail("container \"" + id + "\" is not running");
    cgroups::CgroupManager cg(rec.cgroup);
    if (o.statsOnce) {
        cgroups::Stats s = HUSK_TRY(cg.stats());
        out << statsEvent(id, s).dump() << std::endl;
        return {};
    }
    // OOM kills are looked for often (they are rare and matter at once); stats go out every
    // interval. The stream ends when the container stops.
    const int64_t intervalMs = o.intervalMs > 0 ? o.intervalMs : 5000;
    constexpr int64_t kOomTickMs = 200;
    uint64_t ooms = cg.oomKillCount().value_or(0);
    int64_t nextStats = monotonicMs();
    for (;;) {
        if (!processMatches(rec.pid, rec.initStartTime))
            return {};
        uint64_t now = cg.oomKillCount().value_or(ooms);
        for (; ooms < now; ++ooms)
            out << nlohmann::ordered_json{{"type", "oom"}, {"id", id}}.dump() << std::endl;
        if (monotonicMs() >= nextStats) {
            if (auto s = cg.stats())
                out << statsEvent(id, *s).dump() << std::endl;
            else
                log::warn("events: " + s.error().what());
            nextStats += intervalMs;
        }
        if (!out)
            return {}; // the reader went away
        int64_t wait = std::min(kOomTickMs, std::max<int64_t>(0, nextStats - monotonicMs()));
        ::poll(nullptr, 0, static_cast<int>(wait));
    }
}

Result<nlohmann::json> updateResources(const UpdateFlags &f)
{
    if (!f.l3CacheSchema.empty() || !f.memBwSchema.empty()) {
        // runc's flags for the container's resctrl group. Refused before anything changes:
        // with the reason where resctrl is missing, and because husk does not apply
        // linux.intelRdt (create refuses it too) where it is there.
        const char *flag = f.l3CacheSchema.empty() ? "--mem-bw-schema" : "--l3-cache-schema";
        spec::IntelRdt rdt;
        rdt.l3CacheSchema = f.l3CacheSchema;
        rdt.memBwSchema = f.memBwSchema;
        HUSK_TRY_CTX(checkIntelRdt(rdt), flag);
        return fail(std::string(flag) + ": linux.intelRdt is not supported by husk yet");
    }
    nlohmann::json r = nlohmann::json::object();
    if (!f.memory.empty())
        r["memory"]["limit"] = HUSK_TRY(parseBytes("--memory", f.memory));
    if (!f.memorySwap.empty())
        r["memory"]["swap"] = HUSK_TRY(parseBytes("--memory-swap", f.memorySwap));
    if (!f.memoryReservation.empty())
        r["memory"]["reservation"] =
            HUSK_TRY(parseBytes("--memory-reservation", f.memoryReservation));
    if (!f.kernelMemory.empty())
        r["memory"]["kernel"] = HUSK_TRY(parseBytes("--kernel-memory", f.kernelMemory));
    if (!f.cpuShares.empty())
        r["cpu"]["shares"] = HUSK_TRY(parseInt("--cpu-shares", f.cpuShares));
    if (!f.cpuQuota.empty())
        r["cpu"]["quota"] = HUSK_TRY(parseInt("--cpu-quota", f.cpuQuota));
    if (!f.cpuPeriod.empty())
        r["cpu"]["period"] = HUSK_TRY(parseInt("--cpu-period", f.cpuPeriod));
    if (!f.cpuRtPeriod.empty())
        r["cpu"]["realtimePeriod"] = HUSK_TRY(parseInt("--cpu-rt-period", f.cpuRtPeriod));
    if (!f.cpuRtRuntime.empty())
        r["cpu"]["realtimeRuntime"] = HUSK_TRY(parseInt("--cpu-rt-runtime", f.cpuRtRuntime));
    if (!f.cpusetCpus.empty())
        r["cpu"]["cpus"] = f.cpusetCpus;
    if (!f.cpusetMems.empty())
        r["cpu"]["mems"] = f.cpusetMems;
    if (!f.pidsLimit.empty())
        r["pids"]["limit"] = HUSK_TRY(parseInt("--pids-limit", f.pidsLimit));
    if (!f.blkioWeight.empty())
        r["blockIO"]["weight"] = HUSK_TRY(parseInt("--blkio-weight", f.blkioWeight));
    return r;
}

Result<int64_t> parseDurationMs(const std::string &text)
{
    if (text.empty())
        return fail("interval: empty");
    if (text.find_first_not_of("0123456789") == std::string::npos)
        return HUSK_TRY(parseInt("--interval", text)) * 1000;
    double total = 0;
    size_t i = 0;
    while (i < text.size()) {
        size_t start = i;
        while (i < text.size() &&
               (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
            ++i;
        if (start == i)
            return fail("--interval \"" + text + "\": expected a duration such as 5s or 500ms");
        double n = std::stod(text.substr(start, i - start));
        size_t u = i;
        while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])))
            ++i;
        std::string unit = text.substr(u, i - u);
        double ms = unit == "ms"  ? 1
                    : unit == "s" ? 1000
                    : unit == "m" ? 60000
                    : unit == "h" ? 3600000
                                  : -1;
        if (ms < 0)
            return fail("--interval \"" + text + "\": unknown unit \"" + unit + "\"");
        total += n * ms;
    }
    if (total < 1)
        return fail("--interval \"" + text + "\": must be at least 1ms");
    return static_cast<int64_t>(total);
}

} // namespace husk
