#include "netlink/nftables.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include "netlink/nft_rule.h"

namespace husk::netlink {

namespace {

// libnftnl's batch pages: a message may run past kPageSize into the overrun space, so each
// one must stay under kOverrunSize. The largest husk writes is a rule of kNftMaxExpressions
// (under 2 KiB with two 255-byte names); libnftnl checks no bounds itself.
constexpr uint32_t kPageSize = 16384;
constexpr uint32_t kOverrunSize = 16384;

uint16_t nftType(int msg)
{
    return static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | msg);
}

// The family header of a request for family's objects.
Message nftRequest(int msg, uint16_t flags, uint8_t proto)
{
    Message m(nftType(msg), flags);
    nfgenmsg &g = m.putHeader<nfgenmsg>();
    g.nfgen_family = proto;
    g.version = NFNETLINK_V0;
    return m;
}

std::optional<NftFamily> familyOfProto(uint32_t proto)
{
    switch (proto) {
    case NFPROTO_IPV4:
        return NftFamily::Ip;
    case NFPROTO_IPV6:
        return NftFamily::Ip6;
    default:
        return std::nullopt;
    }
}

const char *hookName(NftHook hook)
{
    switch (hook) {
    case NftHook::Prerouting:
        return "prerouting";
    case NftHook::Input:
        return "input";
    case NftHook::Forward:
        return "forward";
    case NftHook::Output:
        return "output";
    case NftHook::Postrouting:
        return "postrouting";
    }
    return "?";
}

uint32_t hookNumber(NftHook hook)
{
    switch (hook) {
    case NftHook::Prerouting:
        return NF_INET_PRE_ROUTING;
    case NftHook::Input:
        return NF_INET_LOCAL_IN;
    case NftHook::Forward:
        return NF_INET_FORWARD;
    case NftHook::Output:
        return NF_INET_LOCAL_OUT;
    case NftHook::Postrouting:
        return NF_INET_POST_ROUTING;
    }
    return NF_INET_PRE_ROUTING;
}

std::optional<NftHook> hookOfNumber(uint32_t number)
{
    switch (number) {
    case NF_INET_PRE_ROUTING:
        return NftHook::Prerouting;
    case NF_INET_LOCAL_IN:
        return NftHook::Input;
    case NF_INET_FORWARD:
        return NftHook::Forward;
    case NF_INET_LOCAL_OUT:
        return NftHook::Output;
    case NF_INET_POST_ROUTING:
        return NftHook::Postrouting;
    default:
        return std::nullopt;
    }
}

// "ip husk", as nft(8) names a table in commands.
std::string tableRef(NftFamily family, std::string_view table)
{
    return std::string(nftFamilyName(family)) + " " + std::string(table);
}

// The libnftnl object owners, so an early return never leaks one.
struct TableFree {
    void operator()(nftnl_table *t) const { nftnl_table_free(t); }
};
struct ChainFree {
    void operator()(nftnl_chain *c) const { nftnl_chain_free(c); }
};
struct IterFree {
    void operator()(nftnl_expr_iter *i) const { nftnl_expr_iter_destroy(i); }
};
using TablePtr = std::unique_ptr<nftnl_table, TableFree>;
using ChainPtr = std::unique_ptr<nftnl_chain, ChainFree>;

} // namespace

Message nftablesGenerationRequest()
{
    return nftRequest(NFT_MSG_GETGEN, 0, AF_UNSPEC);
}

Result<void> probeNftables(Socket &socket)
{
    // The NEWGEN reply itself is of no interest; that the kernel acks the request is the answer.
    Message m = nftablesGenerationRequest();
    return socket.ack(m);
}

