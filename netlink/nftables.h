#pragma once

// nf_tables over NETLINK_NETFILTER. Changes go to the kernel as a batch (NFNL_MSG_BATCH_BEGIN,
// the commands, NFNL_MSG_BATCH_END) that it applies all or nothing; the commands are encoded by
// libnftnl, the one well-kept library for nf_tables expressions. Rules are put together by
// NftRule (netlink/nft_rule.h). Reading back (tables, chains, rules) is a dump over the same
// Socket. Building needs no socket and no privilege.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "netlink/message.h"
#include "netlink/socket.h"

struct nftnl_batch;

namespace husk::netlink {

class NftRule;

/// NFT_MSG_GETGEN: the ruleset generation, the cheapest question nf_tables answers.
Message nftablesGenerationRequest();

/// Asks the kernel for the ruleset generation over a NETLINK_NETFILTER socket: success means
/// nf_tables is there. Needs CAP_NET_ADMIN (nfnetlink refuses others with EPERM); EOPNOTSUPP
/// means the kernel has no nf_tables.
[[nodiscard]] Result<void> probeNftables(Socket &socket);

/// The ruleset generation, bumped by every commit; a batch begun with it is refused (ERESTART)
/// once anything else has committed since.
[[nodiscard]] Result<uint32_t> nftablesGeneration(Socket &socket);

/// The families of husk's tables.
enum class NftFamily { Ip, Ip6 };

/// "ip" or "ip6", as nft(8) writes the family.
const char *nftFamilyName(NftFamily family);
/// The netfilter protocol number (NFPROTO_IPV4, NFPROTO_IPV6).
uint8_t nftProto(NftFamily family);
/// The family whose addresses are of address family af (AF_INET, AF_INET6); none for others.
std::optional<NftFamily> nftFamilyOf(int af);

/// The hooks a base chain can attach to.
enum class NftHook { Prerouting, Input, Forward, Output, Postrouting };

/// What makes a chain a base chain: type ("nat", "filter"), hook and priority (-100 is nft's
/// dstnat, 100 its srcnat).
struct NftBaseChain {
    std::string type;
    NftHook hook = NftHook::Prerouting;
    int priority = 0;
};

/// Transport protocols a rule can match ports of.
enum class NftL4Proto { Tcp, Udp };

/// "tcp" or "udp".
const char *nftL4ProtoName(NftL4Proto proto);

/// Which address of a packet a match looks at.
enum class NftAddr { Source, Destination };

/// The longest table, chain or comment name nf_tables takes (NFT_NAME_MAXLEN less the NUL).
constexpr size_t kNftMaxNameLength = 255;

/// One nf_tables transaction under construction: every command goes into a libnftnl batch
/// after NFNL_MSG_BATCH_BEGIN, with NLM_F_ACK so the kernel answers each; datagram() closes it
/// with NFNL_MSG_BATCH_END. The kernel applies all the commands or none.
class NftBatch
{
public:
    /// A batch the kernel applies only while the ruleset is at generation (from
    /// nftablesGeneration(): what a plan was made from is still true), or unconditionally.
    explicit NftBatch(std::optional<uint32_t> generation = std::nullopt);
    NftBatch(NftBatch &&) noexcept;
    NftBatch &operator=(NftBatch &&) noexcept;
    ~NftBatch();

    /// NFT_MSG_NEWTABLE, create: an existing table is fine.
    void addTable(NftFamily family, std::string_view table);
    /// NFT_MSG_DELTABLE: the table with every chain and rule in it.
    void deleteTable(NftFamily family, std::string_view table);
    /// NFT_MSG_NEWCHAIN, create: a regular chain, or a base chain with base. An existing chain
    /// is fine (a base chain's hook and priority must then be the same).
    void addChain(NftFamily family, std::string_view table, std::string_view chain,
                  const std::optional<NftBaseChain> &base = std::nullopt);
    /// NFT_MSG_DELRULE without a handle: every rule of the chain.
    void flushChain(NftFamily family, std::string_view table, std::string_view chain);
    /// NFT_MSG_DELCHAIN: an empty chain no rule jumps to.
    void deleteChain(NftFamily family, std::string_view table, std::string_view chain);
    /// NFT_MSG_NEWRULE, appended to the end of its chain.
    void addRule(const NftRule &rule);
    /// NFT_MSG_DELRULE of the rule with handle.
    void deleteRule(NftFamily family, std::string_view table, std::string_view chain,
                    uint64_t handle);

