// Semantic validation (spec/validate.h).

#include "tests/unit/spec_test_helpers.h"

#include <sys/resource.h>

#include <limits>
#include <string>

#include "spec/config.h"
#include "spec/parse.h"
#include "spec/validate.h"

using namespace husk;
using namespace husk::spec;
using namespace spec_test;

BOOST_AUTO_TEST_SUITE(validation)

BOOST_AUTO_TEST_CASE(minimal_is_valid)
{
    expectValid(minimal());
}

BOOST_AUTO_TEST_CASE(oci_versions)
{
    for (const char *ok :
         {"1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.0.2-dev", "1.3.0+dev", "1.0.0-rc.1", "1.10.20"})
        BOOST_TEST(validateOciVersion(ok).has_value(), ok);

    auto err = [](const char *v) {
        Result<void> r = validateOciVersion(v);
        return r ? std::string("ok") : r.error().what();
    };
    BOOST_TEST(err("0.5.0") ==
               "ociVersion: unsupported version \"0.5.0\": husk implements runtime-spec 1.x");
    BOOST_TEST(err("2.0.0") ==
               "ociVersion: unsupported version \"2.0.0\": husk implements runtime-spec 1.x");
    BOOST_TEST(err("garbage") ==
               "ociVersion: \"garbage\" is not a semantic version (MAJOR.MINOR.PATCH)");
    BOOST_TEST(err("1.0") == "ociVersion: \"1.0\" is not a semantic version (MAJOR.MINOR.PATCH)");
    BOOST_TEST(err("") == "ociVersion: \"\" is not a semantic version (MAJOR.MINOR.PATCH)");
    BOOST_TEST(err("01.0.0") ==
               "ociVersion: \"01.0.0\" is not a semantic version (MAJOR.MINOR.PATCH)");
    BOOST_TEST(err("1.0.0-") ==
               "ociVersion: \"1.0.0-\" is not a semantic version (bad pre-release)");
    BOOST_TEST(err("1.0.0+") ==
               "ociVersion: \"1.0.0+\" is not a semantic version (bad build metadata)");

    json d = minimal();
    d["ociVersion"] = "2.0.0";
    BOOST_TEST(validateError(d) ==
               "ociVersion: unsupported version \"2.0.0\": husk implements runtime-spec 1.x");
}