Result<uint32_t> nftablesGeneration(Socket &socket)
{
    std::optional<uint32_t> generation;
    Message m = nftablesGenerationRequest();
    auto r = socket.dump(m, [&](const nlmsghdr &nlh) -> Result<void> {
        if (nlh.nlmsg_type != nftType(NFT_MSG_NEWGEN) ||
            mnl_nlmsg_get_payload_len(&nlh) < sizeof(nfgenmsg))
            return fail("unexpected reply to NFT_MSG_GETGEN", EBADMSG);
        auto onAttr = [](const nlattr *attr, void *data) -> int {
            if (mnl_attr_get_type(attr) == NFTA_GEN_ID &&
                mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
                *static_cast<std::optional<uint32_t> *>(data) = ntohl(mnl_attr_get_u32(attr));
            return MNL_CB_OK;
        };
        (void)mnl_attr_parse(&nlh, sizeof(nfgenmsg), onAttr, &generation);
        return {};
    });
    if (!r)
        return wrap(r.error(), "read the nf_tables generation");
    if (!generation)
        return fail("read the nf_tables generation: no NFTA_GEN_ID in the reply", EBADMSG);
    return *generation;
}

const char *nftFamilyName(NftFamily family)
{
    return family == NftFamily::Ip ? "ip" : "ip6";
}

uint8_t nftProto(NftFamily family)
{
    return family == NftFamily::Ip ? NFPROTO_IPV4 : NFPROTO_IPV6;
}

std::optional<NftFamily> nftFamilyOf(int af)
{
    if (af == AF_INET)
        return NftFamily::Ip;
    if (af == AF_INET6)
        return NftFamily::Ip6;
    return std::nullopt;
}

const char *nftL4ProtoName(NftL4Proto proto)
{
    return proto == NftL4Proto::Tcp ? "tcp" : "udp";
}

// ---- NftBatch --------------------------------------------------------------------------------

void NftBatch::Free::operator()(nftnl_batch *batch) const
{
    nftnl_batch_free(batch);
}

NftBatch::NftBatch(std::optional<uint32_t> generation)
    : batch_(nftnl_batch_alloc(kPageSize, kOverrunSize))
{
    if (!batch_) {
        error_ = "out of memory for an nf_tables batch";
        return;
    }
    nlmsghdr *nlh = nftnl_batch_begin(static_cast<char *>(next()), 0);
    // The kernel refuses (ERESTART) a batch whose generation is no longer current: whatever
    // the caller read before building it may have changed.
    if (generation)
        mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(*generation));
    if (nftnl_batch_update(batch_.get()) < 0)
        error_ = "out of memory for an nf_tables batch";
}

NftBatch::NftBatch(NftBatch &&) noexcept = default;
NftBatch &NftBatch::operator=(NftBatch &&) noexcept = default;
NftBatch::~NftBatch() = default;

void *NftBatch::next()
{
    return nftnl_batch_buffer(batch_.get());
}

void NftBatch::commit(std::string command)
{
    if (nftnl_batch_update(batch_.get()) < 0 && error_.empty())
        error_ = command + ": out of memory";
    commands_.push_back(std::move(command));
}

bool NftBatch::checkName(std::string_view what, std::string_view name)
{
    if (!error_.empty())
        return false;
    if (name.empty() || name.size() > kNftMaxNameLength ||
        name.find('\0') != std::string_view::npos) {
        error_ = std::string(what) + ": \"" + std::string(name) + "\" is not a name nf_tables " +
                 "takes (1 to " + std::to_string(kNftMaxNameLength) + " bytes, no NUL)";
        return false;
    }
    return true;
}

namespace {

// The payload of a command's message, by the kind of object it carries.
void buildPayload(nlmsghdr *nlh, nftnl_table *t)
{
    nftnl_table_nlmsg_build_payload(nlh, t);
}

void buildPayload(nlmsghdr *nlh, nftnl_chain *c)
{
    nftnl_chain_nlmsg_build_payload(nlh, c);
}

void buildPayload(nlmsghdr *nlh, nftnl_rule *r)
{
    nftnl_rule_nlmsg_build_payload(nlh, r);
}

// A table object naming table; the rest is up to the caller.
TablePtr tableObject(std::string_view table)
{
    TablePtr t(nftnl_table_alloc());
    if (t)
        nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, std::string(table).c_str());
    return t;
}

// A chain object naming table and chain; the rest is up to the caller.
ChainPtr chainObject(std::string_view table, std::string_view chain)
{
    ChainPtr c(nftnl_chain_alloc());
    if (c) {
        nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, std::string(table).c_str());
        nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, std::string(chain).c_str());
    }
    return c;
}

} // namespace

