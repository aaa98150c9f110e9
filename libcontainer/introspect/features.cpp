#include "libcontainer/introspect/features.h"

#include <charconv>
#include <functional>
#include <string_view>
#include <vector>

#include "libcontainer/security/capabilities.h"
#include "libcontainer/security/landlock.h"
#include "libcontainer/process/attrs/attrs.h"
#include "libcontainer/rootfs/mount_plan.h"
#include "libcontainer/security/seccomp/filter.h"
#include "libcontainer/introspect/supported.h"
#include "spec/config.h"

namespace husk {

namespace {

using Json = nlohmann::ordered_json;

Json names(const std::vector<std::string_view> &list)
{
    Json out = Json::array();
    for (std::string_view n : list)
        out.push_back(n);
    return out;
}

// Whether create accepts a config whose linux section sets what `set` sets: the booleans then
// follow supported.cpp instead of restating it.
bool accepted(const std::function<void(spec::Linux &)> &set)
{
    spec::Config config;
    config.linux.emplace();
    set(*config.linux);
    return checkSupported(config).has_value();
}

Json cgroupFeatures()
{
    const bool rdma = accepted([](spec::Linux &l) { l.resources.emplace().rdma["mlx5_0"] = {}; });
    // --systemd-cgroup uses the system bus only (no user bus for rootless containers).
    return Json{
        {"v1", true}, {"v2", true}, {"systemd", true}, {"systemdUser", false}, {"rdma", rdma}};
}

Json seccompFeatures()
{
    const SeccompNames vocabulary = seccompNames();
    std::vector<std::string_view> supported;
    for (std::string_view flag : vocabulary.flags)
        if (seccompFlagSupported(flag))
            supported.push_back(flag);
    return Json{{"enabled", true},
                {"actions", names(vocabulary.actions)},
                {"operators", names(vocabulary.operators)},
                {"archs", names(vocabulary.archs)},
                {"knownFlags", names(vocabulary.flags)},
                {"supportedFlags", names(supported)}};
}

// What features-linux.md of a version defines: 1.3.0 added memoryPolicy, netDevices and
// intelRdt's schemata and monitoring.
bool hasSpec13Features(std::string_view version)
{
    int major = 0, minor = 0;
    const char *end = version.data() + version.size();
    auto [afterMajor, e1] = std::from_chars(version.data(), end, major);
    if (e1 != std::errc() || afterMajor == end || *afterMajor != '.')
        return false;
    if (std::from_chars(afterMajor + 1, end, minor).ec != std::errc())
        return false;
    return major > 1 || (major == 1 && minor >= 3);
}

Json intelRdtFeatures(bool spec13)
{
    Json rdt{{"enabled", accepted([](spec::Linux &l) { l.intelRdt.emplace(); })}};
    if (spec13) {
        rdt["schemata"] =
            accepted([](spec::Linux &l) { l.intelRdt.emplace().schemata = {"L3:0=ff"}; });
        rdt["monitoring"] =
            accepted([](spec::Linux &l) { l.intelRdt.emplace().enableMonitoring = true; });
    }
    return rdt;
}

Json linuxFeatures(bool spec13)
{
    std::vector<std::string_view> namespaces;
    for (spec::NamespaceType t : spec::kNamespaceTypes)
        namespaces.push_back(spec::namespaceTypeName(t));
    std::vector<std::string_view> capabilities;
    for (int cap = 0; cap <= lastKnownCapability(); ++cap)
        capabilities.push_back(capabilityName(cap));
    Json linux;
    linux["namespaces"] = names(namespaces);
    linux["capabilities"] = names(capabilities);
    linux["cgroup"] = cgroupFeatures();
    linux["seccomp"] = seccompFeatures();
    // Both LSMs are implemented (process/attrs, security/lsm); whether this host has them is `husk
    // check`'s.
    linux["apparmor"] = Json{{"enabled", true}};
    linux["selinux"] = Json{{"enabled", true}};
    if (spec13)
        linux["memoryPolicy"] = Json{{"modes", names(memoryPolicyModeNames())},
                                     {"flags", names(memoryPolicyFlagNames())}};
    linux["intelRdt"] = intelRdtFeatures(spec13);
    // mounts[].uidMappings/gidMappings are planned by rootfs/mount_plan and applied by idmap.
    linux["mountExtensions"] = Json{{"idmap", Json{{"enabled", true}}}};
    if (spec13)
        linux["netDevices"] =
            Json{{"enabled", accepted([](spec::Linux &l) { l.netDevices["eth0"] = {}; })}};
    return linux;
}

} // namespace

nlohmann::ordered_json featuresJson(const BuildInfo &build, std::string_view ociVersionMax)
{
    std::vector<std::string_view> hooks;
    for (const spec::HookKind &kind : spec::kHookKinds)
        hooks.push_back(kind.name);
    Json annotations;
    annotations[kVersionAnnotation] = build.version;
    annotations[kCommitAnnotation] = build.commit;
    if (std::string v = libseccompVersion(); !v.empty())
        annotations[kLibseccompAnnotation] = v;
    // The config annotation husk reads, announced as runc announces checkpointing.
    annotations[std::string(spec::kLandlockAnnotation) + ".enabled"] = "true";

    Json features;
    features["ociVersionMin"] = "1.0.0";
    features["ociVersionMax"] = ociVersionMax;
    features["hooks"] = names(hooks);
    features["mountOptions"] = names(rootfs::knownMountOptions());
    features["linux"] = linuxFeatures(hasSpec13Features(ociVersionMax));
    features["annotations"] = annotations;
    // It makes husk enforce a Landlock policy and, in strict mode, can fail create: an
    // orchestrator that passes untrusted annotations through should know about it.
    features["potentiallyUnsafeConfigAnnotations"] = Json::array({spec::kLandlockAnnotation});
    return features;
}

} // namespace husk
