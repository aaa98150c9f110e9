#pragma once

// IPAM: the addresses a network hands to containers.
//
// Each network's leases are one file, <root>/networks/<name>/leases.json, keyed by (container
// id, interface). Every read-modify-write happens under an exclusive flock on that directory
// and the file is replaced atomically, so parallel creates (threads or processes) never get the
// same address and a crash never leaves half a file. Choosing addresses is pure code on a
// LeaseTable; Ipam only adds the lock, the file and the liveness checks.
//
// A lease is stale, and its addresses free again, once no state directory of its container
// (<root>/<id>) or pod (<root>/pods/<id>) exists and the husk process that took it has exited:
// the second condition keeps a lease safe while a create is still making the directory. A CNI
// attachment's lease (husk-cni) lives while its marker <root>/cni/<id>@<ifname> does.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "libcontainer/network/address.h"
#include "libcontainer/network/config.h"

namespace husk::network {

/// The lease holder of a CNI attachment is "cni:" and the CNI container id (no husk container
/// or pod name has a colon).
inline constexpr std::string_view kCniLeasePrefix = "cni:";
/// The marker directory, under the state root, that keeps a CNI attachment's lease live.
inline std::string cniMarkerPath(std::string_view containerId, std::string_view interface)
{
    std::string out = "cni/";
    out += containerId;
    out += '@';
    out += interface;
    return out;
}

/// The addresses one container interface holds on a network.
struct Lease {
    std::string container; // a container id or a pod name
    std::string interface; // its name inside the container, e.g. "eth0"
    IpAddress ipv4;
    std::optional<IpAddress> ipv6; // on a dual-stack network
    pid_t holderPid = 0;           // the husk process that took or last renewed the lease
    uint64_t holderStartTime = 0;  // its start time, so a reused pid is not mistaken for it

    bool operator==(const Lease &) const = default;
};

/// What a container interface asks for.
struct LeaseRequest {
    std::string container;
    std::string interface = "eth0";
    std::optional<IpAddress> ipv4; // a static address; unset: the next free one
    std::optional<IpAddress> ipv6; // likewise, on a dual-stack network
};

/// The leases of one network, and where round-robin allocation goes on from.
struct LeaseTable {
    std::vector<Lease> leases;
    std::optional<IpAddress> lastIpv4; // the last address allocated automatically
    std::optional<IpAddress> lastIpv6;
};

/// A lease as JSON (the holder fields are left out when withHolder is false).
nlohmann::json leaseToJson(const Lease &l, bool withHolder = true);
/// The leases.json document.
nlohmann::json leaseTableToJson(const LeaseTable &t);
/// Parses a leases.json document.
[[nodiscard]] Result<LeaseTable> leaseTableFromJson(const nlohmann::json &j);

/// Gives req its addresses on network n and records the lease in table. An interface that
/// already holds a lease gets it back (unless it asks for other addresses). A static address is
/// honoured when it is in the subnet (the range only bounds automatic allocation), is not the
/// network address, broadcast or gateway, and is free; otherwise the error says which. Automatic
/// allocation goes on after the last automatic address in the range, wrapping around at its end.
[[nodiscard]] Result<Lease> assignLease(LeaseTable &table, const Network &n,
                                        const LeaseRequest &req);

/// Removes the leases for which isLive is false; returns how many it removed.
size_t dropLeases(LeaseTable &table, const std::function<bool(const Lease &)> &isLive);

/// The leases of one network under a state root.
class Ipam
{
public:
    /// IPAM of the named network under husk's state root; nothing is created on disk before the
    /// first allocation.
    Ipam(std::string root, std::string network);

    /// Allocates (see assignLease) on n, which must be this network, after reclaiming stale
    /// leases. The lease's holder becomes this process. Callers that are not `husk network`
    /// itself hold the network directory's shared lock meanwhile (allocateAddress does).
    [[nodiscard]] Result<Lease> allocate(const Network &n, const LeaseRequest &req);
    /// Frees the lease of a container interface; freeing one that does not exist succeeds.
    [[nodiscard]] Result<void> release(const std::string &container, const std::string &interface);
    /// Frees every lease of a container (on delete); idempotent.
    [[nodiscard]] Result<void> releaseAll(const std::string &container);
    /// The live leases, in allocation order (stale ones are reclaimed on the way).
    [[nodiscard]] Result<std::vector<Lease>> leases();
    /// Removes this network's IPAM state; refused with EBUSY, naming the holders, while live
    /// leases remain.
    [[nodiscard]] Result<void> removeState();

private:
    struct Locked;
    [[nodiscard]] Result<std::optional<Locked>> lock(bool create);
    [[nodiscard]] Result<void> save(const Locked &l);
    [[nodiscard]] Result<void> update(const std::function<bool(LeaseTable &)> &change);

    std::string root_;
    std::string network_;
    std::string dir_; // <root>/networks/<network>
};

} // namespace husk::network