template <typename Object>
void NftBatch::append(const std::string &command, uint16_t msg, NftFamily family, uint16_t flags,
                      Object *object)
{
    if (!object) {
        error_ = command + ": out of memory";
        return;
    }
    nlmsghdr *nlh =
        nftnl_nlmsg_build_hdr(static_cast<char *>(next()), msg, nftProto(family), flags, 0);
    buildPayload(nlh, object);
    commit(command);
}

void NftBatch::appendRule(const std::string &command, uint16_t msg, uint16_t flags,
                          const NftRule &rule)
{
    if (!rule.error().empty()) {
        error_ = command + ": " + rule.error();
        return;
    }
    // libnftnl only reads the rule while encoding it; its API just is not const.
    append(command, msg, rule.family(), flags, const_cast<nftnl_rule *>(rule.get()));
}

void NftBatch::addTable(NftFamily family, std::string_view table)
{
    const std::string command = "add table " + tableRef(family, table);
    if (!checkName(command, table))
        return;
    TablePtr t = tableObject(table);
    if (t)
        nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, nftProto(family));
    append(command, NFT_MSG_NEWTABLE, family, NLM_F_CREATE | NLM_F_ACK, t.get());
}

void NftBatch::deleteTable(NftFamily family, std::string_view table)
{
    const std::string command = "delete table " + tableRef(family, table);
    if (checkName(command, table))
        append(command, NFT_MSG_DELTABLE, family, NLM_F_ACK, tableObject(table).get());
}

void NftBatch::addChain(NftFamily family, std::string_view table, std::string_view chain,
                        const std::optional<NftBaseChain> &base)
{
    std::string command = "add chain " + tableRef(family, table) + " " + std::string(chain);
    if (base)
        command += " { type " + base->type + " hook " + hookName(base->hook) + " priority " +
                   std::to_string(base->priority) + "; }";
    if (!checkName(command, table) || !checkName(command, chain))
        return;
    ChainPtr c = chainObject(table, chain);
    if (c && base) {
        nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TYPE, base->type.c_str());
        nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_HOOKNUM, hookNumber(base->hook));
        nftnl_chain_set_s32(c.get(), NFTNL_CHAIN_PRIO, base->priority);
    }
    append(command, NFT_MSG_NEWCHAIN, family, NLM_F_CREATE | NLM_F_ACK, c.get());
}

void NftBatch::flushChain(NftFamily family, std::string_view table, std::string_view chain)
{
    const std::string command = "flush chain " + tableRef(family, table) + " " + std::string(chain);
    // A rule deletion that names no handle deletes every rule of the chain.
    if (checkName(command, table) && checkName(command, chain))
        appendRule(command, NFT_MSG_DELRULE, NLM_F_ACK, NftRule(family, table, chain));
}

void NftBatch::deleteChain(NftFamily family, std::string_view table, std::string_view chain)
{
    const std::string command =
        "delete chain " + tableRef(family, table) + " " + std::string(chain);
    if (checkName(command, table) && checkName(command, chain))
        append(command, NFT_MSG_DELCHAIN, family, NLM_F_ACK, chainObject(table, chain).get());
}

void NftBatch::addRule(const NftRule &rule)
{
    const std::string command = "add rule " + tableRef(rule.family(), rule.table()) + " " +
                                rule.chain() + " " + rule.text();
    if (checkName(command, rule.table()) && checkName(command, rule.chain()))
        appendRule(command, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK, rule);
}

void NftBatch::deleteRule(NftFamily family, std::string_view table, std::string_view chain,
                          uint64_t handle)
{
    const std::string command = "delete rule " + tableRef(family, table) + " " +
                                std::string(chain) + " handle " + std::to_string(handle);
    if (!checkName(command, table) || !checkName(command, chain))
        return;
    NftRule r(family, table, chain);
    if (r.error().empty())
        nftnl_rule_set_u64(const_cast<nftnl_rule *>(r.get()), NFTNL_RULE_HANDLE, handle);
    appendRule(command, NFT_MSG_DELRULE, NLM_F_ACK, r);
}

