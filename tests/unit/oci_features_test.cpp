// libcontainer/introspect/features.h: the structure has what features.md requires, and every name
// it advertises is one the config parsers accept (the promise a caller relies on).

#define BOOST_TEST_MODULE oci_features
#include "tests/unit/libcontainer_test_helpers.h"

#include <algorithm>
#include <cerrno>
#include <functional>
#include <string>
#include <vector>

#include "libcontainer/security/capabilities.h"
#include "libcontainer/security/landlock.h"
#include "libcontainer/introspect/features.h"
#include "libcontainer/process/attrs/attrs.h"
#include "libcontainer/rootfs/mount_plan.h"
#include "libcontainer/security/seccomp/filter.h"
#include "spec/parse.h"

using namespace husk;
using namespace lc_test;
using Json = nlohmann::ordered_json;

namespace {

const BuildInfo kBuild{"9.8.7", "0123456789ab"};

std::vector<std::string> strings(const Json &array)
{
    BOOST_REQUIRE(array.is_array());
    std::vector<std::string> out;
    for (const Json &v : array)
        out.push_back(v.get<std::string>());
    return out;
}

bool contains(const std::vector<std::string> &list, const std::string &item)
{
    return std::find(list.begin(), list.end(), item) != list.end();
}

// A filter that allows everything but one rule, compiled (never loaded).
Result<SeccompProgram> compileWith(const std::function<void(spec::Seccomp &)> &edit)
{
    spec::Seccomp s;
    s.defaultAction = "SCMP_ACT_ALLOW";
    s.syscalls.push_back({{"getcwd"}, "SCMP_ACT_ERRNO", std::nullopt, {}});
    edit(s);
    return compileSeccomp(s);
}

} // namespace

BOOST_AUTO_TEST_SUITE(structure)

BOOST_AUTO_TEST_CASE(has_the_required_and_expected_keys)
{
    Json f = featuresJson(kBuild);
    BOOST_TEST(f["ociVersionMin"] == "1.0.0");
    BOOST_TEST(f["ociVersionMax"] == spec::kSpecVersion);
    BOOST_TEST(require(spec::parseConfigText(R"({"ociVersion": ")" +
                                             f["ociVersionMax"].get<std::string>() +
                                             R"(", "root": {"path": "rootfs"}})"))
                   .ociVersion == spec::kSpecVersion);
    for (const char *key : {"hooks", "mountOptions"})
        BOOST_TEST(!f[key].empty(), key);
    const Json &l = f["linux"];
    for (const char *key : {"namespaces", "capabilities"})
        BOOST_TEST(!l[key].empty(), key);
    for (const char *key : {"v1", "v2", "systemd", "systemdUser", "rdma"})
        BOOST_TEST(l["cgroup"][key].is_boolean(), key);
    for (const char *key : {"actions", "operators", "archs", "knownFlags", "supportedFlags"})
        BOOST_TEST(l["seccomp"][key].is_array(), key);
    BOOST_TEST(l["seccomp"]["enabled"] == true);
    BOOST_TEST(l["apparmor"]["enabled"].is_boolean());
    BOOST_TEST(l["selinux"]["enabled"].is_boolean());
    BOOST_TEST(l["intelRdt"]["enabled"].is_boolean());
    BOOST_TEST(l["mountExtensions"]["idmap"]["enabled"] == true);
    BOOST_TEST(f["annotations"][kVersionAnnotation] == "9.8.7");
    BOOST_TEST(f["annotations"][kCommitAnnotation] == "0123456789ab");
    BOOST_TEST(f["annotations"][kLibseccompAnnotation] == libseccompVersion());
    BOOST_TEST(f["potentiallyUnsafeConfigAnnotations"].is_array());
}

BOOST_AUTO_TEST_CASE(spec_13_properties_only_from_13_on)
{
    // features.md: no property newer than ociVersionMax.
    Json v12 = featuresJson(kBuild, "1.2.0");
    BOOST_TEST(!v12["linux"].contains("memoryPolicy"));
    BOOST_TEST(!v12["linux"].contains("netDevices"));
    BOOST_TEST(!v12["linux"]["intelRdt"].contains("schemata"));
    BOOST_TEST(!v12["linux"]["intelRdt"].contains("monitoring"));
    Json v13 = featuresJson(kBuild, "1.3.0");
    BOOST_TEST(v13["ociVersionMax"] == "1.3.0");
    BOOST_TEST(v13["linux"]["memoryPolicy"]["modes"].size() == memoryPolicyModeNames().size());
    BOOST_TEST(v13["linux"]["memoryPolicy"]["flags"].size() == memoryPolicyFlagNames().size());
    BOOST_TEST(v13["linux"]["netDevices"]["enabled"].is_boolean());
    BOOST_TEST(v13["linux"]["intelRdt"]["schemata"].is_boolean());
    BOOST_TEST(v13["linux"]["intelRdt"]["monitoring"].is_boolean());
}