BOOST_AUTO_TEST_CASE(namespaces)
{
    json d = minimal();
    d["linux"]["namespaces"].push_back({{"type", "pid"}});
    BOOST_TEST(validateError(d) == "linux.namespaces[3].type: duplicate namespace \"pid\"");

    d = minimal();
    d["linux"]["namespaces"][0]["path"] = "proc/1/ns/pid";
    BOOST_TEST(validateError(d) ==
               "linux.namespaces[0].path: \"proc/1/ns/pid\" is not an absolute path");

    d = minimal();
    d["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
    BOOST_TEST(validateError(d) == "linux.uidMappings: mappings given without a user namespace");

    d = minimal();
    d["linux"]["namespaces"].push_back({{"type", "user"}});
    BOOST_TEST(validateError(d) ==
               "linux.namespaces[3]: new user namespace without linux.uidMappings or "
               "linux.gidMappings");
    d["linux"]["namespaces"][3]["path"] = "/proc/1/ns/user";
    expectValid(d);
    d["linux"]["namespaces"][3].erase("path");
    d["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 0}}};
    BOOST_TEST(validateError(d) == "linux.uidMappings[0].size: must be greater than zero");
    d["linux"]["uidMappings"][0]["size"] = 1;
    d["linux"]["gidMappings"] = d["linux"]["uidMappings"];
    expectValid(d);

    d = minimal();
    d["linux"]["timeOffsets"] = {{"monotonic", {{"secs", 1}}}};
    BOOST_TEST(validateError(d) == "linux.timeOffsets: offsets given without a time namespace");
    d["linux"]["namespaces"].push_back({{"type", "time"}});
    expectValid(d);
    d["linux"]["timeOffsets"] = {{"realtime", {{"secs", 1}}}};
    BOOST_TEST(validateError(d) ==
               "linux.timeOffsets.realtime: unknown clock \"realtime\" (monotonic or boottime)");
    d["linux"]["timeOffsets"] = {{"boottime", {{"nanosecs", 1000000000}}}};
    BOOST_TEST(validateError(d) ==
               "linux.timeOffsets.boottime.nanosecs: must be less than 1000000000");
}

BOOST_AUTO_TEST_CASE(hostname_needs_uts)
{
    json d = minimal();
    d["linux"]["namespaces"].erase(1); // uts
    BOOST_TEST(validateError(d) == "hostname: cannot set hostname without a UTS namespace");
    d["hostname"] = "";
    expectValid(d);
    d["domainname"] = "example.com";
    BOOST_TEST(validateError(d) == "domainname: cannot set domainname without a UTS namespace");
}

BOOST_AUTO_TEST_CASE(rlimits)
{
    json d = minimal();
    d["process"]["rlimits"].push_back({{"type", "RLIMIT_NOFILE"}, {"hard", 1}, {"soft", 1}});
    BOOST_TEST(validateError(d) == "process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\"");

    d = minimal();
    d["process"]["rlimits"][0]["type"] = "RLIMIT_FOO";
    BOOST_TEST(validateError(d) == "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"");

    d = minimal();
    d["process"]["rlimits"][0]["soft"] = 2048;
    BOOST_TEST(validateError(d) ==
               "process.rlimits[0]: soft limit 2048 is greater than hard limit 1024");

    d = minimal();
    d["process"]["rlimits"][0]["soft"] = std::numeric_limits<uint64_t>::max();
    d["process"]["rlimits"][0]["hard"] = std::numeric_limits<uint64_t>::max();
    expectValid(d);

    BOOST_TEST(rlimitResource("RLIMIT_NOFILE").value() == RLIMIT_NOFILE);
    BOOST_TEST(rlimitResource("RLIMIT_RTTIME").value() == RLIMIT_RTTIME);
    BOOST_TEST(!rlimitResource("NOFILE"));
}

BOOST_AUTO_TEST_CASE(process_rules)
{
    json d = minimal();
    d["process"]["cwd"] = "tmp";
    BOOST_TEST(validateError(d) == "process.cwd: \"tmp\" is not an absolute path");
    d["process"]["cwd"] = "";
    BOOST_TEST(validateError(d) == "process.cwd: must not be empty");

    d = minimal();
    d["process"]["args"] = json::array();
    BOOST_TEST(validateError(d) == "process.args: must not be empty");
    d["process"].erase("args");
    BOOST_TEST(validateError(d) == "process.args: must not be empty");

    d = minimal();
    d["process"]["oomScoreAdj"] = 1001;
    BOOST_TEST(validateError(d) == "process.oomScoreAdj: value 1001 out of range [-1000, 1000]");

    d = minimal();
    d["process"]["scheduler"] = {{"policy", "SCHED_FAST"}};
    BOOST_TEST(validateError(d) == "process.scheduler.policy: unknown policy \"SCHED_FAST\"");
    d["process"]["scheduler"] = {{"policy", "SCHED_OTHER"}, {"priority", 5}};
    BOOST_TEST(validateError(d) ==
               "process.scheduler.priority: only allowed with SCHED_FIFO or SCHED_RR, not "
               "SCHED_OTHER");
    d["process"]["scheduler"] = {{"policy", "SCHED_BATCH"}, {"nice", 20}};
    BOOST_TEST(validateError(d) == "process.scheduler.nice: value 20 out of range [-20, 19]");
    d["process"]["scheduler"] = {{"policy", "SCHED_DEADLINE"}, {"runtime", 1}, {"deadline", 2}};
    expectValid(d);

    d = minimal();
    d["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_BE"}, {"priority", 8}};
    BOOST_TEST(validateError(d) == "process.ioPriority.priority: value 8 out of range [0, 7]");

    d = minimal();
    d["process"]["execCPUAffinity"] = {{"initial", "0-3;7"}};
    BOOST_TEST(validateError(d) == "process.execCPUAffinity.initial: invalid CPU list \"0-3;7\"");

    // Windows-only commandLine is ignored with a warning, as runc.
    d = minimal();
    d["process"]["commandLine"] = "cmd.exe /c dir";
    expectValid(d);

    // No process at create is allowed (runtime.md needs it at start).
    d = minimal();
    d.erase("process");
    expectValid(d);
}

BOOST_AUTO_TEST_CASE(paths_and_mounts)
{
    json d = minimal();
    d["root"]["path"] = "";
    BOOST_TEST(validateError(d) == "root.path: must not be empty");

    Config built = *parseConfig(minimal());
    built.mounts[0].destination = "proc";
    Result<void> v = validate(built);
    BOOST_REQUIRE(!v);
    BOOST_TEST(v.error().what() == "mounts[0].destination: \"proc\" is not an absolute path");

    d = minimal();
    d["mounts"][0]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1}, {"size", 1}}};
    BOOST_TEST(validateError(d) == "mounts[0]: uidMappings and gidMappings must be given together");

    d = minimal();
    d["mounts"].push_back(
        {{"destination", "/data"}, {"source", "/srv"}, {"options", {"bind", "idmap"}}});
    BOOST_TEST(validateError(d) ==
               "mounts[1].options: idmap without uidMappings/gidMappings needs a user namespace");

    d = minimal();
    d["linux"]["maskedPaths"] = {"/proc/kcore", "proc/keys"};
    BOOST_TEST(validateError(d) == "linux.maskedPaths[1]: \"proc/keys\" is not an absolute path");

    d = minimal();
    d["linux"]["readonlyPaths"] = {"/proc/sys"};
    d["linux"]["namespaces"].erase(2); // mount
    BOOST_TEST(validateError(d) == "linux.readonlyPaths: requires a mount namespace");

    d = minimal();
    d["hooks"] = {{"createRuntime", {{{"path", "/bin/true"}}, {{"path", "hook.sh"}}}}};
    BOOST_TEST(validateError(d) ==
               "hooks.createRuntime[1].path: \"hook.sh\" is not an absolute path");
    d["hooks"] = {{"poststop", {{{"path", "/bin/true"}, {"timeout", 0}}}}};
    BOOST_TEST(validateError(d) == "hooks.poststop[0].timeout: must be greater than zero, got 0");

    d = minimal();
    d["annotations"] = {{"", "x"}};
    BOOST_TEST(validateError(d) == "annotations: keys must not be empty");
}