std::vector<std::byte> NftBatch::datagram() const
{
    std::vector<std::byte> out;
    if (!batch_)
        return out;
    const int pages = nftnl_batch_iovec_len(batch_.get());
    std::vector<iovec> iov(static_cast<size_t>(pages));
    nftnl_batch_iovec(batch_.get(), iov.data(), static_cast<uint32_t>(pages));
    for (const iovec &v : iov) {
        const auto *p = static_cast<const std::byte *>(v.iov_base);
        out.insert(out.end(), p, p + v.iov_len);
    }
    // END is added to the copy, so datagram() can be called again.
    alignas(nlmsghdr) std::array<char, MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(nfgenmsg))> end{};
    const nlmsghdr *nlh = nftnl_batch_end(end.data(), 0);
    const auto *p = reinterpret_cast<const std::byte *>(nlh);
    out.insert(out.end(), p, p + nlh->nlmsg_len);
    return out;
}

Result<void> sendBatch(Socket &socket, const NftBatch &batch)
{
    if (!batch.error().empty())
        return fail(batch.error(), EINVAL);
    if (batch.empty())
        return {};
    std::vector<std::byte> bytes = batch.datagram();
    std::vector<std::string> what;
    what.reserve(batch.commands().size() + 2);
    what.emplace_back("begin nf_tables batch");
    what.insert(what.end(), batch.commands().begin(), batch.commands().end());
    what.emplace_back("end nf_tables batch");
    return socket.ackBatch(bytes, what);
}

// ---- reading back ----------------------------------------------------------------------------

Message listNftTablesRequest(NftFamily family)
{
    return nftRequest(NFT_MSG_GETTABLE, NLM_F_DUMP, nftProto(family));
}

Message listNftChainsRequest(NftFamily family)
{
    return nftRequest(NFT_MSG_GETCHAIN, NLM_F_DUMP, nftProto(family));
}

Message listNftRulesRequest(NftFamily family, std::string_view table, std::string_view chain)
{
    Message m = nftRequest(NFT_MSG_GETRULE, NLM_F_DUMP, nftProto(family));
    m.putString(NFTA_RULE_TABLE, table);
    m.putString(NFTA_RULE_CHAIN, chain);
    return m;
}

namespace {

// The family of a reply: nfgenmsg's, which libnftnl reports as the object's family.
Result<NftFamily> replyFamily(uint32_t proto, std::string_view what)
{
    auto family = familyOfProto(proto);
    if (!family)
        return fail(std::string(what) + " of family " + std::to_string(proto) +
                        " (wanted ip or ip6)",
                    EBADMSG);
    return *family;
}

std::string attrOrEmpty(const char *s)
{
    return s ? std::string(s) : std::string();
}

} // namespace

Result<NftTable> parseNftTable(const nlmsghdr &nlh)
{
    HUSK_TRY(replyPayload(nlh, nftType(NFT_MSG_NEWTABLE), "NFT_MSG_NEWTABLE", sizeof(nfgenmsg)));
    TablePtr t(nftnl_table_alloc());
    if (!t || nftnl_table_nlmsg_parse(&nlh, t.get()) < 0)
        return fail("malformed NFT_MSG_NEWTABLE message", EBADMSG);
    NftTable out;
    out.family = HUSK_TRY(replyFamily(nftnl_table_get_u32(t.get(), NFTNL_TABLE_FAMILY), "table"));
    out.name = attrOrEmpty(nftnl_table_get_str(t.get(), NFTNL_TABLE_NAME));
    return out;
}

Result<NftChain> parseNftChain(const nlmsghdr &nlh)
{
    HUSK_TRY(replyPayload(nlh, nftType(NFT_MSG_NEWCHAIN), "NFT_MSG_NEWCHAIN", sizeof(nfgenmsg)));
    ChainPtr c(nftnl_chain_alloc());
    if (!c || nftnl_chain_nlmsg_parse(&nlh, c.get()) < 0)
        return fail("malformed NFT_MSG_NEWCHAIN message", EBADMSG);
    NftChain out;
    out.table = attrOrEmpty(nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TABLE));
    out.name = attrOrEmpty(nftnl_chain_get_str(c.get(), NFTNL_CHAIN_NAME));
    // A hook husk has no name for (another family's) leaves the chain without base: only
    // husk's own chains are ever looked at closely.
    if (nftnl_chain_is_set(c.get(), NFTNL_CHAIN_HOOKNUM)) {
        if (auto hook = hookOfNumber(nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_HOOKNUM))) {
            NftBaseChain base;
            base.type = attrOrEmpty(nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TYPE));
            base.hook = *hook;
            base.priority = nftnl_chain_get_s32(c.get(), NFTNL_CHAIN_PRIO);
            out.base = base;
        }
    }
    return out;
}

