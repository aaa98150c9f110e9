#include "libcontainer/network/firewall.h"

#include <linux/netlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <thread>
#include <utility>

#include "common/log.h"
#include "netlink/ip_address.h"
#include "netlink/netns.h"

namespace husk::network {

namespace {

using netlink::NftAddr;
using netlink::NftBaseChain;
using netlink::NftBatch;
using netlink::NftFamily;
using netlink::NftHook;
using netlink::NftRule;

constexpr NftFamily kFamilies[] = {NftFamily::Ip, NftFamily::Ip6};

// nft's dstnat and srcnat priorities.
constexpr int kDstNatPriority = -100;
constexpr int kSrcNatPriority = 100;

// How often a change is planned again after another process committed first, waiting a
// little longer each time so that busy writers spread out.
constexpr int kAttempts = 16;

const char *kPrerouting = "prerouting";
const char *kOutput = "output";
const char *kPostrouting = "postrouting";

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// A port from 1 to 65535, written in decimal digits only.
Result<uint16_t> parsePort(std::string_view field, std::string_view text)
{
    auto bad = [&](std::string_view why) {
        return fail(std::string(field) + " \"" + std::string(text) + "\": " + std::string(why));
    };
    if (text.empty())
        return fail(std::string(field) + " is empty");
    if (text.find('-') != std::string_view::npos)
        return bad("port ranges are not supported");
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535 ||
        text.front() == '+')
        return bad("not a port number from 1 to 65535");
    return static_cast<uint16_t>(value);
}

NftFamily familyOf(const IpAddress &a)
{
    return a.family == IpFamily::V4 ? NftFamily::Ip : NftFamily::Ip6;
}

bool isZero(const std::optional<IpAddress> &a)
{
    return a && a->value == 0;
}

// Whether two forwards would claim the same packets: same protocol and host port, and host
// addresses that overlap (none, or a zero address, takes every address).
bool conflicts(const PortForward &a, const PortForward &b)
{
    if (a.proto != b.proto || a.hostPort != b.hostPort)
        return false;
    auto any = [](const PortForward &f) { return !f.hostIp || isZero(f.hostIp); };
    if (any(a) || any(b)) {
        // 0.0.0.0 and :: take different families, and a specific address of the other family
        // is not theirs.
        if (isZero(a.hostIp) && b.hostIp && b.hostIp->family != a.hostIp->family)
            return false;
        if (isZero(b.hostIp) && a.hostIp && a.hostIp->family != b.hostIp->family)
            return false;
        return true;
    }
    return *a.hostIp == *b.hostIp;
}

std::string chainFor(std::string_view prefix, std::string_view name)
{
    std::string out = std::string(prefix) + std::string(name);
    if (out.size() <= netlink::kNftMaxNameLength)
        return out;
    char hash[16];
    std::snprintf(hash, sizeof hash, "~%08x", fnv1a(name));
    return out.substr(0, netlink::kNftMaxNameLength - 9) + hash;
}

// The base chains and the two dispatch chains of family, and the base chains' rules, written
// afresh: the flush and the re-adding commit together, so the rules never go missing and never
// pile up however often this runs.
void addBase(NftBatch &batch, NftFamily family)
{
    batch.addTable(family, kFirewallTable);
    batch.addChain(family, kFirewallTable, kDnatChain);
    batch.addChain(family, kFirewallTable, kSnatChain);
    struct Base {
        const char *name;
        NftHook hook;
        int priority;
    };
    // The output hook catches what the host itself sends to a forwarded port (127.0.0.1
    // included); prerouting what arrives from elsewhere.
    for (const Base &b : {Base{kPrerouting, NftHook::Prerouting, kDstNatPriority},
                          Base{kOutput, NftHook::Output, kDstNatPriority},
                          Base{kPostrouting, NftHook::Postrouting, kSrcNatPriority}}) {
        batch.addChain(family, kFirewallTable, b.name, NftBaseChain{"nat", b.hook, b.priority});
        batch.flushChain(family, kFirewallTable, b.name);
        NftRule rule(family, kFirewallTable, b.name);
        if (b.hook == NftHook::Postrouting)
            rule.jump(kSnatChain);
        else
            rule.matchLocalDestination().jump(kDnatChain);
        batch.addRule(rule);
    }
}

bool hasChain(const FirewallState::Family &f, std::string_view chain)
{
    return std::find(f.chains.begin(), f.chains.end(), chain) != f.chains.end();
}

bool jumpsTo(const netlink::NftRuleInfo &r, std::string_view chain)
{
    return std::find(r.jumps.begin(), r.jumps.end(), chain) != r.jumps.end();
}

// Deletes the rules of dispatch that jump to chain (normally one; more if something went
// wrong before).
void deleteJumps(NftBatch &batch, NftFamily family, const char *dispatch,
                 const std::vector<netlink::NftRuleInfo> &rules, std::string_view chain)
{
    for (const auto &r : rules)
        if (jumpsTo(r, chain))
            batch.deleteRule(family, kFirewallTable, dispatch, r.handle);
}

// Whether removing chain (and the jumps to it) would leave family's table with nothing of
// husk's in it but the base and dispatch chains.
bool onlyLeft(const FirewallState::Family &f, std::string_view chain)
{
    for (const auto *rules : {&f.dnat, &f.snat})
        for (const auto &r : *rules)
            if (!jumpsTo(r, chain))
                return false;
    for (const std::string &c : f.chains)
        if (c != chain && c != kPrerouting && c != kOutput && c != kPostrouting &&
            c != kDnatChain && c != kSnatChain)
            return false;
    return true;
}

// Removes chain of family and the jumps to it from dispatch; the whole table when nothing
// else would be left.
void removeChain(NftBatch &batch, const FirewallState &state, NftFamily family,
                 const char *dispatch, std::string_view chain)
{
    const FirewallState::Family &f = state.of(family);
    if (!f.table)
        return;
    const auto &rules = dispatch == std::string_view(kDnatChain) ? f.dnat : f.snat;
    bool present =
        hasChain(f, chain) ||
        std::any_of(rules.begin(), rules.end(), [&](const auto &r) { return jumpsTo(r, chain); });
    if (!present)
        return;
    if (onlyLeft(f, chain)) {
        batch.deleteTable(family, kFirewallTable);
        return;
    }
    deleteJumps(batch, family, dispatch, rules, chain);
    if (hasChain(f, chain)) {
        batch.flushChain(family, kFirewallTable, chain);
        batch.deleteChain(family, kFirewallTable, chain);
    }
}

// Puts chain's rules in place in family: the chain emptied and refilled, and exactly one jump
// to it from dispatch. A jump that is there already stays where it is, so refreshing a chain
// never reorders dispatch; extra ones (left by something gone wrong before) go.
void replaceChain(NftBatch &batch, const FirewallState &state, NftFamily family,
                  const char *dispatch, const std::string &chain, const std::vector<NftRule> &rules)
{
    addBase(batch, family);
    const FirewallState::Family &f = state.of(family);
    bool kept = false;
    if (f.table)
        for (const auto &r : dispatch == std::string_view(kDnatChain) ? f.dnat : f.snat) {
            if (!jumpsTo(r, chain))
                continue;
            if (kept)
                batch.deleteRule(family, kFirewallTable, dispatch, r.handle);
            kept = true;
        }
    batch.addChain(family, kFirewallTable, chain);
    batch.flushChain(family, kFirewallTable, chain);
    for (const NftRule &r : rules)
        batch.addRule(r);
    if (!kept) {
        NftRule jump(family, kFirewallTable, dispatch);
        jump.jump(chain);
        batch.addRule(jump);
    }
}

} // namespace