BOOST_AUTO_TEST_CASE(the_unsafe_annotation_is_one_husk_reads)
{
    Json f = featuresJson(kBuild);
    BOOST_TEST(strings(f["potentiallyUnsafeConfigAnnotations"]) ==
               std::vector<std::string>{spec::kLandlockAnnotation});
    nlohmann::json config = {{"annotations",
                              {{spec::kLandlockAnnotation,
                                R"({"handledAccess": {"handledAccessFS": ["read_file"]}})"}}}};
    auto plan = require(spec::landlockFromConfig(config));
    BOOST_REQUIRE(plan.has_value());
    BOOST_TEST(plan->handledFs == spec::kLandlockFsReadFile);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(names_are_accepted)

BOOST_AUTO_TEST_CASE(every_mount_option_is_recognized)
{
    std::vector<std::string> options = strings(featuresJson(kBuild)["mountOptions"]);
    BOOST_TEST(std::is_sorted(options.begin(), options.end()));
    for (const std::string &o : options) {
        auto parsed = require(rootfs::parseMountOptions({o}));
        // An unknown option would have become filesystem data.
        BOOST_TEST(parsed.data.empty(), o);
    }
    // The runtime-spec's own list (config.md), less acl/noacl, which are filesystem data.
    for (const char *o : {"async",
                          "atime",
                          "bind",
                          "defaults",
                          "dev",
                          "diratime",
                          "dirsync",
                          "exec",
                          "iversion",
                          "lazytime",
                          "loud",
                          "mand",
                          "noatime",
                          "nodev",
                          "nodiratime",
                          "noexec",
                          "noiversion",
                          "nolazytime",
                          "nomand",
                          "norelatime",
                          "nostrictatime",
                          "nosuid",
                          "nosymfollow",
                          "private",
                          "ratime",
                          "rbind",
                          "rdev",
                          "rdiratime",
                          "relatime",
                          "remount",
                          "rexec",
                          "rnoatime",
                          "rnodev",
                          "rnodiratime",
                          "rnoexec",
                          "rnorelatime",
                          "rnostrictatime",
                          "rnosuid",
                          "rnosymfollow",
                          "ro",
                          "rprivate",
                          "rrelatime",
                          "rro",
                          "rrw",
                          "rshared",
                          "rslave",
                          "rstrictatime",
                          "rsuid",
                          "rsymfollow",
                          "runbindable",
                          "rw",
                          "shared",
                          "silent",
                          "slave",
                          "strictatime",
                          "suid",
                          "symfollow",
                          "sync",
                          "tmpcopyup",
                          "unbindable",
                          "idmap",
                          "ridmap"})
        BOOST_TEST(contains(options, o), o);
}

BOOST_AUTO_TEST_CASE(every_hook_kind_parses)
{
    for (const std::string &name : strings(featuresJson(kBuild)["hooks"])) {
        spec::Config c =
            configFromText(R"({"ociVersion": "1.2.0", "root": {"path": "rootfs"}, "hooks": {")" +
                           name + R"(": [{"path": "/bin/true"}]}})");
        BOOST_REQUIRE(c.hooks.has_value());
        size_t filled = 0;
        for (const spec::HookKind &kind : spec::kHookKinds)
            filled += ((*c.hooks).*kind.member).size();
        BOOST_TEST(filled == 1u, name);
    }
}

BOOST_AUTO_TEST_CASE(every_namespace_parses)
{
    std::vector<std::string> names = strings(featuresJson(kBuild)["linux"]["namespaces"]);
    BOOST_TEST(names.size() == 8u);
    for (const std::string &n : names) {
        auto type = spec::namespaceTypeFromName(n);
        BOOST_REQUIRE_MESSAGE(type.has_value(), n);
        BOOST_TEST(spec::namespaceTypeName(*type) == n);
    }
}

