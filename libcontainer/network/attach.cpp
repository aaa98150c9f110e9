#include "libcontainer/network/attach.h"

#include <fcntl.h>

#include <cstdio>

#include "common/file.h"
#include "common/log.h"
#include "libcontainer/network/ipam.h"
#include "netlink/address.h"
#include "netlink/ip_address.h"
#include "netlink/link.h"
#include "netlink/netns.h"
#include "netlink/route.h"
#include "netlink/socket.h"

namespace husk::network {

namespace {

netlink::IpPrefix toPrefix(const IpAddress &a, int length)
{
    return {toNetlink(a), static_cast<unsigned>(length)};
}

} // namespace

std::string hostVethName(const std::string &owner)
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "hk%08x", fnv1a(owner));
    return buf;
}

Result<Attachment> attach(const NetworkPaths &paths, const AttachRequest &req)
{
    LeaseRequest lr;
    lr.container = req.leaseHolder.empty() ? req.owner : req.leaseHolder;
    lr.interface = req.interface;
    if (!req.ip.empty())
        lr.ipv4 = HUSK_TRY_CTX(parseIpAddress(req.ip), "--ip");
    auto [net, lease] = HUSK_TRY(allocateAddress(paths, req.network, lr));
    Attachment out;
    out.network = net;
    out.hostVeth = hostVethName(req.owner);
    auto made = [&]() -> Result<void> {
        netlink::Socket host = HUSK_TRY(netlink::Socket::open());
        netlink::IpPrefix gateway = toPrefix(net.ipv4.gateway, net.ipv4.subnet.prefix);
        netlink::IpPrefix address = toPrefix(lease.ipv4, net.ipv4.subnet.prefix);
        (void)HUSK_TRY(netlink::createBridge(host, net.bridge, static_cast<uint32_t>(net.mtu)));
        if (auto a = netlink::addAddress(host, net.bridge, gateway);
            !a && a.error().code() != EEXIST)
            return std::unexpected(a.error());
        UniqueFd ns = HUSK_TRY(openFd(req.netnsPath, O_RDONLY));
        const std::string &veth = out.hostVeth;
        const std::string &eth = req.interface;
        HUSK_TRY(netlink::createVeth(host, veth, eth, ns.get(), static_cast<uint32_t>(net.mtu)));
        HUSK_TRY(netlink::setLinkMaster(host, veth, net.bridge));
        // Hairpin: a member reaching its own forwarded port goes out and back in this port.
        HUSK_TRY(netlink::setHairpin(host, veth, true));
        HUSK_TRY(netlink::setLinkUp(host, veth, true));
        if (req.readMacs)
            if (auto l = netlink::getLink(host, veth))
                out.hostMac = l->mac ? netlink::formatMac(*l->mac) : "";
        HUSK_TRY(netlink::withSocketInNetns(ns.get(), [&](netlink::Socket &inside) -> Result<void> {
            HUSK_TRY(netlink::addAddress(inside, eth, address));
            HUSK_TRY(netlink::setLinkUp(inside, eth, true));
            if (req.readMacs)
                if (auto l = netlink::getLink(inside, eth))
                    out.mac = l->mac ? netlink::formatMac(*l->mac) : "";
            return netlink::addDefaultRoute(inside, gateway.address, eth);
        }));
        // The network's masquerade (and hairpin and loopback) rules, then the forwards.
        Firewall fw = HUSK_TRY(Firewall::open());
        if (net.masquerade || !req.forwards.empty())
            HUSK_TRY(enableForwarding(net));
        HUSK_TRY(fw.addNetwork(net));
        if (!req.forwards.empty())
            HUSK_TRY_CTX(fw.addPortForwards(req.owner, {lease.ipv4, lease.ipv6}, req.forwards),
                         "--publish");
        out.address = address.toString();
        out.interface = eth;
        out.gateway = gateway.address.toString();
        for (const PortForward &f : req.forwards)
            out.ports.push_back(formatPortForward(f));
        return {};
    }();
    if (!made) {
        detach(paths.root, req.network, req.owner, lr.container, req.interface);
        return wrap(made.error(), "--network bridge:" + req.network);
    }
    return out;
}

void detach(const std::string &root, const std::string &network, const std::string &owner,
            const std::string &leaseHolder, const std::string &interface)
{
    // By name, not from a record: a husk killed midway may have made them without saying so.
    if (auto fw = Firewall::open(); !fw)
        log::warn("network " + network + ": " + fw.error().what());
    else if (auto rm = fw->removePortForwards(owner); !rm)
        log::warn("network " + network + ": " + rm.error().what());
    if (auto s = netlink::Socket::open())
        (void)netlink::deleteLink(*s, hostVethName(owner));
    if (!network.empty()) {
        Ipam ipam(root, network);
        auto rel = interface.empty()
                       ? ipam.releaseAll(leaseHolder.empty() ? owner : leaseHolder)
                       : ipam.release(leaseHolder.empty() ? owner : leaseHolder, interface);
        if (!rel)
            log::warn("network " + network + ": " + rel.error().what());
    }
}

} // namespace husk::network