netlink::IpAddress toNetlink(const IpAddress &a)
{
    netlink::IpAddress out;
    if (a.family == IpFamily::V4) {
        out.family = AF_INET;
        for (int i = 0; i < 4; ++i)
            out.bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(a.value >> (24 - 8 * i));
    } else {
        out.family = AF_INET6;
        for (int i = 0; i < 16; ++i)
            out.bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(a.value >> (120 - 8 * i));
    }
    return out;
}

netlink::IpPrefix toNetlink(const Subnet &s)
{
    return {toNetlink(s.network), static_cast<unsigned>(s.prefix)};
}

uint32_t fnv1a(std::string_view s)
{
    uint32_t h = 2166136261U;
    for (unsigned char c : s)
        h = (h ^ c) * 16777619U;
    return h;
}

const char *protocolName(Protocol proto)
{
    return proto == Protocol::Tcp ? "tcp" : "udp";
}

Result<PortForward> parsePortForward(std::string_view text)
{
    const std::string quoted = "port forward \"" + std::string(text) + "\"";
    constexpr const char *kWant = "want [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp]";
    PortForward f;
    std::string_view rest = text;
    if (size_t slash = rest.rfind('/'); slash != std::string_view::npos) {
        std::string_view proto = rest.substr(slash + 1);
        if (proto == "tcp")
            f.proto = Protocol::Tcp;
        else if (proto == "udp")
            f.proto = Protocol::Udp;
        else
            return fail(quoted + ": protocol \"" + std::string(proto) + "\": want tcp or udp");
        rest = rest.substr(0, slash);
    }
    std::optional<std::string_view> host;
    if (!rest.empty() && rest.front() == '[') {
        size_t close = rest.find(']');
        if (close == std::string_view::npos)
            return fail(quoted + ": no \"]\" after the IPv6 host address");
        host = rest.substr(1, close - 1);
        rest = rest.substr(close + 1);
        if (rest.empty() || rest.front() != ':')
            return fail(quoted + ": want \":\" after the host address in brackets");
        rest.remove_prefix(1);
        if (rest.find(':') == std::string_view::npos)
            return fail(quoted + ": " + kWant);
    } else {
        size_t colons = static_cast<size_t>(std::count(rest.begin(), rest.end(), ':'));
        if (colons == 0)
            return fail(quoted + ": " + kWant + " (a host port is required)");
        if (colons > 2)
            return fail(quoted + ": an IPv6 host address goes in brackets: [fd00::1]:8080:80");
        if (colons == 2) {
            size_t colon = rest.find(':');
            host = rest.substr(0, colon);
            rest = rest.substr(colon + 1);
        }
    }
    if (host) {
        if (host->empty())
            return fail(quoted + ": the host address is empty (leave it out for every address)");
        auto ip = parseIpAddress(*host);
        if (!ip)
            return fail(quoted + ": host address: " + ip.error().message());
        f.hostIp = *ip;
    }
    size_t colon = rest.find(':');
    f.hostPort = HUSK_TRY_CTX(parsePort("host port", rest.substr(0, colon)), quoted);
    f.containerPort = HUSK_TRY_CTX(parsePort("container port", rest.substr(colon + 1)), quoted);
    return f;
}