BOOST_AUTO_TEST_CASE(linux_rules)
{
    json d = minimal();
    d["linux"]["sysctl"] = {{"vm.swappiness", "10"}};
    BOOST_TEST(validateError(d) ==
               "linux.sysctl[\"vm.swappiness\"]: \"vm.swappiness\" is not in a separate kernel "
               "namespace");
    d["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
    BOOST_TEST(validateError(d) ==
               "linux.sysctl[\"net.ipv4.ip_forward\"]: not allowed without a network namespace");
    d["linux"]["namespaces"].push_back({{"type", "network"}});
    expectValid(d);
    d["linux"]["sysctl"] = {{"kernel/shmmax", "1"}};
    BOOST_TEST(validateError(d) ==
               "linux.sysctl[\"kernel/shmmax\"]: not allowed without an IPC namespace");
    d["linux"]["sysctl"] = {{"kernel.hostname", "x"}};
    BOOST_TEST(validateError(d) == "linux.sysctl[\"kernel.hostname\"]: conflicts with the "
                                   "\"hostname\" field; set that instead");
    d["linux"]["sysctl"] = {{"kernel.domainname", "x"}};
    expectValid(d);

    d = minimal();
    d["linux"]["devices"] = {{{"type", "x"}, {"path", "/dev/x"}, {"major", 1}, {"minor", 1}}};
    BOOST_TEST(validateError(d) ==
               "linux.devices[0].type: unknown device type \"x\" (c, b, u or p)");
    d["linux"]["devices"] = {{{"type", "c"}, {"path", "dev/x"}, {"major", 1}, {"minor", 1}}};
    BOOST_TEST(validateError(d) == "linux.devices[0].path: \"dev/x\" is not an absolute path");

    d = minimal();
    d["linux"]["rootfsPropagation"] = "rprivatee";
    BOOST_TEST(validateError(d) == "linux.rootfsPropagation: unknown propagation \"rprivatee\"");

    d = minimal();
    d["linux"]["resources"] = {{"devices", {{{"allow", true}, {"access", "rwx"}}}}};
    BOOST_TEST(validateError(d) ==
               "linux.resources.devices[0].access: invalid access \"rwx\" (a subset of rwm)");
    d["linux"]["resources"] = {{"hugepageLimits", {{{"pageSize", "2M"}, {"limit", 1}}}}};
    BOOST_TEST(validateError(d) == "linux.resources.hugepageLimits[0].pageSize: invalid page "
                                   "size \"2M\" (like 2MB or 1GB)");
    d["linux"]["resources"] = {{"cpu", {{"quota", 1000}, {"burst", 2000}}}};
    BOOST_TEST(validateError(d) == "linux.resources.cpu.burst: must not be larger than quota");
    d["linux"]["resources"] = {{"rdma", {{"mlx4", json::object()}}}};
    BOOST_TEST(validateError(d) == "linux.resources.rdma.mlx4: needs hcaHandles or hcaObjects");

    d = minimal();
    d["linux"]["personality"] = {{"domain", "LINUX64"}};
    BOOST_TEST(validateError(d) ==
               "linux.personality.domain: unknown domain \"LINUX64\" (LINUX or LINUX32)");

    d = minimal();
    d["linux"]["memoryPolicy"] = {{"mode", "MPOL_BIND"}};
    BOOST_TEST(validateError(d) == "linux.memoryPolicy.nodes: MPOL_BIND needs at least one node");
    d["linux"]["memoryPolicy"] = {{"mode", "MPOL_LOCAL"}, {"nodes", "0"}};
    BOOST_TEST(validateError(d) == "linux.memoryPolicy.nodes: MPOL_LOCAL takes no nodes");

    d = minimal();
    d["linux"]["intelRdt"] = {{"closID", "a/b"}};
    BOOST_TEST(validateError(d) == "linux.intelRdt.closID: invalid CLOS id \"a/b\"");
    d["linux"]["intelRdt"] = {{"closID", "/"}, {"memBwSchema", "L3:0=1"}};
    BOOST_TEST(validateError(d) == "linux.intelRdt.memBwSchema: must start with \"MB:\"");

    d = minimal();
    d["linux"]["netDevices"] = {{"eth0", json::object()}};
    BOOST_TEST(validateError(d) == "linux.netDevices: requires a network namespace");
    d["linux"]["namespaces"].push_back({{"type", "network"}});
    expectValid(d);
    d["linux"]["netDevices"] = {{"eth0", {{"name", "a-very-long-name0"}}}};
    BOOST_TEST(validateError(d) ==
               "linux.netDevices.eth0.name: invalid network device name \"a-very-long-name0\"");
}

BOOST_AUTO_TEST_SUITE_END()
