#pragma once

// A network namespace joined to a bridge network: the netlink work behind a pod's bridge
// networking (lease, bridge with the gateway address, a veth pair whose "eth0" end is created
// inside the namespace, its address and default route, the network's nf_tables rules and the
// port forwards). Everything it makes is named after the owner, so detaching finds it by name
// even after a husk killed midway never recorded it.

#include <sys/types.h>

#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "libcontainer/network/address.h"
#include "libcontainer/network/config.h"
#include "libcontainer/network/firewall.h"
#include "libcontainer/network/manage.h"

namespace husk::network {

/// What attach asks for.
struct AttachRequest {
    std::string owner;     // names the veth and the port forwards: the pod's name, for a pod
    std::string network;   // the network's name
    std::string netnsPath; // the namespace to attach: /proc/PID/ns/net or a bound nsfs file
    std::string ip;        // --ip: a fixed IPv4 address, "" for the next free one
    std::span<const PortForward> forwards;
    std::string interface = "eth0"; // the veth end's name inside the namespace
    std::string leaseHolder;        // the lease's container; "" for owner
    bool readMacs = false;          // fill Attachment's MACs (a CNI result needs them)
};

/// What attach made.
struct Attachment {
    Network network;                // the network's definition (its DNS servers, ...)
    std::string address;            // the namespace's address, "10.88.0.5/16"
    std::string gateway;            // "10.88.0.1"
    std::string hostVeth;           // the host end of the veth pair
    std::vector<std::string> ports; // the forwards, formatted
    std::string interface;          // the end in the namespace
    std::string hostMac;            // "aa:bb:...", of the host end (with readMacs)
    std::string mac;                // of the end in the namespace (with readMacs)
};

/// The host end of an owner's veth: "hk" and a hash of the name, within IFNAMSIZ. Pure.
std::string hostVethName(const std::string &owner);

/// Joins the namespace at req.netnsPath to the network. On failure everything it made is
/// undone (the veth pair goes with its host end; the lease is released).
[[nodiscard]] Result<Attachment> attach(const NetworkPaths &paths, const AttachRequest &req);

/// Undoes attach by the owner's name: port forwards, the veth pair, the owner's leases on
/// network (or, with leaseHolder and interface, that one lease). Quiet about what is not
/// there; warns about what it cannot remove.
void detach(const std::string &root, const std::string &network, const std::string &owner,
            const std::string &leaseHolder = "", const std::string &interface = "");

} // namespace husk::network
