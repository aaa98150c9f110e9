#include "netlink/nft_rule.h"

#include <arpa/inet.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <string>

namespace husk::netlink {

void NftRule::Free::operator()(nftnl_rule *rule) const
{
    nftnl_rule_free(rule);
}

NftRule::NftRule(NftFamily family, std::string_view table, std::string_view chain)
    : family_(family), table_(table), chain_(chain), rule_(nftnl_rule_alloc())
{
    if (!rule_) {
        error_ = "out of memory for an nf_tables rule";
        return;
    }
    nftnl_rule_set_u32(rule_.get(), NFTNL_RULE_FAMILY, nftProto(family));
    nftnl_rule_set_str(rule_.get(), NFTNL_RULE_TABLE, table_.c_str());
    nftnl_rule_set_str(rule_.get(), NFTNL_RULE_CHAIN, chain_.c_str());
}

NftRule::NftRule(NftRule &&) noexcept = default;
NftRule &NftRule::operator=(NftRule &&) noexcept = default;
NftRule::~NftRule() = default;

void NftRule::add(std::string_view words)
{
    if (!text_.empty())
        text_ += ' ';
    text_ += words;
}

bool NftRule::room(size_t expressions, std::string_view what)
{
    if (!error_.empty())
        return false;
    if (expressions_ + expressions > kNftMaxExpressions) {
        error_ = std::string(what) + ": more than " + std::to_string(kNftMaxExpressions) +
                 " expressions in one rule";
        return false;
    }
    expressions_ += expressions;
    return true;
}

bool NftRule::sameFamily(int af, std::string_view what)
{
    if (nftFamilyOf(af) == family_)
        return true;
    if (error_.empty())
        error_ = std::string(what) + ": not an address of family " + nftFamilyName(family_);
    return false;
}

namespace {

// The expression constructors: each allocates one libnftnl expression and hands it to the
// rule, which owns it from then on. Registers: NFT_REG_1 holds what a match loads (16 bytes,
// enough for an IPv6 address), NFT_REG_2 the port of a NAT statement.

void putExpr(nftnl_rule *rule, nftnl_expr *e)
{
    nftnl_rule_add_expr(rule, e);
}

nftnl_expr *newExpr(const char *name)
{
    return nftnl_expr_alloc(name);
}

bool addPayload(nftnl_rule *rule, uint32_t base, uint32_t offset, uint32_t len)
{
    nftnl_expr *e = newExpr("payload");
    if (!e)
        return false;
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
    putExpr(rule, e);
    return true;
}

bool addCmp(nftnl_rule *rule, uint32_t op, const void *data, uint32_t len)
{
    nftnl_expr *e = newExpr("cmp");
    if (!e)
        return false;
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
    nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
    putExpr(rule, e);
    return true;
}

// reg1 = (reg1 & mask) ^ 0, over len bytes.
bool addMask(nftnl_rule *rule, const void *mask, uint32_t len)
{
    nftnl_expr *e = newExpr("bitwise");
    if (!e)
        return false;
    const std::array<uint8_t, 16> zero{};
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero.data(), len);
    putExpr(rule, e);
    return true;
}

bool addImmediate(nftnl_rule *rule, uint32_t reg, const void *data, uint32_t len)
{
    nftnl_expr *e = newExpr("immediate");
    if (!e)
        return false;
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg);
    nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
    putExpr(rule, e);
    return true;
}

} // namespace

NftRule &NftRule::matchAddress(NftAddr which, const IpPrefix &prefix, bool negate)
{
    const char *field = which == NftAddr::Source ? "saddr" : "daddr";
    const std::string what = std::string(nftFamilyName(family_)) + " " + field;
    if (!sameFamily(prefix.address.family, what + " " + prefix.toString()))
        return *this;
    const unsigned bits = addressBits(prefix.address.family);
    if (prefix.length == 0 || prefix.length > bits) {
        if (error_.empty())
            error_ = what + " " + prefix.toString() + ": the prefix length must be 1 to " +
                     std::to_string(bits);
        return *this;
    }
    // Load only the bytes the prefix covers (as nft does: a /24 loads 3) and mask the last one
    // when the prefix ends inside it.
    const uint32_t bytes = (prefix.length + 7) / 8;
    const bool partial = prefix.length % 8 != 0;
    if (!room(partial ? 3 : 2, what))
        return *this;
    uint32_t offset = 0;
    if (family_ == NftFamily::Ip)
        offset = which == NftAddr::Source ? 12 : 16; // iphdr saddr, daddr
    else
        offset = which == NftAddr::Source ? 8 : 24; // ipv6hdr saddr, daddr
    const IpAddress network = prefix.network().address;
    bool ok = addPayload(rule_.get(), NFT_PAYLOAD_NETWORK_HEADER, offset, bytes);
    if (ok && partial) {
        std::array<uint8_t, 16> mask{};
        for (unsigned i = 0; i < prefix.length; ++i)
            mask[i / 8] |= static_cast<uint8_t>(0x80 >> (i % 8));
        ok = addMask(rule_.get(), mask.data(), bytes);
    }
    if (ok)
        ok = addCmp(rule_.get(), negate ? NFT_CMP_NEQ : NFT_CMP_EQ, network.bytes.data(), bytes);
    if (!ok) {
        error_ = what + ": out of memory";
        return *this;
    }
    std::string words = what + (negate ? " != " : " ");
    words += prefix.length == bits ? network.toString() : prefix.network().toString();
    add(words);
    return *this;
}

