// pod create|ls|inspect|stop|rm|restart (husk extension).

#include <iomanip>
#include <iostream>

#include "libcontainer/pod/pod.h"
#include "runtime/cli.h"

namespace husk::cli {

void addPodCommands(CLI::App &app, Context &ctx)
{
    CLI::App *pod = app.add_subcommand("pod", "pods: containers sharing a pause process's "
                                              "network, IPC and UTS namespaces (husk extension)");
    pod->require_subcommand(1);

    static pod::PodCreateOptions co;
    CLI::App *c = pod->add_subcommand("create", "start a pod's pause process");
    c->add_option("name", co.name, "the pod's name")->required();
    c->add_option("--network", co.network, "bridge[:NETWORK], host or none")->capture_default_str();
    c->add_option("--ip", co.ip, "a static address on the pod's network");
    c->add_option("-p,--publish", co.ports,
                  "[HOSTIP:]HOSTPORT:PORT[/tcp|udp] port forward (repeatable)")
        ->allow_extra_args(false);
    c->add_option("--dns", co.dns, "DNS server for the pod's resolv.conf (repeatable)")
        ->allow_extra_args(false);
    c->add_option("--hostname", co.hostname, "the pod's hostname (default: its name)");
    c->add_flag("--share-pid", co.sharePid, "members share one PID namespace");
    c->callback([&ctx] {
        ctx.action = [&ctx] {
            auto r = pod::createPod(ctx.global, co);
            if (!r)
                return report("pod create " + co.name, r.error());
            std::cout << pod::podJson(*r).dump(2) << std::endl;
            return kOk;
        };
    });

    static std::string format = "table";
    CLI::App *ls = pod->add_subcommand("ls", "list pods");
    ls->alias("list");
    ls->add_option("-f,--format", format, "table or json")
        ->check(CLI::IsMember({"table", "json"}))
        ->capture_default_str();
    ls->callback([&ctx] {
        ctx.action = [&ctx] {
            auto r = pod::listPods(ctx.global);
            if (!r)
                return report("pod ls", r.error());
            if (format == "json") {
                nlohmann::json arr = nlohmann::json::array();
                for (const auto &[rec, alive] : *r) {
                    nlohmann::json j = pod::podJson(rec);
                    j["status"] = alive ? "running" : "stopped";
                    arr.push_back(j);
                }
                std::cout << arr.dump() << std::endl;
                return kOk;
            }
            std::cout << std::left << std::setw(24) << "NAME" << std::setw(10) << "STATUS"
                      << std::setw(10) << "PID" << std::setw(10) << "NETWORK"
                      << "MEMBERS\n";
            for (const auto &[rec, alive] : *r)
                std::cout << std::setw(24) << rec.name << std::setw(10)
                          << (alive ? "running" : "stopped") << std::setw(10) << rec.pausePid
                          << std::setw(10)
                          << pod::podJson(rec)["network"]["mode"].get<std::string>()
                          << rec.members.size() << "\n";
            return kOk;
        };
    });

    static std::string inspectName;
    CLI::App *in = pod->add_subcommand("inspect", "print a pod's state as JSON");
    in->add_option("name", inspectName, "the pod's name")->required();
    in->callback([&ctx] {
        ctx.action = [&ctx] {
            auto r = pod::inspectPod(ctx.global, inspectName);
            if (!r)
                return report("pod inspect " + inspectName, r.error());
            std::cout << pod::podJson(*r).dump(2) << std::endl;
            return kOk;
        };
    });

    static std::string stopName;
    static int timeout = 10;
    CLI::App *st = pod->add_subcommand("stop", "stop the members (TERM, then KILL) and the pause");
    st->add_option("name", stopName, "the pod's name")->required();
    st->add_option("-t,--timeout", timeout, "seconds before KILL")->capture_default_str();
    st->callback([&ctx] {
        ctx.action = [&ctx] {
            auto r = pod::stopPod(ctx.global, stopName, timeout);
            return r ? kOk : report("pod stop " + stopName, r.error());
        };
    });

    static std::string restartName, restartId;
    static int restartTimeout = 10;
    CLI::App *re = pod->add_subcommand(
        "restart", "recreate one member from its bundle: stop, delete, create and start it");
    re->add_option("name", restartName, "the pod's name")->required();
    re->add_option("container", restartId, "the member's id")->required();
    re->add_option("-t,--timeout", restartTimeout, "seconds before KILL")->capture_default_str();
    re->callback([&ctx] {
        ctx.action = [&ctx] {
            auto r = pod::restartMember(ctx.global, restartName, restartId, restartTimeout);
            return r ? kOk : report("pod restart " + restartName + " " + restartId, r.error());
        };
    });

    static std::string rmName;
    static bool force = false;
    CLI::App *rm = pod->add_subcommand("rm", "remove a pod, its members and its state");
    rm->add_option("name", rmName, "the pod's name")->required();
    rm->add_flag("-f,--force", force, "kill running members; a missing pod is no error");
    rm->callback([&ctx] {
        ctx.action = [&ctx] {
            auto r = pod::removePod(ctx.global, rmName, force);
            return r ? kOk : report("pod rm " + rmName, r.error());
        };
    });
}

} // namespace husk::cli
