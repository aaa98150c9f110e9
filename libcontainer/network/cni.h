#pragma once

// husk as a CNI plugin (husk-cni): the CNI protocol (spec 1.1.0, 1.0.0 and 0.4.0) over the
// bridge networking pods use. The runtime (kubelet's containerd, podman's CNI backend, ...)
// runs the plugin with CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME in the environment
// and the network configuration on stdin; the result or the error is JSON on stdout.
//
// ADD joins the namespace to a husk network (`"network"` in the configuration, "husk" when
// absent; defined with `husk network create`): a lease keyed by ("cni:" + container id,
// interface), a veth whose inner end is CNI_IFNAME, its address and default route, the
// network's masquerade rules, and runtimeConfig.portMappings as port forwards. Before any of
// that it makes <root>/cni/<id>@<ifname>, which keeps the lease live (record before act) and is
// removed last by DEL. DEL undoes it by name and succeeds for what is already gone; CHECK
// verifies the lease, the address and route inside the namespace and the host end on the
// bridge; GC releases the CNI leases and links of attachments not in
// cni.dev/valid-attachments; STATUS says whether the network can be used; VERSION lists the
// versions spoken.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "libcontainer/network/firewall.h"

namespace husk::network {

/// The protocol versions husk-cni speaks, oldest first.
inline const std::vector<std::string> kCniVersions = {"0.4.0", "1.0.0", "1.1.0"};

/// What the runtime gave the plugin.
struct CniInvocation {
    std::string command;     // CNI_COMMAND
    std::string containerId; // CNI_CONTAINERID
    std::string netns;       // CNI_NETNS: a path
    std::string ifname;      // CNI_IFNAME
    std::string args;        // CNI_ARGS
    std::string stdinText;   // the network configuration
};

/// The network configuration husk-cni reads (other keys are the runtime's and are ignored).
struct CniConfig {
    std::string cniVersion;
    std::string name;                      // the CNI network's name
    std::string network = "husk";          // the husk network to join
    std::string root = "/run/husk";        // husk's state root: leases and markers
    std::vector<PortForward> portMappings; // runtimeConfig.portMappings
    nlohmann::json prevResult;             // CHECK: what ADD returned
    struct Attachment {
        std::string containerId;
        std::string ifname;
    };
    std::vector<Attachment> validAttachments; // GC: cni.dev/valid-attachments
};

/// A CNI error: one of the spec's codes (1 incompatible version, 4 invalid environment,
/// 6 undecodable configuration, 7 invalid configuration, 11 try again later, 50 the plugin
/// is not available) or 999 for anything else.
struct CniError {
    int code = 999;
    std::string msg;
    std::string details;
};

/// Parses the configuration on stdin. Pure.
[[nodiscard]] std::expected<CniConfig, CniError> parseCniConfig(std::string_view text);
/// The error document for version (the configuration's, or the newest when unknown). Pure.
nlohmann::json cniErrorJson(const CniError &e, const std::string &version);

/// Runs one CNI command; returns the exit code and sets out to what goes to stdout.
int runCniCommand(const CniInvocation &inv, std::string &out);

} // namespace husk::network
