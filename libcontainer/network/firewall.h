#pragma once

// The firewall of bridge networks: masquerade for traffic that leaves a network, and port
// forwards from the host into a pod. husk owns one nf_tables table, "husk", in family ip (and
// ip6 when an IPv6 network or forward needs it), and never touches any other table:
//
//   table ip husk {
//     chain prerouting {       type nat hook prerouting priority -100
//       fib daddr type local jump husk-dnat }
//     chain output {           type nat hook output priority -100 (the host's own connections)
//       fib daddr type local jump husk-dnat }
//     chain postrouting {      type nat hook postrouting priority 100
//       jump husk-snat }
//     chain husk-dnat {        one jump per pod with forwards
//       jump pod-web }
//     chain husk-snat {        one jump per network
//       jump net-husk }
//     chain pod-web {          one rule per forward
//       [ip daddr HOSTIP] tcp dport 8080 dnat to 10.77.0.5:80 }
//     chain net-husk {
//       ip saddr 10.77.0.0/16 ip daddr != 10.77.0.0/16 masquerade          (masquerade on)
//       ct status dnat ip saddr 10.77.0.0/16 ip daddr 10.77.0.0/16 masquerade   (hairpin)
//       ct status dnat ip saddr 127.0.0.0/8 ip daddr 10.77.0.0/16 masquerade }  (127.0.0.1)
//   }
//
// Each change is one nf_tables transaction planned from what the kernel holds (read first) and
// committed only if nothing changed meanwhile (the ruleset generation; on a race it is planned
// again), so husk processes running side by side neither duplicate nor lose rules. The base
// chains' few rules are flushed and rewritten by every change, which makes setting them up
// idempotent. Removing a pod's forwards or a network's rules removes exactly its chain and the
// jump to it; removing the last of them removes the table.
//
// No filter rules: an accept in husk's table cannot overrule a drop in another table (every
// base chain on a hook sees the packet, and one drop is final), so forwarding depends on
// net.ipv4.ip_forward (enableForwarding()) and on the host's own firewall letting it through.
//
// A pod reaching its own forwarded port also needs hairpin mode on its host veth
// (netlink::setHairpin): where br_netfilter hands bridged frames to the ip hooks
// (bridge-nf-call-iptables=1), the DNAT happens on the bridge, which then has to send the frame
// back out of the port it came in by.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "libcontainer/network/address.h"
#include "libcontainer/network/config.h"
#include "netlink/nft_rule.h"
#include "netlink/nftables.h"
#include "netlink/socket.h"

namespace husk::network {

/// The name of husk's table, in both families.
constexpr const char *kFirewallTable = "husk";
/// The regular chain the nat prerouting and output chains jump to for local destinations.
constexpr const char *kDnatChain = "husk-dnat";
/// The regular chain the nat postrouting chain jumps to.
constexpr const char *kSnatChain = "husk-snat";

/// The transport protocols a port forward can carry.
enum class Protocol { Tcp, Udp };

/// The netlink form of an address, and of a subnet.
netlink::IpAddress toNetlink(const IpAddress &a);
netlink::IpPrefix toNetlink(const Subnet &s);

/// FNV-1a: the hash that keeps husk's names of host veths and of long chains short and unique.
uint32_t fnv1a(std::string_view s);

/// "tcp" or "udp".
const char *protocolName(Protocol proto);

/// A port of the host forwarded to a port of a pod.
struct PortForward {
    std::optional<IpAddress> hostIp; // unset: every local address; 0.0.0.0 or ::, of that family
    uint16_t hostPort = 0;
    uint16_t containerPort = 0;
    Protocol proto = Protocol::Tcp;