BOOST_AUTO_TEST_CASE(every_capability_parses)
{
    std::vector<std::string> names = strings(featuresJson(kBuild)["linux"]["capabilities"]);
    BOOST_TEST(contains(names, "CAP_SYS_ADMIN"));
    BOOST_TEST(contains(names, "CAP_CHECKPOINT_RESTORE"));
    for (const std::string &n : names)
        BOOST_TEST(capabilityFromName(n).has_value(), n);
    spec::Capabilities caps;
    caps.bounding = names;
    CapSets sets = require(capabilitySets(caps, lastKnownCapability()));
    BOOST_TEST(sets.bounding == (lastKnownCapability() == 63
                                     ? ~uint64_t{0}
                                     : (uint64_t{1} << (lastKnownCapability() + 1)) - 1));
}

BOOST_AUTO_TEST_CASE(every_seccomp_action_compiles)
{
    for (const std::string &action : strings(featuresJson(kBuild)["linux"]["seccomp"]["actions"])) {
        auto r = compileWith([&](spec::Seccomp &s) {
            s.syscalls[0].action = action;
            s.listenerPath = "/run/agent.sock"; // SCMP_ACT_NOTIFY needs one
        });
        BOOST_TEST(r.has_value(), action << ": " << (r ? "" : r.error().what()));
        // As the default action too, where the spec allows it.
        if (action != "SCMP_ACT_NOTIFY") {
            auto d = compileWith([&](spec::Seccomp &s) { s.defaultAction = action; });
            BOOST_TEST(d.has_value(), action << " as default: " << (d ? "" : d.error().what()));
        }
    }
}

BOOST_AUTO_TEST_CASE(every_seccomp_operator_arch_and_flag_compiles)
{
    const Json f = featuresJson(kBuild);
    const Json &sc = f["linux"]["seccomp"];
    for (const std::string &op : strings(sc["operators"])) {
        auto r = compileWith([&](spec::Seccomp &s) { s.syscalls[0].args = {{0, 1, 1, op}}; });
        BOOST_TEST(r.has_value(), op << ": " << (r ? "" : r.error().what()));
    }
    // Every architecture is recognized; those of the other byte order cannot join this host's
    // filter (libseccomp's EDOM), which must be said as such, never as "unknown".
    size_t compiled = 0;
    for (const std::string &arch : strings(sc["archs"])) {
        auto r = compileWith([&](spec::Seccomp &s) { s.architectures = {arch}; });
        compiled += r.has_value();
        if (!r) {
            BOOST_TEST(r.error().code() == EDOM, arch << ": " << r.error().what());
            BOOST_TEST(r.error().what().find("other byte order") != std::string::npos, arch);
        }
    }
    BOOST_TEST(compiled >= 1u); // at least the host's own
    for (const std::string &flag : strings(sc["knownFlags"])) {
        auto r = compileWith([&](spec::Seccomp &s) { s.flags = {flag}; });
        BOOST_TEST(r.has_value(), flag << ": " << (r ? "" : r.error().what()));
        BOOST_TEST(r->flags != 0u, flag);
    }
}

BOOST_AUTO_TEST_CASE(supported_flags_are_known_flags_the_kernel_takes)
{
    const Json f = featuresJson(kBuild);
    const Json &sc = f["linux"]["seccomp"];
    std::vector<std::string> known = strings(sc["knownFlags"]);
    for (const std::string &flag : strings(sc["supportedFlags"])) {
        BOOST_TEST(contains(known, flag), flag);
        BOOST_TEST(seccompFlagSupported(flag), flag);
    }
    BOOST_TEST(!seccompFlagSupported("SECCOMP_FILTER_FLAG_NONSENSE"));
}

BOOST_AUTO_TEST_CASE(every_memory_policy_name_plans)
{
    const Json f = featuresJson(kBuild, "1.3.0");
    const Json &mp = f["linux"]["memoryPolicy"];
    for (const std::string &mode : strings(mp["modes"])) {
        // Some modes need nodes and some refuse them: one of the two must plan.
        bool planned = planMemoryPolicy({mode, "", {}}).has_value() ||
                       planMemoryPolicy({mode, "0", {}}).has_value();
        BOOST_TEST(planned, mode);
    }
    for (const std::string &flag : strings(mp["flags"])) {
        auto r = planMemoryPolicy({"MPOL_BIND", "0", {flag}});
        BOOST_TEST(r.has_value(), flag << ": " << (r ? "" : r.error().what()));
    }
}

BOOST_AUTO_TEST_SUITE_END()