Result<std::vector<PortForward>> parsePortForwards(std::string_view list)
{
    std::vector<PortForward> out;
    if (trim(list).empty())
        return out;
    size_t position = 0;
    for (size_t start = 0;; ++position) {
        size_t comma = list.find(',', start);
        std::string_view entry =
            trim(list.substr(start, comma == std::string_view::npos ? comma : comma - start));
        if (entry.empty())
            return fail("port forwards \"" + std::string(list) + "\": entry " +
                        std::to_string(position + 1) + " is empty");
        PortForward f = HUSK_TRY(parsePortForward(entry));
        for (const PortForward &other : out)
            if (conflicts(f, other))
                return fail("port forwards \"" + formatPortForward(other) + "\" and \"" +
                            formatPortForward(f) + "\" both take " + protocolName(f.proto) +
                            " port " + std::to_string(f.hostPort) + " of the host");
        out.push_back(f);
        if (comma == std::string_view::npos)
            break;
        start = comma + 1;
    }
    return out;
}

std::string formatPortForward(const PortForward &f)
{
    std::string out;
    if (f.hostIp)
        out = f.hostIp->family == IpFamily::V6 ? "[" + formatIpAddress(*f.hostIp) + "]:"
                                               : formatIpAddress(*f.hostIp) + ":";
    return out + std::to_string(f.hostPort) + ":" + std::to_string(f.containerPort) + "/" +
           protocolName(f.proto);
}