NftRule &NftRule::matchDestinationPort(NftL4Proto proto, uint16_t port)
{
    const std::string what = std::string(nftL4ProtoName(proto)) + " dport " + std::to_string(port);
    if (!room(4, what))
        return *this;
    // "tcp dport" is two matches: the transport protocol (meta l4proto, which also skips IPv6
    // extension headers), then two bytes at offset 2 of the transport header.
    const uint8_t number = proto == NftL4Proto::Tcp ? IPPROTO_TCP : IPPROTO_UDP;
    const uint16_t wirePort = htons(port);
    bool ok = false;
    if (nftnl_expr *e = newExpr("meta")) {
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_L4PROTO);
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
        putExpr(rule_.get(), e);
        ok = addCmp(rule_.get(), NFT_CMP_EQ, &number, sizeof(number)) &&
             addPayload(rule_.get(), NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2) &&
             addCmp(rule_.get(), NFT_CMP_EQ, &wirePort, sizeof(wirePort));
    }
    if (!ok) {
        error_ = what + ": out of memory";
        return *this;
    }
    add(what);
    return *this;
}

NftRule &NftRule::matchLocalDestination()
{
    const std::string what = "fib daddr type local";
    if (!room(2, what))
        return *this;
    // The fib lookup answers with the route type of the destination, a u32 in host order.
    const uint32_t local = RTN_LOCAL;
    bool ok = false;
    if (nftnl_expr *e = newExpr("fib")) {
        nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
        nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
        putExpr(rule_.get(), e);
        ok = addCmp(rule_.get(), NFT_CMP_EQ, &local, sizeof(local));
    }
    if (!ok) {
        error_ = what + ": out of memory";
        return *this;
    }
    add(what);
    return *this;
}

NftRule &NftRule::matchDnatted()
{
    const std::string what = "ct status dnat";
    if (!room(3, what))
        return *this;
    // The conntrack status is a bit set (u32, host order): (status & IPS_DST_NAT) != 0.
    const uint32_t bit = IPS_DST_NAT;
    const uint32_t zero = 0;
    bool ok = false;
    if (nftnl_expr *e = newExpr("ct")) {
        nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATUS);
        putExpr(rule_.get(), e);
        ok = addMask(rule_.get(), &bit, sizeof(bit)) &&
             addCmp(rule_.get(), NFT_CMP_NEQ, &zero, sizeof(zero));
    }
    if (!ok) {
        error_ = what + ": out of memory";
        return *this;
    }
    add(what);
    return *this;
}

NftRule &NftRule::jump(std::string_view chain)
{
    const std::string what = "jump " + std::string(chain);
    if (chain.empty() || chain.size() > kNftMaxNameLength) {
        if (error_.empty())
            error_ =
                what + ": a chain name is 1 to " + std::to_string(kNftMaxNameLength) + " bytes";
        return *this;
    }
    if (!room(1, what))
        return *this;
    nftnl_expr *e = newExpr("immediate");
    if (!e) {
        error_ = what + ": out of memory";
        return *this;
    }
    const std::string name(chain);
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, static_cast<uint32_t>(NFT_JUMP));
    nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, name.c_str());
    putExpr(rule_.get(), e);
    add(what);
    return *this;
}

NftRule &NftRule::masquerade()
{
    if (!room(1, "masquerade"))
        return *this;
    nftnl_expr *e = newExpr("masq");
    if (!e) {
        error_ = "masquerade: out of memory";
        return *this;
    }
    putExpr(rule_.get(), e);
    add("masquerade");
    return *this;
}

NftRule &NftRule::dnat(const IpAddress &address, uint16_t port)
{
    std::string target;
    if (address.family == AF_INET6) {
        target += '[';
        target += address.toString();
        target += ']';
    } else {
        target = address.toString();
    }
    target += ':';
    target += std::to_string(port);
    const std::string what = "dnat to " + target;
    if (!sameFamily(address.family, what) || !room(3, what))
        return *this;
    // The address and port go into registers first; the nat statement names the registers.
    // PROTO_SPECIFIED makes the kernel rewrite the port, not only the address.
    const uint16_t wirePort = htons(port);
    bool ok = addImmediate(rule_.get(), NFT_REG_1, address.bytes.data(),
                           static_cast<uint32_t>(address.size())) &&
              addImmediate(rule_.get(), NFT_REG_2, &wirePort, sizeof(wirePort));
    if (ok) {
        ok = false;
        if (nftnl_expr *e = newExpr("nat")) {
            nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
            nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, nftProto(family_));
            nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
            nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
            nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
            putExpr(rule_.get(), e);
            ok = true;
        }
    }
    if (!ok) {
        error_ = what + ": out of memory";
        return *this;
    }
    add(what);
    return *this;
}

} // namespace husk::netlink
