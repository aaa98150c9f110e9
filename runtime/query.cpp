// state, list, kill.

#include <iomanip>
#include <iostream>

#include <nlohmann/json.hpp>

#include "libcontainer/container/ps.h"
#include "libcontainer/process/signals.h"
#include "runtime/cli.h"

namespace husk::cli {

namespace {

void printTable(const std::vector<spec::State> &states)
{
    // Columns as runc's tabwriter output: ID PID STATUS BUNDLE CREATED OWNER.
    size_t w[4] = {2, 3, 6, 6};
    for (const spec::State &s : states) {
        w[0] = std::max(w[0], s.id.size());
        w[1] = std::max(w[1], std::to_string(s.pid).size());
        w[2] = std::max(w[2], s.status.size());
        w[3] = std::max(w[3], s.bundle.size());
    }
    auto row = [&](const std::string &a, const std::string &b, const std::string &c,
                   const std::string &d, const std::string &e, const std::string &f) {
        std::cout << std::left << std::setw(static_cast<int>(w[0] + 4)) << a
                  << std::setw(static_cast<int>(w[1] + 4)) << b
                  << std::setw(static_cast<int>(w[2] + 4)) << c
                  << std::setw(static_cast<int>(w[3] + 4)) << d << std::setw(34) << e << f << "\n";
    };
    row("ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
    for (const spec::State &s : states)
        row(s.id, std::to_string(s.pid), s.status, s.bundle, s.created, s.owner);
}

} // namespace

void addStateCommand(CLI::App &app, Context &ctx)
{
    static std::string stateId;
    CLI::App *st = app.add_subcommand("state", "print a container's state as JSON");
    st->add_option("container-id", stateId, "the container's id")->required();
    st->callback([&ctx] {
        ctx.action = [&ctx] {
            auto r = containerState(ctx.global, stateId);
            if (!r)
                return report("state " + stateId, r.error());
            std::cout << spec::stateJson(*r) << std::endl;
            return kOk;
        };
    });
}

void addListCommand(CLI::App &app, Context &ctx)
{
    static std::string format = "table";
    static bool quiet = false;
    CLI::App *ls = app.add_subcommand("list", "list the containers under --root");
    ls->alias("ls");
    ls->add_option("-f,--format", format, "table or json")
        ->check(CLI::IsMember({"table", "json"}))
        ->capture_default_str();
    ls->add_flag("-q,--quiet", quiet, "print only the ids");
    ls->callback([&ctx] {
        ctx.action = [&ctx] {
            auto r = listContainers(ctx.global);
            if (!r)
                return report("list", r.error());
            if (quiet) {
                for (const spec::State &s : *r)
                    std::cout << s.id << "\n";
            } else if (format == "json") {
                // ordered_json: runc's key order, as `state` prints it.
                nlohmann::ordered_json arr = nlohmann::ordered_json::array();
                for (const spec::State &s : *r)
                    arr.push_back(nlohmann::ordered_json::parse(spec::stateJson(s)));
                std::cout << arr.dump() << std::endl;
            } else {
                printTable(*r);
            }
            return kOk;
        };
    });
}

void addKillCommand(CLI::App &app, Context &ctx)
{
    static std::string killId;
    static std::string signal = "SIGTERM";
    static bool all = false;
    CLI::App *k = app.add_subcommand("kill", "send a signal to a container's init");
    k->add_option("container-id", killId, "the container's id")->required();
    k->add_option("signal", signal, "signal name or number (default SIGTERM)");
    k->add_flag("-a,--all", all, "send the signal to every process in the container");
    k->callback([&ctx] {
        ctx.action = [&ctx] {
            // Signal 0 checks that the init is alive without signalling it (runc accepts it).
            auto sig = signal == "0" ? Result<int>(0) : parseSignal(signal);
            if (!sig)
                return report("kill " + killId, sig.error());
            auto r = killContainer(ctx.global, killId, *sig, all);
            return r ? kOk : report("kill " + killId, r.error());
        };
    });
}

void addPsCommand(CLI::App &app, Context &ctx)
{
    static std::string psId;
    static std::string psFormat = "table";
    static std::vector<std::string> psArgs;
    CLI::App *ps = app.add_subcommand("ps", "list the processes in a container's cgroup");
    ps->add_option("-f,--format", psFormat, "table (ps output) or json (an array of pids)")
        ->check(CLI::IsMember({"table", "json"}))
        ->capture_default_str();
    ps->add_option("container-id", psId, "the container's id")->required();
    ps->add_option("ps-args", psArgs, "arguments for ps(1), default -ef (as runc: no -- needed)");
    // Everything after the container id goes to ps(1), options included.
    ps->positionals_at_end();
    ps->prefix_command();
    ps->callback([&ctx] {
        ctx.action = [&ctx] {
            if (!psArgs.empty() && psArgs.front() == "--")
                psArgs.erase(psArgs.begin());
            auto pids = containerPids(ctx.global, psId);
            if (!pids)
                return report("ps " + psId, pids.error());
            if (psFormat == "json") {
                if (!psArgs.empty())
                    return report("ps " + psId, Error("ps arguments need --format table"));
                std::cout << nlohmann::json(*pids).dump() << std::endl;
                return kOk;
            }
            auto table = psTable(*pids, psArgs);
            if (!table)
                return report("ps " + psId, table.error());
            std::cout << *table << std::flush;
            return kOk;
        };
    });
}

} // namespace husk::cli