std::string portForwardChain(std::string_view owner)
{
    return chainFor("pod-", owner);
}

std::string networkChain(std::string_view network)
{
    return chainFor("net-", network);
}

Result<std::vector<NftRule>> portForwardRules(std::string_view owner, const ForwardTarget &target,
                                              std::span<const PortForward> forwards)
{
    if (owner.empty())
        return fail("port forwards: the owner's name is empty", EINVAL);
    if (target.ipv4.family != IpFamily::V4 || (target.ipv6 && target.ipv6->family != IpFamily::V6))
        return fail("port forwards of " + std::string(owner) +
                        ": the target addresses are of the wrong family",
                    EINVAL);
    const std::string chain = portForwardChain(owner);
    std::vector<NftRule> out;
    auto add = [&](const PortForward &f, const IpAddress &to) {
        NftFamily family = familyOf(to);
        NftRule rule(family, kFirewallTable, chain);
        if (f.hostIp && !isZero(f.hostIp)) {
            netlink::IpAddress host = toNetlink(*f.hostIp);
            rule.matchAddress(NftAddr::Destination, {host, netlink::addressBits(host.family)});
        }
        rule.matchDestinationPort(f.proto == Protocol::Tcp ? netlink::NftL4Proto::Tcp
                                                           : netlink::NftL4Proto::Udp,
                                  f.hostPort);
        rule.dnat(toNetlink(to), f.containerPort);
        out.push_back(std::move(rule));
    };
    for (const PortForward &f : forwards) {
        if (f.hostPort == 0 || f.containerPort == 0)
            return fail("port forward " + formatPortForward(f) + ": port 0", EINVAL);
        if (!f.hostIp) {
            add(f, target.ipv4);
            if (target.ipv6)
                add(f, *target.ipv6);
        } else if (f.hostIp->family == IpFamily::V4) {
            add(f, target.ipv4);
        } else if (target.ipv6) {
            add(f, *target.ipv6);
        } else {
            return fail("port forward " + formatPortForward(f) + ": " + std::string(owner) +
                            " has no IPv6 address to forward to",
                        EINVAL);
        }
    }
    return out;
}

std::vector<NftRule> networkRules(const Network &n, NftFamily family)
{
    std::vector<NftRule> out;
    const AddressPool *pool = nullptr;
    if (family == NftFamily::Ip)
        pool = &n.ipv4;
    else if (n.ipv6)
        pool = &*n.ipv6;
    if (!pool)
        return out;
    const std::string chain = networkChain(n.name);
    const netlink::IpPrefix subnet = toNetlink(pool->subnet);
    if (n.masquerade) {
        NftRule leaving(family, kFirewallTable, chain);
        leaving.matchAddress(NftAddr::Source, subnet)
            .matchAddress(NftAddr::Destination, subnet, true)
            .masquerade();
        out.push_back(std::move(leaving));
    }
    // A member reaching a forwarded port of the host that leads back into its own network
    // (itself included): without the masquerade the answer would go straight across the bridge
    // from an address the member never sent to.
    NftRule hairpin(family, kFirewallTable, chain);
    hairpin.matchDnatted()
        .matchAddress(NftAddr::Source, subnet)
        .matchAddress(NftAddr::Destination, subnet)
        .masquerade();
    out.push_back(std::move(hairpin));
    if (family == NftFamily::Ip) {
        // The host reaching 127.0.0.1:PORT: once DNATed the packet leaves by the bridge
        // (route_localnet allows it) still from 127.0.0.1, which the pod would answer itself.
        NftRule loopback(family, kFirewallTable, chain);
        netlink::IpPrefix lo;
        lo.address.family = AF_INET;
        lo.address.bytes[0] = 127;
        lo.length = 8;
        loopback.matchDnatted()
            .matchAddress(NftAddr::Source, lo)
            .matchAddress(NftAddr::Destination, subnet)
            .masquerade();
        out.push_back(std::move(loopback));
    }
    return out;
}