    bool operator==(const PortForward &) const = default;
};

/// Parses "[HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp]" (an IPv6 host address in brackets:
/// "[::1]:8080:80"); the protocol defaults to tcp. Errors quote the text and name the bad part.
[[nodiscard]] Result<PortForward> parsePortForward(std::string_view text);

/// Parses a comma-separated list of port forwards (the run.husk.ports annotation); spaces
/// around entries are ignored and an empty text is no forwards. Two entries that take the same
/// host port and protocol on overlapping addresses are refused.
[[nodiscard]] Result<std::vector<PortForward>> parsePortForwards(std::string_view list);

/// The text form of a forward, protocol included: "127.0.0.1:8080:80/tcp".
std::string formatPortForward(const PortForward &f);

/// The chain holding owner's forwards: "pod-OWNER" (a name too long for nf_tables is cut and
/// made unique with a hash).
std::string portForwardChain(std::string_view owner);
/// The chain holding a network's masquerade rules: "net-NAME".
std::string networkChain(std::string_view network);

/// The addresses a pod's forwards go to.
struct ForwardTarget {
    IpAddress ipv4;
    std::optional<IpAddress> ipv6; // set: forwards without a host address also get an ip6 rule
};

/// The DNAT rules of owner's forwards, in their order: one per forward and family. A forward to
/// an IPv6 host address needs target.ipv6. Pure.
[[nodiscard]] Result<std::vector<netlink::NftRule>>
portForwardRules(std::string_view owner, const ForwardTarget &target,
                 std::span<const PortForward> forwards);

/// The masquerade rules of a network for family (ip: the IPv4 pool, ip6: the IPv6 pool; none
/// for a family the network lacks). Pure.
std::vector<netlink::NftRule> networkRules(const Network &n, netlink::NftFamily family);

/// What a change is planned from: per family, whether husk's table exists, its chains and the
/// rules of the two dispatch chains, read at one ruleset generation.
struct FirewallState {
    struct Family {
        bool table = false;
        std::vector<std::string> chains;
        std::vector<netlink::NftRuleInfo> dnat; // rules of husk-dnat
        std::vector<netlink::NftRuleInfo> snat; // rules of husk-snat
    };
    uint32_t generation = 0;
    Family ip;
    Family ip6;

    /// The part of one family.
    const Family &of(netlink::NftFamily family) const
    {
        return family == netlink::NftFamily::Ip ? ip : ip6;
    }
};

/// The transaction installing (or refreshing) network n's rules. Pure.
[[nodiscard]] Result<netlink::NftBatch> planAddNetwork(const FirewallState &state,
                                                       const Network &n);
/// The transaction removing network name's rules; empty when there are none. Pure.
[[nodiscard]] Result<netlink::NftBatch> planRemoveNetwork(const FirewallState &state,
                                                          std::string_view name);
/// The transaction replacing owner's forwards with forwards (none: removing them). Pure.
[[nodiscard]] Result<netlink::NftBatch> planAddPortForwards(const FirewallState &state,
                                                            std::string_view owner,
                                                            const ForwardTarget &target,
                                                            std::span<const PortForward> forwards);
/// The transaction removing owner's forwards; empty when there are none. Pure.
[[nodiscard]] Result<netlink::NftBatch> planRemovePortForwards(const FirewallState &state,
                                                               std::string_view owner);

/// husk's nf_tables rules in one network namespace, over a NETLINK_NETFILTER socket.
class Firewall
{
public:
    /// A firewall for the caller's network namespace (CAP_NET_ADMIN needed to change it).
    [[nodiscard]] static Result<Firewall> open();
    /// A firewall for the network namespace netnsFd refers to.
    [[nodiscard]] static Result<Firewall> openInNetns(int netnsFd);

    /// Installs or refreshes network n's rules: masquerade out of its subnets (when n.masquerade),
    /// and masquerade of forwarded connections from its own members (hairpin) and from
    /// 127.0.0.0/8. Idempotent.
    [[nodiscard]] Result<void> addNetwork(const Network &n);
    /// Removes network name's rules; none there is fine.
    [[nodiscard]] Result<void> removeNetwork(std::string_view name);
    /// Replaces owner's forwards (a pod's name) with forwards to target. Idempotent.
    [[nodiscard]] Result<void> addPortForwards(std::string_view owner, const ForwardTarget &target,
                                               std::span<const PortForward> forwards);
    /// Removes owner's forwards: its chain and the jump to it. None there is fine.
    [[nodiscard]] Result<void> removePortForwards(std::string_view owner);
    /// Removes husk's tables with everything in them; none there is fine.
    [[nodiscard]] Result<void> removeAll();
    /// Reads what a plan starts from.
    [[nodiscard]] Result<FirewallState> readState();

private:
    explicit Firewall(netlink::Socket socket) : socket_(std::move(socket)) {}

    template <typename Plan> Result<void> change(const std::string &what, Plan plan);

    netlink::Socket socket_;
};

/// Sets the sysctls of the caller's network namespace that forwarding into and out of bridge
/// n.bridge needs: net.ipv4.ip_forward=1, route_localnet=1 on the bridge (so 127.0.0.1 can be
/// forwarded to a pod), and, for a network with IPv6, net.ipv6.conf.all.forwarding=1 (which
/// makes the host ignore router advertisements where accept_ra is not 2). A setting that
/// already has the value is not written.
[[nodiscard]] Result<void> enableForwarding(const Network &n);

} // namespace husk::network
