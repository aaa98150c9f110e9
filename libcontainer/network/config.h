#pragma once

// Network definitions: the Network type, its JSON document (/etc/husk/networks/NAME.json), the
// checks with errors that name the field, the built-in network "husk", and the flags of
// `husk network create`. Pure code; store.h reads and writes the files.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "libcontainer/network/address.h"

namespace husk::network {

/// The built-in network, defined without a file; it cannot be removed.
constexpr const char *kDefaultNetworkName = "husk";
/// The MTU of a network that does not set one.
constexpr int kDefaultMtu = 1500;

/// An inclusive span of addresses.
struct AddressRange {
    IpAddress start;
    IpAddress end;

    bool operator==(const AddressRange &) const = default;
};

/// One IP family of a network.
struct AddressPool {
    Subnet subnet;
    IpAddress gateway;                 // the bridge's address and the members' default route
    std::optional<AddressRange> range; // where automatic allocation draws from; unset: the subnet

    bool operator==(const AddressPool &) const = default;
};

/// A bridge network.
struct Network {
    std::string name;
    std::string bridge;
    AddressPool ipv4;
    std::optional<AddressPool> ipv6; // set: dual stack
    int mtu = kDefaultMtu;
    bool masquerade = true;     // NAT for traffic that leaves the subnets
    std::vector<IpAddress> dns; // empty: members use the host's resolvers

    bool operator==(const Network &) const = default;
};

/// The span automatic allocation walks: the range (else the subnet) less the network address
/// and, for IPv4, the broadcast address. The gateway may lie inside; IPAM skips it.
AddressRange allocatableRange(const AddressPool &pool);

/// Why no container may hold the address ("the gateway", "the network address", "the broadcast
/// address"), or nullptr when it may.
const char *reservedAddressReason(const AddressPool &pool, const IpAddress &a);

/// The built-in network "husk": bridge husk0, 10.77.0.0/16 (clear of podman's 10.88.0.0/16),
/// gateway 10.77.0.1, masquerade on.
Network defaultNetwork();

/// Parses and checks a network document; name comes from the file name, and the document's own
/// "name", if present, must match it. Errors name the field ("ipv4.gateway: ...").
[[nodiscard]] Result<Network> networkFromJson(const nlohmann::json &j, std::string_view name);

/// The network document (every field written out, defaults included).
nlohmann::json networkToJson(const Network &n);

/// Checks one network on its own: name, bridge, subnets, gateways, ranges, MTU.
[[nodiscard]] Result<void> validateNetwork(const Network &n);

/// Checks a network against the other defined ones: distinct names and bridges, no overlapping
/// subnets.
[[nodiscard]] Result<void> checkConflicts(const Network &n, std::span<const Network> others);

/// Checks a network name: it is a file name and a state directory, so [A-Za-z0-9][A-Za-z0-9_.-]*,
/// at most 64 characters.
[[nodiscard]] Result<void> validateNetworkName(std::string_view name);

/// Checks an interface name (a bridge, a container's eth0): 1 to 15 characters (IFNAMSIZ) of
/// [A-Za-z0-9_.-], not "." or "..". field names it in the error.
[[nodiscard]] Result<void> validateInterfaceName(std::string_view field, std::string_view name);

/// The first bridge name "huskN" (N = 1, 2, ...) that none of the networks uses.
std::string freeBridgeName(std::span<const Network> networks);

/// The flags of `husk network create`, as typed.
struct NetworkCreateOptions {
    std::string name;
    std::string subnet;
    std::string gateway; // empty: the subnet's first host address
    std::string range;   // "START-END"; empty: the whole subnet
    std::string ipv6Subnet;
    std::string ipv6Gateway;
    std::string bridge; // empty: freeBridgeName()
    int mtu = kDefaultMtu;
    bool masquerade = true;
    std::vector<std::string> dns;
};

/// Builds a network from create flags, with defaults filled in, checked on its own and against
/// the existing networks.
[[nodiscard]] Result<Network> networkFromOptions(const NetworkCreateOptions &o,
                                                 std::span<const Network> existing);

} // namespace husk::network