Result<NftBatch> planAddNetwork(const FirewallState &state, const Network &n)
{
    if (n.name.empty())
        return fail("network rules: the network's name is empty", EINVAL);
    NftBatch batch(state.generation);
    // A network's rules follow from its definition, which cannot change while it exists: when
    // its chain and the jump to it are there in every family it needs, there is nothing to do.
    // Rewriting them would flush a chain, and a commit that deletes rules waits out an RCU grace
    // period: most of what bridge networking cost every pod before.
    const std::string chain = networkChain(n.name);
    bool inPlace = true;
    for (NftFamily family : kFamilies) {
        if (networkRules(n, family).empty())
            continue;
        const FirewallState::Family &f = state.of(family);
        inPlace = inPlace && f.table &&
                  std::find(f.chains.begin(), f.chains.end(), chain) != f.chains.end() &&
                  std::any_of(f.snat.begin(), f.snat.end(),
                              [&](const netlink::NftRuleInfo &r) { return jumpsTo(r, chain); });
    }
    if (inPlace)
        return batch;
    for (NftFamily family : kFamilies) {
        std::vector<NftRule> rules = networkRules(n, family);
        if (rules.empty())
            continue;
        replaceChain(batch, state, family, kSnatChain, chain, rules);
    }
    if (!batch.error().empty())
        return fail(batch.error(), EINVAL);
    return batch;
}

Result<NftBatch> planRemoveNetwork(const FirewallState &state, std::string_view name)
{
    NftBatch batch(state.generation);
    for (NftFamily family : kFamilies)
        removeChain(batch, state, family, kSnatChain, networkChain(name));
    if (!batch.error().empty())
        return fail(batch.error(), EINVAL);
    return batch;
}

Result<NftBatch> planAddPortForwards(const FirewallState &state, std::string_view owner,
                                     const ForwardTarget &target,
                                     std::span<const PortForward> forwards)
{
    std::vector<NftRule> rules = HUSK_TRY(portForwardRules(owner, target, forwards));
    const std::string chain = portForwardChain(owner);
    NftBatch batch(state.generation);
    for (NftFamily family : kFamilies) {
        std::vector<NftRule> mine;
        for (NftRule &r : rules)
            if (r.family() == family)
                mine.push_back(std::move(r));
        if (mine.empty())
            removeChain(batch, state, family, kDnatChain, chain); // none left of this family
        else
            replaceChain(batch, state, family, kDnatChain, chain, mine);
    }
    if (!batch.error().empty())
        return fail(batch.error(), EINVAL);
    return batch;
}

Result<NftBatch> planRemovePortForwards(const FirewallState &state, std::string_view owner)
{
    if (owner.empty())
        return fail("port forwards: the owner's name is empty", EINVAL);
    NftBatch batch(state.generation);
    for (NftFamily family : kFamilies)
        removeChain(batch, state, family, kDnatChain, portForwardChain(owner));
    if (!batch.error().empty())
        return fail(batch.error(), EINVAL);
    return batch;
}

Result<Firewall> Firewall::open()
{
    netlink::Socket socket =
        HUSK_TRY_CTX(netlink::Socket::open(NETLINK_NETFILTER), "open the nf_tables socket");
    return Firewall(std::move(socket));
}

Result<Firewall> Firewall::openInNetns(int netnsFd)
{
    netlink::Socket socket = HUSK_TRY_CTX(netlink::Socket::openInNetns(netnsFd, NETLINK_NETFILTER),
                                          "open the nf_tables socket");
    return Firewall(std::move(socket));
}