Result<NftRuleInfo> parseNftRule(const nlmsghdr &nlh)
{
    HUSK_TRY(replyPayload(nlh, nftType(NFT_MSG_NEWRULE), "NFT_MSG_NEWRULE", sizeof(nfgenmsg)));
    std::unique_ptr<nftnl_rule, void (*)(const nftnl_rule *)> r(nftnl_rule_alloc(),
                                                                nftnl_rule_free);
    if (!r || nftnl_rule_nlmsg_parse(&nlh, r.get()) < 0)
        return fail("malformed NFT_MSG_NEWRULE message", EBADMSG);
    NftRuleInfo out;
    out.table = attrOrEmpty(nftnl_rule_get_str(r.get(), NFTNL_RULE_TABLE));
    out.chain = attrOrEmpty(nftnl_rule_get_str(r.get(), NFTNL_RULE_CHAIN));
    out.handle = nftnl_rule_get_u64(r.get(), NFTNL_RULE_HANDLE);
    std::unique_ptr<nftnl_expr_iter, IterFree> it(nftnl_expr_iter_create(r.get()));
    if (!it)
        return fail("out of memory reading a rule", ENOMEM);
    while (nftnl_expr *e = nftnl_expr_iter_next(it.get())) {
        const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
        if (name && std::strcmp(name, "immediate") == 0 &&
            nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN))
            out.jumps.push_back(attrOrEmpty(nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN)));
    }
    return out;
}

Result<std::vector<NftTable>> listNftTables(Socket &socket, NftFamily family)
{
    Message m = listNftTablesRequest(family);
    return collect<NftTable>(socket, m, parseNftTable,
                             std::string("list nf_tables tables of family ") +
                                 nftFamilyName(family));
}

Result<std::vector<NftChain>> listNftChains(Socket &socket, NftFamily family,
                                            std::string_view table)
{
    Message m = listNftChainsRequest(family);
    auto all = collect<NftChain>(socket, m, parseNftChain,
                                 "list chains of table " + tableRef(family, table));
    if (!all)
        return std::unexpected(std::move(all).error());
    std::vector<NftChain> out;
    for (NftChain &c : *all)
        if (c.table == table)
            out.push_back(std::move(c));
    return out;
}

Result<std::vector<NftRuleInfo>> listNftRules(Socket &socket, NftFamily family,
                                              std::string_view table, std::string_view chain)
{
    Message m = listNftRulesRequest(family, table, chain);
    auto all = collect<NftRuleInfo>(socket, m, parseNftRule,
                                    "list rules of chain " + tableRef(family, table) + " " +
                                        std::string(chain));
    if (!all) {
        // Kernels that look the filter's table and chain up say ENOENT: nothing to list.
        if (all.error().code() == ENOENT)
            return std::vector<NftRuleInfo>{};
        return std::unexpected(std::move(all).error());
    }
    // Older kernels ignore the filter: keep only what was asked for.
    std::vector<NftRuleInfo> out;
    for (NftRuleInfo &r : *all)
        if (r.table == table && r.chain == chain)
            out.push_back(std::move(r));
    return out;
}

namespace {

// Sends a batch of deletions: ENOENT, what was to go is not there, is success.
Result<void> sendDeletions(Socket &socket, const NftBatch &batch)
{
    auto r = sendBatch(socket, batch);
    if (!r && r.error().code() != ENOENT)
        return r;
    return {};
}

} // namespace

Result<void> deleteNftTable(Socket &socket, NftFamily family, std::string_view table)
{
    NftBatch batch;
    batch.deleteTable(family, table);
    return sendDeletions(socket, batch);
}

Result<void> deleteNftChain(Socket &socket, NftFamily family, std::string_view table,
                            std::string_view chain)
{
    NftBatch batch;
    batch.flushChain(family, table, chain);
    batch.deleteChain(family, table, chain);
    return sendDeletions(socket, batch);
}

} // namespace husk::netlink
