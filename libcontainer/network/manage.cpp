#include "libcontainer/network/manage.h"

#include "common/log.h"
#include "libcontainer/network/firewall.h"
#include "libcontainer/network/store.h"

namespace husk::network {

namespace {

Result<NetworkInfo> withLeases(const NetworkPaths &p, Network n)
{
    NetworkInfo info{std::move(n)};
    info.builtin = info.network.name == kDefaultNetworkName;
    info.leases = HUSK_TRY(Ipam(p.root, info.network.name).leases());
    return info;
}

} // namespace

nlohmann::json networkInfoToJson(const NetworkInfo &info)
{
    nlohmann::json j = networkToJson(info.network);
    j["builtin"] = info.builtin;
    j["leases"] = nlohmann::json::array();
    for (const Lease &l : info.leases)
        j["leases"].push_back(leaseToJson(l, false));
    return j;
}

Result<std::vector<NetworkInfo>> listNetworks(const NetworkPaths &p)
{
    NetworkDir dir = HUSK_TRY(NetworkDir::open(p.configDir, NetworkDir::Access::Read));
    std::vector<NetworkInfo> infos;
    for (Network &n : HUSK_TRY(dir.load()))
        infos.push_back(HUSK_TRY(withLeases(p, std::move(n))));
    return infos;
}

Result<NetworkInfo> inspectNetwork(const NetworkPaths &p, const std::string &name)
{
    NetworkDir dir = HUSK_TRY(NetworkDir::open(p.configDir, NetworkDir::Access::Read));
    std::vector<Network> all = HUSK_TRY(dir.load());
    return withLeases(p, HUSK_TRY(findNetwork(all, name)));
}

Result<Network> createNetwork(const NetworkPaths &p, const NetworkCreateOptions &o)
{
    NetworkDir dir = HUSK_TRY(NetworkDir::open(p.configDir, NetworkDir::Access::Change));
    std::vector<Network> all = HUSK_TRY(dir.load());
    Network n = HUSK_TRY(networkFromOptions(o, all));
    HUSK_TRY(dir.write(n));
    return n;
}

Result<void> removeNetwork(const NetworkPaths &p, const std::string &name)
{
    if (name == kDefaultNetworkName)
        return fail("network " + name + " is built in and cannot be removed");
    HUSK_TRY(validateNetworkName(name));
    NetworkDir dir = HUSK_TRY(NetworkDir::open(p.configDir, NetworkDir::Access::Change));
    if (!dir.hasFile(name))
        return fail("network \"" + name + "\" does not exist", ENOENT);
    // The exclusive directory lock keeps allocateAddress out from here to the file's removal,
    // so no lease can appear after the check.
    HUSK_TRY(Ipam(p.root, name).removeState());
    // Its masquerade rules stay as long as the network exists; they go with it.
    if (auto fw = Firewall::open(); !fw)
        log::warn("network " + name + ": " + fw.error().what());
    else if (auto rm = fw->removeNetwork(name); !rm)
        log::warn("network " + name + ": " + rm.error().what());
    return dir.remove(name);
}

Result<std::pair<Network, Lease>> allocateAddress(const NetworkPaths &p, const std::string &network,
                                                  const LeaseRequest &req)
{
    NetworkDir dir = HUSK_TRY(NetworkDir::open(p.configDir, NetworkDir::Access::Read));
    std::vector<Network> all = HUSK_TRY(dir.load());
    Network n = HUSK_TRY(findNetwork(all, network));
    Lease lease = HUSK_TRY(Ipam(p.root, n.name).allocate(n, req));
    return std::pair{std::move(n), std::move(lease)};
}

} // namespace husk::network