Result<FirewallState> Firewall::readState()
{
    FirewallState state;
    // The generation first: if anything commits after it, the batch planned from what follows
    // is refused, so a read that mixes two generations is never acted on.
    state.generation = HUSK_TRY(netlink::nftablesGeneration(socket_));
    for (NftFamily family : kFamilies) {
        FirewallState::Family &f = family == NftFamily::Ip ? state.ip : state.ip6;
        auto tables = HUSK_TRY(netlink::listNftTables(socket_, family));
        f.table = std::any_of(tables.begin(), tables.end(),
                              [](const auto &t) { return t.name == kFirewallTable; });
        if (!f.table)
            continue;
        for (auto &c : HUSK_TRY(netlink::listNftChains(socket_, family, kFirewallTable)))
            f.chains.push_back(std::move(c.name));
        f.dnat = HUSK_TRY(netlink::listNftRules(socket_, family, kFirewallTable, kDnatChain));
        f.snat = HUSK_TRY(netlink::listNftRules(socket_, family, kFirewallTable, kSnatChain));
    }
    return state;
}

template <typename Plan> Result<void> Firewall::change(const std::string &what, Plan plan)
{
    for (int attempt = 1;; ++attempt) {
        FirewallState state = HUSK_TRY_CTX(readState(), what);
        NftBatch batch = HUSK_TRY_CTX(plan(state), what);
        if (batch.empty())
            return {};
        auto r = netlink::sendBatch(socket_, batch);
        if (r)
            return {};
        // ERESTART: another process committed between the read and this batch.
        if (r.error().code() != ERESTART || attempt == kAttempts)
            return wrap(r.error(), what);
        log::debug(what + ": the ruleset changed meanwhile; planning again");
        std::this_thread::sleep_for(std::chrono::milliseconds(attempt));
    }
}

Result<void> Firewall::addNetwork(const Network &n)
{
    return change("add the firewall rules of network " + n.name,
                  [&](const FirewallState &s) { return planAddNetwork(s, n); });
}

Result<void> Firewall::removeNetwork(std::string_view name)
{
    return change("remove the firewall rules of network " + std::string(name),
                  [&](const FirewallState &s) { return planRemoveNetwork(s, name); });
}

Result<void> Firewall::addPortForwards(std::string_view owner, const ForwardTarget &target,
                                       std::span<const PortForward> forwards)
{
    return change("add the port forwards of " + std::string(owner), [&](const FirewallState &s) {
        return planAddPortForwards(s, owner, target, forwards);
    });
}

Result<void> Firewall::removePortForwards(std::string_view owner)
{
    return change("remove the port forwards of " + std::string(owner),
                  [&](const FirewallState &s) { return planRemovePortForwards(s, owner); });
}

Result<void> Firewall::removeAll()
{
    for (NftFamily family : kFamilies)
        HUSK_TRY_CTX(netlink::deleteNftTable(socket_, family, kFirewallTable),
                     std::string("remove table ") + netlink::nftFamilyName(family) + " " +
                         kFirewallTable);
    return {};
}

namespace {

// Writes value unless the setting already has it (a read-only /proc/sys is then no obstacle).
Result<void> ensureSysctl(const std::string &key, std::string_view value)
{
    if (auto current = netlink::readNetSysctl(key); current && *current == value)
        return {};
    return netlink::writeNetSysctl(key, value);
}

} // namespace

Result<void> enableForwarding(const Network &n)
{
    const std::string what = "enable forwarding for network " + n.name;
    HUSK_TRY_CTX(ensureSysctl("net.ipv4.ip_forward", "1"), what);
    HUSK_TRY_CTX(ensureSysctl(netlink::deviceSysctlKey("ipv4", n.bridge, "route_localnet"), "1"),
                 what);
    if (n.ipv6)
        HUSK_TRY_CTX(ensureSysctl("net.ipv6.conf.all.forwarding", "1"), what);
    return {};
}

} // namespace husk::network
