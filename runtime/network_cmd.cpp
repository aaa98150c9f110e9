// network ls, inspect, create, rm (husk extension).

#include <algorithm>
#include <iostream>
#include <vector>

#include "libcontainer/network/manage.h"
#include "libcontainer/network/store.h"
#include "runtime/cli.h"

namespace husk::cli {

namespace {

network::NetworkPaths networkPaths(const Context &ctx)
{
    return {ctx.global.root, network::networkDir()};
}

// Left-aligned columns, each as wide as its widest cell plus three spaces.
void printColumns(const std::vector<std::vector<std::string>> &rows)
{
    std::vector<size_t> width;
    for (const auto &row : rows) {
        width.resize(std::max(width.size(), row.size()));
        for (size_t i = 0; i < row.size(); ++i)
            width[i] = std::max(width[i], row[i].size());
    }
    for (const auto &row : rows) {
        std::string line;
        for (size_t i = 0; i < row.size(); ++i)
            line += i + 1 == row.size() ? row[i]
                                        : row[i] + std::string(width[i] + 3 - row[i].size(), ' ');
        std::cout << line << "\n";
    }
}

void printNetworkTable(const std::vector<network::NetworkInfo> &infos)
{
    std::vector<std::vector<std::string>> rows{
        {"NAME", "BRIDGE", "SUBNET", "GATEWAY", "IPV6-SUBNET", "LEASES"}};
    for (const network::NetworkInfo &i : infos) {
        const network::Network &n = i.network;
        rows.push_back({n.name, n.bridge, network::formatSubnet(n.ipv4.subnet),
                        network::formatIpAddress(n.ipv4.gateway),
                        n.ipv6 ? network::formatSubnet(n.ipv6->subnet) : "-",
                        std::to_string(i.leases.size())});
    }
    printColumns(rows);
}

} // namespace

void addNetworkCommands(CLI::App &app, Context &ctx)
{
    CLI::App *net = app.add_subcommand(
        "network", "manage the bridge networks pods use (husk extension; see husk-network(8))");
    net->require_subcommand(1);

    static std::string format = "table";
    CLI::App *ls = net->add_subcommand("ls", "list the networks");
    ls->alias("list");
    ls->add_option("-f,--format", format, "table or json")
        ->check(CLI::IsMember({"table", "json"}))
        ->capture_default_str();
    ls->callback([&ctx] {
        ctx.action = [&ctx] {
            auto r = network::listNetworks(networkPaths(ctx));
            if (!r)
                return report("network ls", r.error());
            if (format == "json") {
                nlohmann::json arr = nlohmann::json::array();
                for (const network::NetworkInfo &i : *r)
                    arr.push_back(network::networkInfoToJson(i));
                std::cout << arr.dump(4) << std::endl;
            } else {
                printNetworkTable(*r);
            }
            return kOk;
        };
    });

    static std::string inspectName;
    CLI::App *in = net->add_subcommand("inspect", "print a network and its leases as JSON");
    in->add_option("name", inspectName, "the network's name")->required();
    in->callback([&ctx] {
        ctx.action = [&ctx] {
            auto r = network::inspectNetwork(networkPaths(ctx), inspectName);
            if (!r)
                return report("network inspect " + inspectName, r.error());
            std::cout << network::networkInfoToJson(*r).dump(4) << std::endl;
            return kOk;
        };
    });

    static network::NetworkCreateOptions co;
    static bool noMasquerade = false;
    CLI::App *c = net->add_subcommand("create", "define a network (writes NAME.json)");
    c->add_option("name", co.name, "the network's name")->required();
    c->add_option("--subnet", co.subnet, "IPv4 subnet, e.g. 10.78.0.0/24")->required();
    c->add_option("--gateway", co.gateway, "the bridge's IPv4 address (default: first host)");
    c->add_option("--range", co.range, "START-END: where addresses are allocated from");
    c->add_option("--ipv6-subnet", co.ipv6Subnet, "IPv6 subnet, for dual stack");
    c->add_option("--ipv6-gateway", co.ipv6Gateway, "the bridge's IPv6 address");
    c->add_option("--bridge", co.bridge, "the bridge's name (default: the first free huskN)");
    c->add_option("--mtu", co.mtu, "the MTU of the bridge and veths")->capture_default_str();
    c->add_flag("--no-masquerade", noMasquerade, "no NAT for traffic leaving the subnet");
    c->add_option("--dns", co.dns, "a DNS server for members' resolv.conf (repeatable)")
        ->allow_extra_args(false);
    c->callback([&ctx] {
        ctx.action = [&ctx] {
            co.masquerade = !noMasquerade;
            auto r = network::createNetwork(networkPaths(ctx), co);
            if (!r)
                return report("network create " + co.name, r.error());
            std::cout << r->name << std::endl;
            return kOk;
        };
    });

    static std::string rmName;
    CLI::App *rm = net->add_subcommand("rm", "remove a network no container uses");
    rm->alias("remove");
    rm->add_option("name", rmName, "the network's name")->required();
    rm->callback([&ctx] {
        ctx.action = [&ctx] {
            auto r = network::removeNetwork(networkPaths(ctx), rmName);
            return r ? kOk : report("network rm " + rmName, r.error());
        };
    });
}

} // namespace husk::cli
