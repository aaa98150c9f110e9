#pragma once

// Pods: a pause process of husk's own holding network, IPC and UTS namespaces (and a PID
// namespace with --share-pid) that containers join. State lives in <root>/pods/NAME/pod.json,
// written atomically, so a husk killed midway leaves a record `pod rm --force` cleans from.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "libcontainer/container/container.h"
#include "spec/config.h"

namespace husk::pod {

/// How a pod is networked.
enum class NetworkMode { Bridge, Host, None };

/// Everything husk keeps about a pod.
struct PodRecord {
    std::string name;
    std::string created; // RFC 3339
    pid_t pausePid = 0;
    uint64_t pauseStartTime = 0;
    bool sharePid = false;
    std::string hostname;
    NetworkMode mode = NetworkMode::None;
    std::string network;              // bridge mode: the network's name
    std::string address;              // bridge mode: "10.77.0.5/16"
    std::string gateway;              // bridge mode
    std::string hostVeth;             // bridge mode: the host end of the veth pair
    std::vector<std::string> ports;   // bridge mode: the forwards, "127.0.0.1:8080:80/tcp"
    std::vector<std::string> members; // container ids, in the order they joined
    std::string owner; // the container whose annotations made the pod (removed with it)
};

/// JSON of a record (pod.json and `pod inspect`), and back. Pure.
nlohmann::json podJson(const PodRecord &r);
[[nodiscard]] Result<PodRecord> parsePodJson(const nlohmann::json &j);
/// "bridge", "bridge:NET", "host", "none" -> mode and network name. Pure.
[[nodiscard]] Result<std::pair<NetworkMode, std::string>> parseNetworkFlag(const std::string &s);

/// `pod create` options.
struct PodCreateOptions {
    std::string name;
    std::string network = "bridge"; // bridge[:NET] | host | none
    std::string ip;                 // a static address request
    std::vector<std::string> ports; // [HOSTIP:]HOSTPORT:PORT[/tcp|udp] port forwards
    std::vector<std::string> dns;
    std::string hostname;
    bool sharePid = false;
    std::string owner; // set for a container's own pod (see podFromAnnotations)
};

/// The pod a plain `create` asks for with annotations: run.husk.network (bridge, bridge:NAME,
/// host, none; bridge when only the others are given), run.husk.ip, run.husk.ports and
/// run.husk.dns (comma-separated lists). It is named after the container and owned by it:
/// made before it, removed with it. nullopt when no such annotation is there; an error with
/// run.husk.pod as well (a pod member has the pod's networking). Pure.
[[nodiscard]] Result<std::optional<PodCreateOptions>>
podFromAnnotations(const std::map<std::string, std::string> &annotations, const std::string &id,
                   const std::string &hostname);

/// `create` of a container that may belong to a pod: handles --pod / run.husk.pod (the config
/// joins the pod's namespaces) and the run.husk.network/ip/ports/dns annotations (a pod of the
/// container's own, made first and removed on failure), then createContainer, then records
/// the member.
[[nodiscard]] Result<pid_t> createMember(const GlobalOptions &g, const CreateOptions &o);
/// `delete`: deleteContainer, then forgets the member in its pod and removes a pod the
/// container owned (also, with force, when the container's state was never written).
[[nodiscard]] Result<void> deleteMember(const GlobalOptions &g, const std::string &id, bool force);

/// Removes the pod container id owns, if there is one (delete, and a failed create): one whose
/// pod.json names id its owner, or, with ownerKnown (the container's own annotations asked for
/// the pod), the pod named id even when its pod.json cannot be read.
void removeOwnedPod(const GlobalOptions &g, const std::string &id, bool ownerKnown = false);

/// Starts the pause process and (bridge mode) its networking; returns the record.
[[nodiscard]] Result<PodRecord> createPod(const GlobalOptions &g, const PodCreateOptions &o);
/// Every pod under the root, with whether its pause process still runs.
[[nodiscard]] Result<std::vector<std::pair<PodRecord, bool>>> listPods(const GlobalOptions &g);
/// One pod's record.
[[nodiscard]] Result<PodRecord> inspectPod(const GlobalOptions &g, const std::string &name);
/// Signals the members in reverse join order (TERM, KILL after timeoutSeconds), then the pause.
[[nodiscard]] Result<void> stopPod(const GlobalOptions &g, const std::string &name,
                                   int timeoutSeconds);
/// Recreates member id from its bundle (the config as it is now): stops it like stopPod, deletes
/// it, creates it in the pod again and starts it. Its stdio is the caller's, as with create.
/// Returns the new init's pid.
[[nodiscard]] Result<pid_t> restartMember(const GlobalOptions &g, const std::string &name,
                                          const std::string &id, int timeoutSeconds);
/// Removes the members (delete --force), the pause, the networking and the state.
/// Idempotent; without force a running member is an error.
[[nodiscard]] Result<void> removePod(const GlobalOptions &g, const std::string &name, bool force);

/// For `create --pod NAME` (or the run.husk.pod annotation): points the config's network, IPC
/// and UTS (and PID) namespaces at the pause process and drops a hostname of its own (the pod
/// has one). Returns the pod's name to record the member under once create succeeds.
[[nodiscard]] Result<void> joinPodConfig(const GlobalOptions &g, const std::string &name,
                                         spec::Config &config);
/// Records id as a member of the pod (after a successful create).
[[nodiscard]] Result<void> addMember(const GlobalOptions &g, const std::string &name,
                                     const std::string &id);
/// Forgets id as a member (after delete); quiet when the pod or the member is gone.
void removeMember(const GlobalOptions &g, const std::string &name, const std::string &id);

/// Replaces the calling process with husk's embedded pause image (a few KiB, run from a sealed
/// memfd). Returns only where there is no image for this machine or the exec fails (a memfd
/// exec forbidden by vm.memfd_noexec); runPause is the fallback.
void execPauseImage();

/// The pause process: PID 1 of its PID namespace when it has one, reaping zombies; exits 0 on
/// SIGTERM or SIGINT. Never returns.
[[noreturn]] void runPause();

} // namespace husk::pod
