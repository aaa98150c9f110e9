// pause, resume, update, events.

#include <unistd.h>

#include <iostream>

#include "common/file.h"
#include "libcontainer/container/manage.h"
#include "runtime/cli.h"
#include "spec/parse.h"

namespace husk::cli {

namespace {

// The resources document of `update -r FILE` ("-" is stdin).
Result<nlohmann::json> readResources(const std::string &path)
{
    std::string text =
        HUSK_TRY_CTX(path == "-" ? readAll(STDIN_FILENO, "stdin", spec::kMaxJsonBytes)
                                 : readFile(path, spec::kMaxJsonBytes),
                     "-r");
    return HUSK_TRY_CTX(spec::parseJsonText(text), "-r " + path);
}

} // namespace

void addManageCommands(CLI::App &app, Context &ctx)
{
    static std::string pauseId;
    CLI::App *p = app.add_subcommand("pause", "freeze every process of a container");
    p->add_option("container-id", pauseId, "the container's id")->required();
    p->callback([&ctx] {
        ctx.action = [&ctx] {
            auto r = pauseContainer(ctx.global, pauseId);
            return r ? kOk : report("pause " + pauseId, r.error());
        };
    });

    static std::string resumeId;
    CLI::App *r = app.add_subcommand("resume", "thaw a paused container");
    r->add_option("container-id", resumeId, "the container's id")->required();
    r->callback([&ctx] {
        ctx.action = [&ctx] {
            auto res = resumeContainer(ctx.global, resumeId);
            return res ? kOk : report("resume " + resumeId, res.error());
        };
    });

    static std::string updateId;
    static std::string resourcesFile;
    static UpdateFlags f;
    CLI::App *u = app.add_subcommand("update", "change the resource limits of a container");
    u->add_option("container-id", updateId, "the container's id")->required();
    u->add_option("-r,--resources", resourcesFile,
                  "a linux.resources JSON file (\"-\" for stdin); the flags are then ignored");
    u->add_option("--memory", f.memory, "memory limit (e.g. 512m; -1 unlimited)");
    u->add_option("--memory-swap", f.memorySwap, "memory plus swap limit (-1 unlimited)");
    u->add_option("--memory-reservation", f.memoryReservation, "memory soft limit");
    u->add_option("--kernel-memory", f.kernelMemory, "deprecated: ignored with a warning");
    u->add_option("--cpu-share,--cpu-shares", f.cpuShares, "relative CPU weight");
    u->add_option("--cpu-quota", f.cpuQuota, "CPU time per period, in microseconds");
    u->add_option("--cpu-period", f.cpuPeriod, "CFS period, in microseconds");
    u->add_option("--cpu-rt-period", f.cpuRtPeriod, "realtime period, in microseconds");
    u->add_option("--cpu-rt-runtime", f.cpuRtRuntime, "realtime runtime, in microseconds");
    u->add_option("--cpuset-cpus", f.cpusetCpus, "CPUs to run on (e.g. 0-1)");
    u->add_option("--cpuset-mems", f.cpusetMems, "memory nodes to use");
    u->add_option("--pids-limit", f.pidsLimit, "maximum number of processes");
    u->add_option("--blkio-weight", f.blkioWeight, "block IO weight (10-1000)");
    u->add_option("--l3-cache-schema", f.l3CacheSchema,
                  "Intel RDT L3 cache schema (e.g. \"L3:0=f\"); needs resctrl");
    u->add_option("--mem-bw-schema", f.memBwSchema,
                  "Intel RDT memory bandwidth schema (e.g. \"MB:0=70\"); needs resctrl");
    u->callback([&ctx] {
        ctx.action = [&ctx] {
            auto doc = resourcesFile.empty() ? updateResources(f) : readResources(resourcesFile);
            if (!doc)
                return report("update " + updateId, doc.error());
            auto res = updateContainer(ctx.global, updateId, *doc);
            return res ? kOk : report("update " + updateId, res.error());
        };
    });

    static std::string eventsId;
    static std::string interval = "5s";
    static EventsOptions eo;
    CLI::App *e = app.add_subcommand("events", "print resource usage and OOM events as JSON");
    e->add_option("container-id", eventsId, "the container's id")->required();
    e->add_option("--interval", interval, "time between stats events (e.g. 5s, 500ms)")
        ->capture_default_str();
    e->add_flag("--stats", eo.statsOnce, "print one stats event and exit");
    e->callback([&ctx] {
        ctx.action = [&ctx] {
            auto ms = parseDurationMs(interval);
            if (!ms)
                return report("events " + eventsId, ms.error());
            eo.intervalMs = *ms;
            auto res = containerEvents(ctx.global, eventsId, eo, std::cout);
            return res ? kOk : report("events " + eventsId, res.error());
        };
    });
}

} // namespace husk::cli