    /// One line per command, in order: "add rule ip husk postrouting: jump husk-snat".
    const std::vector<std::string> &commands() const { return commands_; }
    /// Whether there is no command.
    bool empty() const { return commands_.empty(); }
    /// Empty, or why the batch cannot be sent (the first bad command).
    const std::string &error() const { return error_; }
    /// The batch as one datagram: BEGIN, the commands, END.
    std::vector<std::byte> datagram() const;

private:
    struct Free {
        void operator()(nftnl_batch *batch) const;
    };

    void *next();
    void commit(std::string command);
    bool checkName(std::string_view what, std::string_view name);
    // One command: message msg of family carrying object (a libnftnl table, chain or rule),
    // or, when there is no object, the command's "out of memory" error.
    template <typename Object>
    void append(const std::string &command, uint16_t msg, NftFamily family, uint16_t flags,
                Object *object);
    // One command carrying rule, or the command's error when the rule is broken.
    void appendRule(const std::string &command, uint16_t msg, uint16_t flags, const NftRule &rule);

    std::unique_ptr<nftnl_batch, Free> batch_;
    std::vector<std::string> commands_;
    std::string error_;
};

/// Sends a batch and waits for the kernel's answer to each command. An error names the command
/// it came from ("add chain ip husk pod-web: ...") and carries the kernel's extended-ack text.
/// An empty batch sends nothing.
[[nodiscard]] Result<void> sendBatch(Socket &socket, const NftBatch &batch);

/// A table as the kernel reports it.
struct NftTable {
    NftFamily family = NftFamily::Ip;
    std::string name;
};

/// A chain as the kernel reports it.
struct NftChain {
    std::string table;
    std::string name;
    std::optional<NftBaseChain> base;
};

/// A rule as the kernel reports it: enough to find and delete it.
struct NftRuleInfo {
    std::string table;
    std::string chain;
    uint64_t handle = 0;
    std::vector<std::string> jumps; // chains its verdicts jump or go to
};

/// NFT_MSG_GETTABLE dump of family's tables.
Message listNftTablesRequest(NftFamily family);
/// NFT_MSG_GETCHAIN dump of family's chains (the kernel does not filter by table).
Message listNftChainsRequest(NftFamily family);
/// NFT_MSG_GETRULE dump of one chain's rules.
Message listNftRulesRequest(NftFamily family, std::string_view table, std::string_view chain);

/// Decodes an NFT_MSG_NEWTABLE reply.
[[nodiscard]] Result<NftTable> parseNftTable(const nlmsghdr &nlh);
/// Decodes an NFT_MSG_NEWCHAIN reply.
[[nodiscard]] Result<NftChain> parseNftChain(const nlmsghdr &nlh);
/// Decodes an NFT_MSG_NEWRULE reply.
[[nodiscard]] Result<NftRuleInfo> parseNftRule(const nlmsghdr &nlh);

/// Every table of family.
[[nodiscard]] Result<std::vector<NftTable>> listNftTables(Socket &socket, NftFamily family);
/// Every chain of table; empty when there is no such table.
[[nodiscard]] Result<std::vector<NftChain>> listNftChains(Socket &socket, NftFamily family,
                                                          std::string_view table);
/// Every rule of chain, in order; empty when there is no such table or chain.
[[nodiscard]] Result<std::vector<NftRuleInfo>>
listNftRules(Socket &socket, NftFamily family, std::string_view table, std::string_view chain);
/// Deletes a table with everything in it; one that is not there is fine.
[[nodiscard]] Result<void> deleteNftTable(Socket &socket, NftFamily family, std::string_view table);
/// Deletes a chain with its rules; one that is not there is fine. A chain another rule still
/// jumps to is EBUSY.
[[nodiscard]] Result<void> deleteNftChain(Socket &socket, NftFamily family, std::string_view table,
                                          std::string_view chain);

} // namespace husk::netlink
