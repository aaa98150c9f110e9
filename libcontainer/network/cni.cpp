#include "libcontainer/network/cni.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

#include "common/file.h"
#include "libcontainer/network/attach.h"
#include "libcontainer/network/ipam.h"
#include "libcontainer/network/manage.h"
#include "libcontainer/network/store.h"
#include "netlink/address.h"
#include "netlink/link.h"
#include "netlink/netns.h"
#include "netlink/route.h"
#include "netlink/socket.h"
#include "spec/parse.h"

// Returns a CniError from an expression of type std::expected<void, CniError>.
#define HUSK_CNI_TRY(expr)                                                                         \
    do {                                                                                           \
        if (auto husk_cni_r_ = (expr); !husk_cni_r_)                                               \
            return std::unexpected(husk_cni_r_.error());                                           \
    } while (0)

namespace husk::network {

namespace {

using nlohmann::json;

std::unexpected<CniError> cniFail(int code, std::string msg, std::string details = "")
{
    return std::unexpected(CniError{code, std::move(msg), std::move(details)});
}

CniError fromError(const Error &e)
{
    return CniError{e.code() == EAGAIN ? 11 : 999, e.what(), ""};
}

// CNI_CONTAINERID: "alphanumeric, hyphen, underscore and period" (spec 1.0).
bool validContainerId(std::string_view id)
{
    return !id.empty() && id.size() <= 256 && std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
}

// The names attach and detach use for one attachment: the veth and the port forwards are the
// owner's ("cni:ID:IFNAME"), the lease is ("cni:ID", IFNAME).
std::string ownerOf(const std::string &id, const std::string &ifname)
{
    return std::string(kCniLeasePrefix) + id + ":" + ifname;
}

std::string holderOf(const std::string &id)
{
    return std::string(kCniLeasePrefix) + id;
}

bool versionAtLeast1(const std::string &v)
{
    return !v.starts_with("0.");
}

Result<uint16_t> portOf(const json &m, const char *key)
{
    auto it = m.find(key);
    if (it == m.end() || !it->is_number_unsigned() || it->get<uint64_t>() == 0 ||
        it->get<uint64_t>() > 65535)
        return fail(std::string("runtimeConfig.portMappings: ") + key + ": not a port");
    return static_cast<uint16_t>(it->get<uint64_t>());
}

// What ADD made, as the CNI result of version v.
json resultJson(const Attachment &a, const std::string &netns, const std::string &v)
{
    json ip = {{"address", a.address}, {"gateway", a.gateway}, {"interface", 1}};
    if (!versionAtLeast1(v))
        ip["version"] = "4";
    json out = {{"cniVersion", v},
                {"interfaces",
                 json::array({json{{"name", a.hostVeth}, {"mac", a.hostMac}},
                              json{{"name", a.interface}, {"mac", a.mac}, {"sandbox", netns}}})},
                {"ips", json::array({ip})},
                {"routes", json::array({json{{"dst", "0.0.0.0/0"}, {"gw", a.gateway}}})}};
    json servers = json::array();
    for (const IpAddress &d : a.network.dns)
        servers.push_back(formatIpAddress(d));
    out["dns"] = servers.empty() ? json::object() : json{{"nameservers", servers}};
    return out;
}

void removeMarker(const std::string &root, const std::string &id, const std::string &ifname)
{
    ::rmdir((root + "/" + cniMarkerPath(id, ifname)).c_str());
}

std::expected<void, CniError> requireEnv(const CniInvocation &inv, bool netns)
{
    if (!validContainerId(inv.containerId))
        return cniFail(4, "CNI_CONTAINERID is missing or not alphanumeric, '-', '_' and '.'");
    if (auto r = validateInterfaceName("CNI_IFNAME", inv.ifname); !r)
        return cniFail(4, r.error().what());
    if (netns && (inv.netns.empty() || inv.netns[0] != '/'))
        return cniFail(4, "CNI_NETNS must be the absolute path of a network namespace");
    return {};
}

std::expected<std::string, CniError> add(const CniInvocation &inv, const CniConfig &c)
{
    HUSK_CNI_TRY(requireEnv(inv, true));
    // Record before act: the marker keeps the lease live, and exists before it.
    for (const std::string &dir : {c.root, c.root + "/cni"})
        if (::mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST)
            return cniFail(999, "create " + dir + ": " + std::strerror(errno));
    const std::string marker = c.root + "/" + cniMarkerPath(inv.containerId, inv.ifname);
    if (::mkdir(marker.c_str(), 0700) < 0) {
        // A second ADD must not undo the first one's work when it fails: refused untouched.
        if (errno == EEXIST)
            return cniFail(999, inv.containerId + " " + inv.ifname +
                                    " is attached already (DEL it first)");
        return cniFail(999, "create " + marker + ": " + std::strerror(errno));
    }
    AttachRequest req{.owner = ownerOf(inv.containerId, inv.ifname),
                      .network = c.network,
                      .netnsPath = inv.netns,
                      .forwards = c.portMappings,
                      .interface = inv.ifname,
                      .leaseHolder = holderOf(inv.containerId),
                      .readMacs = true};
    auto a = attach(NetworkPaths{c.root, networkDir()}, req);
    if (!a) {
        removeMarker(c.root, inv.containerId, inv.ifname);
        return std::unexpected(fromError(a.error()));
    }
    return resultJson(*a, inv.netns, c.cniVersion).dump();
}

void del(const CniInvocation &inv, const CniConfig &c)
{
    detach(c.root, c.network, ownerOf(inv.containerId, inv.ifname), holderOf(inv.containerId),
           inv.ifname);
    removeMarker(c.root, inv.containerId, inv.ifname);
}

std::expected<void, CniError> check(const CniInvocation &inv, const CniConfig &c)
{
    HUSK_CNI_TRY(requireEnv(inv, true));
    auto info = inspectNetwork(NetworkPaths{c.root, networkDir()}, c.network);
    if (!info)
        return std::unexpected(fromError(info.error()));
    const Lease *lease = nullptr;
    for (const Lease &l : info->leases)
        if (l.container == holderOf(inv.containerId) && l.interface == inv.ifname)
            lease = &l;
    if (!lease)
        return cniFail(999, "no lease of " + inv.containerId + " " + inv.ifname + " on network " +
                                c.network);
    const Network &n = info->network;
    const std::string address =
        formatIpAddress(lease->ipv4) + "/" + std::to_string(n.ipv4.subnet.prefix);
    // What ADD returned must still be what IPAM holds.
    if (c.prevResult.is_object() && c.prevResult.contains("ips") && c.prevResult["ips"].is_array())
        for (const json &ip : c.prevResult["ips"])
            if (ip.is_object() && ip.value("address", "") != address)
                return cniFail(999, "prevResult address " + ip.value("address", "") +
                                        " is not the lease " + address);
    auto host = netlink::Socket::open();
    if (!host)
        return std::unexpected(fromError(host.error()));
    auto veth = netlink::getLink(*host, hostVethName(ownerOf(inv.containerId, inv.ifname)));
    auto bridge = netlink::getLink(*host, n.bridge);
    if (!veth || !bridge || veth->master != bridge->index)
        return cniFail(999, "the host end of " + inv.ifname + " is not a port of " + n.bridge);
    auto ns = openFd(inv.netns, O_RDONLY);
    if (!ns)
        return std::unexpected(fromError(ns.error()));
    std::string problem;
    auto inside = netlink::withSocketInNetns(ns->get(), [&](netlink::Socket &s) -> Result<void> {
        netlink::Link link = HUSK_TRY(netlink::getLink(s, inv.ifname));
        bool hasAddress = false;
        for (const netlink::Address &a : HUSK_TRY(netlink::listAddresses(s, inv.ifname, AF_INET)))
            hasAddress = hasAddress || a.prefix.toString() == address;
        bool hasRoute = false;
        for (const netlink::Route &r : HUSK_TRY(netlink::listRoutes(s, AF_INET)))
            hasRoute = hasRoute || (r.destination.length == 0 && r.oif == link.index && r.gateway &&
                                    r.gateway->toString() == formatIpAddress(n.ipv4.gateway));
        if (!hasAddress)
            problem = inv.ifname + " does not have " + address;
        else if (!hasRoute)
            problem =
                "no default route via " + formatIpAddress(n.ipv4.gateway) + " on " + inv.ifname;
        return {};
    });
    if (!inside)
        return std::unexpected(fromError(inside.error()));
    if (!problem.empty())
        return cniFail(999, problem);
    return {};
}

std::expected<void, CniError> gc(const CniConfig &c)
{
    std::set<std::pair<std::string, std::string>> valid;
    for (const CniConfig::Attachment &a : c.validAttachments)
        valid.emplace(holderOf(a.containerId), a.ifname);
    auto info = inspectNetwork(NetworkPaths{c.root, networkDir()}, c.network);
    if (!info)
        return std::unexpected(fromError(info.error()));
    for (const Lease &l : info->leases) {
        if (!l.container.starts_with(kCniLeasePrefix) || valid.contains({l.container, l.interface}))
            continue;
        std::string id = l.container.substr(kCniLeasePrefix.size());
        detach(c.root, c.network, ownerOf(id, l.interface), l.container, l.interface);
        removeMarker(c.root, id, l.interface);
    }
    return {};
}

} // namespace

std::expected<CniConfig, CniError> parseCniConfig(std::string_view text)
{
    auto doc = spec::parseJsonText(text);
    if (!doc)
        return cniFail(6, "network configuration: " + doc.error().what());
    const json &j = *doc;
    if (!j.is_object())
        return cniFail(6, "network configuration: not a JSON object");
    CniConfig c;
    try {
        c.cniVersion = j.value("cniVersion", "");
        c.name = j.value("name", "");
        if (auto it = j.find("network"); it != j.end())
            c.network = it->get<std::string>();
        if (auto it = j.find("root"); it != j.end())
            c.root = it->get<std::string>();
        if (auto rc = j.find("runtimeConfig"); rc != j.end() && rc->is_object())
            if (auto pm = rc->find("portMappings"); pm != rc->end() && pm->is_array())
                for (const json &m : *pm) {
                    if (!m.is_object())
                        return cniFail(7, "runtimeConfig.portMappings: not an object");
                    PortForward f;
                    auto hostPort = portOf(m, "hostPort");
                    auto containerPort = portOf(m, "containerPort");
                    if (!hostPort || !containerPort)
                        return cniFail(7, (!hostPort ? hostPort : containerPort).error().what());
                    f.hostPort = *hostPort;
                    f.containerPort = *containerPort;
                    std::string proto = m.value("protocol", "tcp");
                    if (proto != "tcp" && proto != "udp")
                        return cniFail(7, "runtimeConfig.portMappings: protocol \"" + proto +
                                              "\": tcp or udp");
                    f.proto = proto == "udp" ? Protocol::Udp : Protocol::Tcp;
                    if (std::string ip = m.value("hostIP", ""); !ip.empty()) {
                        auto parsed = parseIpAddress(ip);
                        if (!parsed)
                            return cniFail(7, "runtimeConfig.portMappings: hostIP: " +
                                                  parsed.error().what());
                        f.hostIp = *parsed;
                    }
                    c.portMappings.push_back(f);
                }
        if (auto pr = j.find("prevResult"); pr != j.end())
            c.prevResult = *pr;
        if (auto va = j.find("cni.dev/valid-attachments"); va != j.end() && va->is_array())
            for (const json &a : *va)
                if (a.is_object())
                    c.validAttachments.push_back(
                        {a.value("containerID", ""), a.value("ifname", "")});
    } catch (const json::exception &e) {
        return cniFail(7, std::string("network configuration: ") + e.what());
    }
    if (c.cniVersion.empty())
        return cniFail(7, "network configuration: cniVersion is missing");
    if (std::find(kCniVersions.begin(), kCniVersions.end(), c.cniVersion) == kCniVersions.end())
        return cniFail(1, "cniVersion " + c.cniVersion + " is not supported",
                       "husk-cni speaks 0.4.0, 1.0.0 and 1.1.0");
    if (auto r = validateNetworkName(c.network); !r)
        return cniFail(7, "network: " + r.error().what());
    if (c.root.empty() || c.root[0] != '/')
        return cniFail(7, "root must be an absolute path");
    return c;
}

json cniErrorJson(const CniError &e, const std::string &version)
{
    json out = {{"cniVersion", version.empty() ? kCniVersions.back() : version},
                {"code", e.code},
                {"msg", e.msg}};
    if (!e.details.empty())
        out["details"] = e.details;
    return out;
}

int runCniCommand(const CniInvocation &inv, std::string &out)
{
    if (inv.command == "VERSION") {
        out = json{{"cniVersion", kCniVersions.back()}, {"supportedVersions", kCniVersions}}.dump();
        return 0;
    }
    auto config = parseCniConfig(inv.stdinText);
    if (!config) {
        out = cniErrorJson(config.error(), "").dump();
        return 1;
    }
    std::expected<void, CniError> done;
    if (inv.command == "ADD") {
        auto result = add(inv, *config);
        if (result) {
            out = *result;
            return 0;
        }
        done = std::unexpected(result.error());
    } else if (inv.command == "DEL") {
        // DEL succeeds for what is gone; with no valid id or interface there is nothing of ours.
        if (requireEnv(inv, false))
            del(inv, *config);
    } else if (inv.command == "CHECK") {
        done = check(inv, *config);
    } else if (inv.command == "GC") {
        done = gc(*config);
    } else if (inv.command == "STATUS") {
        if (auto info = inspectNetwork(NetworkPaths{config->root, networkDir()}, config->network);
            !info)
            done = cniFail(50, info.error().what());
    } else {
        done = cniFail(4, "CNI_COMMAND \"" + inv.command +
                              "\": ADD, DEL, CHECK, GC, STATUS or VERSION");
    }
    if (!done) {
        out = cniErrorJson(done.error(), config->cniVersion).dump();
        return 1;
    }
    out.clear();
    return 0;
}

} // namespace husk::network
