#pragma once

// The operations behind `husk network ls|inspect|create|rm`, and allocateAddress, the entry
// point pod setup uses: each one call from the CLI, each taking the network directory's lock.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "libcontainer/network/config.h"
#include "libcontainer/network/ipam.h"

namespace husk::network {

/// Where networks live.
struct NetworkPaths {
    std::string root;      // husk's state root (--root): the leases
    std::string configDir; // the network files, normally networkDir()
};

/// A network, whether it is the built-in one, and its live leases.
struct NetworkInfo {
    Network network;
    bool builtin = false;
    std::vector<Lease> leases;
};

/// The network document plus "builtin" and "leases" (without holder pids), as inspect prints.
nlohmann::json networkInfoToJson(const NetworkInfo &info);

/// Every network with its leases, sorted by name.
[[nodiscard]] Result<std::vector<NetworkInfo>> listNetworks(const NetworkPaths &p);

/// One network with its leases; ENOENT when it is not defined.
[[nodiscard]] Result<NetworkInfo> inspectNetwork(const NetworkPaths &p, const std::string &name);

/// Builds a network from the create flags, checks it against the defined ones and writes
/// NAME.json.
[[nodiscard]] Result<Network> createNetwork(const NetworkPaths &p, const NetworkCreateOptions &o);

/// Removes a network's file and IPAM state; refused for the built-in network and while any
/// container holds a lease on it.
[[nodiscard]] Result<void> removeNetwork(const NetworkPaths &p, const std::string &name);

/// Allocates addresses on the named network (see Ipam::allocate) while holding the network
/// directory's shared lock, so the network cannot be removed or replaced meanwhile. Returns the
/// network with the lease, for setting up its bridge.
[[nodiscard]] Result<std::pair<Network, Lease>>
allocateAddress(const NetworkPaths &p, const std::string &network, const LeaseRequest &req);

} // namespace husk::network
