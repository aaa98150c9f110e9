#include "libcontainer/network/config.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>

namespace husk::network {

using nlohmann::json;

namespace {

std::string fieldPath(const std::string &parent, std::string_view key)
{
    return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

// A misspelt key ("gatway") would otherwise be ignored and its default silently used.
Result<void> checkKnownFields(const json &obj, std::initializer_list<std::string_view> known,
                              const std::string &path)
{
    for (const auto &[key, value] : obj.items())
        if (std::find(known.begin(), known.end(), key) == known.end())
            return fail(fieldPath(path, key) + ": unknown field");
    return {};
}

Result<std::optional<std::string>> stringField(const json &obj, std::string_view key,
                                               const std::string &path)
{
    auto it = obj.find(key);
    if (it == obj.end())
        return std::nullopt;
    if (!it->is_string())
        return fail(fieldPath(path, key) + ": must be a string");
    return it->get<std::string>();
}

Result<std::string> requiredString(const json &obj, std::string_view key, const std::string &path)
{
    auto s = HUSK_TRY(stringField(obj, key, path));
    if (!s)
        return fail(fieldPath(path, key) + ": missing");
    return *s;
}

Result<IpAddress> addressField(const json &obj, std::string_view key, const std::string &path)
{
    std::string text = HUSK_TRY(requiredString(obj, key, path));
    return HUSK_TRY_CTX(parseIpAddress(text), fieldPath(path, key));
}

Result<AddressPool> poolFromJson(const json &j, const std::string &path)
{
    if (!j.is_object())
        return fail(path + ": must be an object");
    HUSK_TRY(checkKnownFields(j, {"subnet", "gateway", "range"}, path));
    AddressPool pool;
    std::string subnet = HUSK_TRY(requiredString(j, "subnet", path));
    pool.subnet = HUSK_TRY_CTX(parseSubnet(subnet), path + ".subnet");
    // The usual convention, and what podman and docker pick too: the first host address.
    pool.gateway = addressPlus(pool.subnet.network, 1);
    if (j.contains("gateway"))
        pool.gateway = HUSK_TRY(addressField(j, "gateway", path));
    if (auto it = j.find("range"); it != j.end()) {
        std::string rangePath = path + ".range";
        if (!it->is_object())
            return fail(rangePath + ": must be an object with start and end");
        HUSK_TRY(checkKnownFields(*it, {"start", "end"}, rangePath));
        pool.range = AddressRange{HUSK_TRY(addressField(*it, "start", rangePath)),
                                  HUSK_TRY(addressField(*it, "end", rangePath))};
    }
    return pool;
}

json poolToJson(const AddressPool &p)
{
    json j{{"subnet", formatSubnet(p.subnet)}, {"gateway", formatIpAddress(p.gateway)}};
    if (p.range)
        j["range"] = {{"start", formatIpAddress(p.range->start)},
                      {"end", formatIpAddress(p.range->end)}};
    return j;
}

// The addresses no host may take whatever the gateway: the network address and the broadcast.
const char *subnetEdgeReason(const Subnet &s, const IpAddress &a)
{
    if (a == s.network)
        return "the network address";
    if (a.family == IpFamily::V4 && a == s.last())
        return "the broadcast address";
    return nullptr;
}

Result<void> validatePool(const AddressPool &p, IpFamily family, const std::string &path)
{
    const Subnet &s = p.subnet;
    std::string subnet = formatSubnet(s);
    std::string fam = familyName(family);
    if (s.network.family != family)
        return fail(path + ".subnet: " + subnet + " is not an " + fam + " subnet");
    // Wider than /8 would claim a large share of the address space, the host's routes included;
    // narrower than /30 (IPv4) leaves no address beside the gateway.
    int longest = family == IpFamily::V4 ? 30 : 126;
    if (s.prefix < 8 || s.prefix > longest)
        return fail(path + ".subnet: " + subnet + ": the prefix length must be from /8 to /" +
                    std::to_string(longest));
    std::string gateway = formatIpAddress(p.gateway);
    if (!s.contains(p.gateway))
        return fail(path + ".gateway: " + gateway + " is not inside the subnet " + subnet);
    if (const char *why = subnetEdgeReason(s, p.gateway))
        return fail(path + ".gateway: " + gateway + " is " + why + " of " + subnet);
    if (p.range) {
        for (const IpAddress &a : {p.range->start, p.range->end})
            if (!s.contains(a))
                return fail(path + ".range: " + formatIpAddress(a) + " is not inside the subnet " +
                            subnet);
        if (p.range->end < p.range->start)
            return fail(path + ".range: the start " + formatIpAddress(p.range->start) +
                        " is after the end " + formatIpAddress(p.range->end));
    }
    AddressRange r = allocatableRange(p);
    bool gatewayInside = r.start <= p.gateway && p.gateway <= r.end;
    if (r.end < r.start || (r.start == r.end && gatewayInside))
        return fail(path + ".range: no address is left to hand out (the network address, the " +
                    "broadcast and the gateway are never given)");
    return {};
}

bool validNameChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

} // namespace

AddressRange allocatableRange(const AddressPool &pool)
{
    const Subnet &s = pool.subnet;
    AddressRange r = pool.range.value_or(AddressRange{s.network, s.last()});
    IpAddress lowest = addressPlus(s.network, 1);
    IpAddress highest =
        s.network.family == IpFamily::V4 ? IpAddress{IpFamily::V4, s.last().value - 1} : s.last();
    r.start = std::max(r.start, lowest);
    r.end = std::min(r.end, highest);
    return r;
}

const char *reservedAddressReason(const AddressPool &pool, const IpAddress &a)
{
    if (a == pool.gateway)
        return "the gateway";
    return subnetEdgeReason(pool.subnet, a);
}

Network defaultNetwork()
{
    Network n;
    n.name = kDefaultNetworkName;
    n.bridge = "husk0";
    n.ipv4.subnet = Subnet{IpAddress{IpFamily::V4, 0x0a4d0000}, 16}; // 10.77.0.0/16
    n.ipv4.gateway = IpAddress{IpFamily::V4, 0x0a4d0001};            // 10.77.0.1
    n.masquerade = true;
    return n;
}

Result<Network> networkFromJson(const json &j, std::string_view name)
{
    if (!j.is_object())
        return fail("the document must be a JSON object");
    HUSK_TRY(
        checkKnownFields(j, {"name", "bridge", "ipv4", "ipv6", "mtu", "masquerade", "dns"}, ""));
    Network n;
    n.name = std::string(name);
    if (auto own = HUSK_TRY(stringField(j, "name", "")); own && *own != name)
        return fail("name: \"" + *own + "\" does not match the file name " + n.name + ".json");
    n.bridge = HUSK_TRY(requiredString(j, "bridge", ""));
    auto v4 = j.find("ipv4");
    if (v4 == j.end())
        return fail("ipv4: missing");
    n.ipv4 = HUSK_TRY(poolFromJson(*v4, "ipv4"));
    if (auto v6 = j.find("ipv6"); v6 != j.end())
        n.ipv6 = HUSK_TRY(poolFromJson(*v6, "ipv6"));
    if (auto mtu = j.find("mtu"); mtu != j.end()) {
        // The range is checked with the rest; this only keeps the number inside an int.
        if (!mtu->is_number_integer() || mtu->get<int64_t>() < 0 || mtu->get<int64_t>() > 65535)
            return fail("mtu: must be an integer from 68 to 65535");
        n.mtu = mtu->get<int>();
    }
    if (auto masq = j.find("masquerade"); masq != j.end()) {
        if (!masq->is_boolean())
            return fail("masquerade: must be true or false");
        n.masquerade = masq->get<bool>();
    }
    if (auto dns = j.find("dns"); dns != j.end()) {
        if (!dns->is_array())
            return fail("dns: must be an array of addresses");
        for (size_t i = 0; i < dns->size(); ++i) {
            std::string field = "dns[" + std::to_string(i) + "]";
            if (!(*dns)[i].is_string())
                return fail(field + ": must be a string");
            n.dns.push_back(HUSK_TRY_CTX(parseIpAddress((*dns)[i].get<std::string>()), field));
        }
    }
    HUSK_TRY(validateNetwork(n));
    return n;
}

json networkToJson(const Network &n)
{
    json j{{"name", n.name}, {"bridge", n.bridge},         {"ipv4", poolToJson(n.ipv4)},
           {"mtu", n.mtu},   {"masquerade", n.masquerade}, {"dns", json::array()}};
    if (n.ipv6)
        j["ipv6"] = poolToJson(*n.ipv6);
    for (const IpAddress &a : n.dns)
        j["dns"].push_back(formatIpAddress(a));
    return j;
}

Result<void> validateNetwork(const Network &n)
{
    HUSK_TRY_CTX(validateNetworkName(n.name), "name");
    HUSK_TRY(validateInterfaceName("bridge", n.bridge));
    HUSK_TRY(validatePool(n.ipv4, IpFamily::V4, "ipv4"));
    if (n.ipv6)
        HUSK_TRY(validatePool(*n.ipv6, IpFamily::V6, "ipv6"));
    // 68 is IPv4's minimum (RFC 791), 1280 IPv6's (RFC 8200).
    int minimum = n.ipv6 ? 1280 : 68;
    if (n.mtu < minimum || n.mtu > 65535)
        return fail("mtu: " + std::to_string(n.mtu) + " is out of range (" +
                    std::to_string(minimum) + " to 65535" + (n.ipv6 ? " with IPv6)" : ")"));
    return {};
}

Result<void> checkConflicts(const Network &n, std::span<const Network> others)
{
    for (const Network &o : others) {
        if (o.name == n.name)
            return fail("name: a network named " + n.name + " already exists");
        if (o.bridge == n.bridge)
            return fail("bridge: " + n.bridge + " is already the bridge of network " + o.name);
        if (subnetsOverlap(n.ipv4.subnet, o.ipv4.subnet))
            return fail("ipv4.subnet: " + formatSubnet(n.ipv4.subnet) + " overlaps network " +
                        o.name + "'s " + formatSubnet(o.ipv4.subnet));
        if (n.ipv6 && o.ipv6 && subnetsOverlap(n.ipv6->subnet, o.ipv6->subnet))
            return fail("ipv6.subnet: " + formatSubnet(n.ipv6->subnet) + " overlaps network " +
                        o.name + "'s " + formatSubnet(o.ipv6->subnet));
    }
    return {};
}

Result<void> validateNetworkName(std::string_view name)
{
    if (name.empty() || name.size() > 64 || !std::isalnum(static_cast<unsigned char>(name[0])) ||
        !std::all_of(name.begin(), name.end(), validNameChar))
        return fail("\"" + std::string(name) +
                    "\" is not a valid network name ([A-Za-z0-9][A-Za-z0-9_.-]*, at most 64 " +
                    "characters)");
    return {};
}

Result<void> validateInterfaceName(std::string_view field, std::string_view name)
{
    std::string quoted = "\"" + std::string(name) + "\"";
    // The kernel keeps names in IFNAMSIZ (16) bytes, the terminating NUL included.
    if (name.empty() || name.size() > 15)
        return fail(std::string(field) + ": " + quoted +
                    " must be 1 to 15 characters long (IFNAMSIZ)");
    if (name == "." || name == ".." || !std::all_of(name.begin(), name.end(), validNameChar))
        return fail(std::string(field) + ": " + quoted +
                    " is not a valid interface name (letters, digits, '_', '.', '-')");
    return {};
}

std::string freeBridgeName(std::span<const Network> networks)
{
    for (int i = 1;; ++i) {
        std::string name = "husk" + std::to_string(i);
        if (std::none_of(networks.begin(), networks.end(),
                         [&](const Network &n) { return n.bridge == name; }))
            return name;
    }
}

Result<Network> networkFromOptions(const NetworkCreateOptions &o, std::span<const Network> existing)
{
    // The flags become the file's document, so a flag and a file are checked by the same code.
    json v4{{"subnet", o.subnet}};
    if (!o.gateway.empty())
        v4["gateway"] = o.gateway;
    if (!o.range.empty()) {
        size_t dash = o.range.find('-');
        if (dash == std::string::npos)
            return fail("--range: \"" + o.range + "\" is not START-END");
        v4["range"] = {{"start", o.range.substr(0, dash)}, {"end", o.range.substr(dash + 1)}};
    }
    json j{{"bridge", o.bridge.empty() ? freeBridgeName(existing) : o.bridge},
           {"ipv4", v4},
           {"mtu", o.mtu},
           {"masquerade", o.masquerade},
           {"dns", o.dns}};
    if (!o.ipv6Subnet.empty()) {
        j["ipv6"] = {{"subnet", o.ipv6Subnet}};
        if (!o.ipv6Gateway.empty())
            j["ipv6"]["gateway"] = o.ipv6Gateway;
    } else if (!o.ipv6Gateway.empty()) {
        return fail("--ipv6-gateway needs --ipv6-subnet");
    }
    Network n = HUSK_TRY(networkFromJson(j, o.name));
    HUSK_TRY(checkConflicts(n, existing));
    return n;
}

} // namespace husk::network
