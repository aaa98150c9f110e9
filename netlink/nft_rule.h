#pragma once

// One nf_tables rule, put together from small matches and statements as libnftnl expressions,
// with the text nft(8) prints for it kept alongside, so a test or an error can say what a rule
// does without decoding it. Pure: NftBatch (netlink/nftables.h) encodes and sends it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "netlink/ip_address.h"
#include "netlink/nftables.h"

struct nftnl_rule;

namespace husk::netlink {

/// The most expressions an NftRule takes: enough for any rule husk writes, and few enough that
/// every message fits NftBatch's overrun space (libnftnl encodes without bounds checks).
constexpr size_t kNftMaxExpressions = 24;

/// A rule under construction for one table and chain. Each call appends the expressions of one
/// match or statement and the words nft(8) prints for it. A call that cannot be honoured (an
/// address of the other family, too many expressions) marks the rule broken; NftBatch refuses
/// it with that reason.
class NftRule
{
public:
    NftRule(NftFamily family, std::string_view table, std::string_view chain);
    NftRule(NftRule &&) noexcept;
    NftRule &operator=(NftRule &&) noexcept;
    ~NftRule();

    /// "ip saddr 10.77.0.0/16", "ip daddr != 192.0.2.1": the packet's address in prefix (or
    /// not, with negate). A full-length prefix matches one address.
    NftRule &matchAddress(NftAddr which, const IpPrefix &prefix, bool negate = false);
    /// "tcp dport 8080": the transport protocol and the destination port.
    NftRule &matchDestinationPort(NftL4Proto proto, uint16_t port);
    /// "fib daddr type local": the destination is an address of this host (127.0.0.1 too).
    NftRule &matchLocalDestination();
    /// "ct status dnat": the connection's destination was rewritten by a DNAT rule.
    NftRule &matchDnatted();
    /// "jump CHAIN".
    NftRule &jump(std::string_view chain);
    /// "masquerade": source NAT to the address of the outgoing interface.
    NftRule &masquerade();
    /// "dnat to 10.77.0.5:80" ("dnat to [fd00::5]:80"): destination NAT to address and port.
    NftRule &dnat(const IpAddress &address, uint16_t port);

    /// The family of the rule's table.
    NftFamily family() const { return family_; }
    /// The rule's table.
    const std::string &table() const { return table_; }
    /// The rule's chain.
    const std::string &chain() const { return chain_; }
    /// The rule as nft(8) lists it: "ip saddr 10.77.0.0/16 ip daddr != 10.77.0.0/16 masquerade".
    const std::string &text() const { return text_; }
    /// The libnftnl rule, for encoding; owned by this object.
    const nftnl_rule *get() const { return rule_.get(); }
    /// Empty, or why the rule cannot be sent.
    const std::string &error() const { return error_; }

private:
    struct Free {
        void operator()(nftnl_rule *rule) const;
    };

    void add(std::string_view words);
    bool room(size_t expressions, std::string_view what);
    bool sameFamily(int af, std::string_view what);

    NftFamily family_;
    std::string table_;
    std::string chain_;
    std::unique_ptr<nftnl_rule, Free> rule_;
    size_t expressions_ = 0;
    std::string text_;
    std::string error_;
};

} // namespace husk::netlink
