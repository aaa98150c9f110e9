#define BOOST_TEST_MODULE spec
#include "tests/unit/spec_test_helpers.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>

#include "spec/config.h"
#include "spec/parse.h"
#include "spec/validate.h"

using namespace husk;
using namespace husk::spec;
using namespace spec_test;

namespace {

// `runc spec` (runc 1.1.5) output, plus a rich linux section, hooks and annotations.
const char *fullConfig = R"json({
	"ociVersion": "1.2.0",
	"process": {
		"terminal": true,
		"consoleSize": {"height": 25, "width": 80},
		"user": {"uid": 1000, "gid": 1001, "umask": 18, "additionalGids": [5, 6]},
		"args": ["sh", "-c", "echo hi"],
		"env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
		"cwd": "/root",
		"capabilities": {
			"bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"effective": ["CAP_AUDIT_WRITE", "CAP_KILL"],
			"inheritable": ["CAP_KILL"],
			"permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"ambient": ["CAP_NET_BIND_SERVICE"]
		},
		"rlimits": [
			{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 512},
			{"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 18446744073709551615}
		],
		"noNewPrivileges": true,
		"apparmorProfile": "acme_secure_profile",
		"oomScoreAdj": -500,
		"selinuxLabel": "system_u:system_r:svirt_lxc_net_t:s0:c124,c675",
		"scheduler": {"policy": "SCHED_FIFO", "priority": 10, "flags": ["SCHED_FLAG_RESET_ON_FORK"]},
		"ioPriority": {"class": "IOPRIO_CLASS_IDLE", "priority": 4},
		"execCPUAffinity": {"initial": "7", "final": "0-3,7"}
	},
	"root": {"path": "rootfs", "readonly": true},
	"hostname": "runc",
	"domainname": "example.test",
	"mounts": [
		{"destination": "/proc", "type": "proc", "source": "proc"},
		{"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
		 "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
		{"destination": "/data", "type": "none", "source": "/volumes/testing",
		 "options": ["rbind", "rw", "idmap"],
		 "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
		 "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 65536}]}
	],
	"hooks": {
		"prestart": [{"path": "/usr/bin/fix-mounts", "args": ["fix-mounts", "arg1"], "env": ["key1=value1"]}],
		"createRuntime": [{"path": "/usr/bin/setup-network"}],
		"createContainer": [{"path": "/usr/bin/mount-hook"}],
		"startContainer": [{"path": "/usr/bin/refresh-ldcache"}],
		"poststart": [{"path": "/usr/bin/notify-start", "timeout": 5}],
		"poststop": [{"path": "/usr/sbin/cleanup.sh", "args": ["cleanup.sh", "-f"]}]
	},
	"annotations": {"com.example.gpu-cores": "2", "org.opencontainers.image.os": "linux"},
	"linux": {
		"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 32000}],
		"gidMappings": [{"containerID": 0, "hostID": 2000, "size": 32000}],
		"timeOffsets": {"monotonic": {"secs": -86400, "nanosecs": 500}, "boottime": {"secs": 7}},
		"sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmax": "4096"},
		"resources": {
			"devices": [
				{"allow": false, "access": "rwm"},
				{"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"}
			],
			"memory": {"limit": 536870912, "reservation": 268435456, "swap": -1, "kernel": -1,
			           "kernelTCP": 1024, "swappiness": 0, "disableOOMKiller": true,
			           "useHierarchy": false, "checkBeforeUpdate": true},
			"cpu": {"shares": 1024, "quota": 1000000, "burst": 100000, "period": 500000,
			        "realtimeRuntime": 950000, "realtimePeriod": 1000000, "cpus": "2-3",
			        "mems": "0-7", "idle": 0},
			"pids": {"limit": 32771},
			"blockIO": {
				"weight": 10, "leafWeight": 11,
				"weightDevice": [{"major": 8, "minor": 0, "weight": 500, "leafWeight": 300},
				                 {"major": 8, "minor": 16, "weight": 500}],
				"throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 600}],
				"throttleWriteBpsDevice": [{"major": 8, "minor": 16, "rate": 700}],
				"throttleReadIOPSDevice": [{"major": 8, "minor": 32, "rate": 800}],
				"throttleWriteIOPSDevice": [{"major": 8, "minor": 48, "rate": 900}]
			},
			"hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}, {"pageSize": "64KB", "limit": 1000000}],
			"network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 500}]},
			"rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}},
			"unified": {"io.max": "8:0 rbps=1024", "memory.high": "max"}
		},
		"cgroupsPath": "/myRuntime/myContainer",
		"namespaces": [
			{"type": "pid"}, {"type": "network", "path": "/var/run/netns/neta"}, {"type": "ipc"},
			{"type": "uts"}, {"type": "mount"}, {"type": "user"}, {"type": "cgroup"}, {"type": "time"}
		],
		"devices": [
			{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0},
			{"path": "/dev/myfifo", "type": "p"}
		],
		"seccomp": {
			"defaultAction": "SCMP_ACT_ERRNO",
			"defaultErrnoRet": 38,
			"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
			"flags": ["SECCOMP_FILTER_FLAG_LOG"],
			"listenerPath": "/run/seccomp-agent.socket",
			"listenerMetadata": "foo",
			"syscalls": [
				{"names": ["getcwd", "chmod"], "action": "SCMP_ACT_ALLOW"},
				{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
				 "args": [{"index": 0, "value": 18446744073709551615, "op": "SCMP_CMP_EQ"},
				          {"index": 1, "value": 255, "valueTwo": 4, "op": "SCMP_CMP_MASKED_EQ"}]}
			]
		},
		"rootfsPropagation": "rslave",
		"maskedPaths": ["/proc/kcore", "/proc/keys"],
		"readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger"],
		"mountLabel": "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811",
		"intelRdt": {"closID": "guaranteed_group", "l3CacheSchema": "L3:0=7f0;1=1f",
		             "memBwSchema": "MB:0=20;1=70", "schemata": ["L2:0=ff"], "enableCMT": true,
		             "enableMBM": false, "enableMonitoring": true},
		"personality": {"domain": "LINUX32", "flags": []},
		"memoryPolicy": {"mode": "MPOL_INTERLEAVE", "nodes": "0-3,7", "flags": ["MPOL_F_STATIC_NODES"]},
		"netDevices": {"eth1": {"name": "ctr1"}, "eth2": {}},
		"landlock": {"ruleset": {"handledAccessFS": ["execute"]}, "rules": {}}
	}
})json";

} // namespace

BOOST_AUTO_TEST_SUITE(parse)

BOOST_AUTO_TEST_CASE(full_config_top_level_and_process)
{
    Result<Config> r = parseConfigText(fullConfig);
    BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
    const Config &c = *r;
    BOOST_TEST(c.ociVersion == "1.2.0");
    BOOST_TEST(c.root.path == "rootfs");
    BOOST_TEST(c.root.readonly);
    BOOST_TEST(c.hostname == "runc");
    BOOST_TEST(c.domainname == "example.test");
    BOOST_TEST(c.annotations.size() == 2u);
    BOOST_TEST(c.annotations.at("com.example.gpu-cores") == "2");
    BOOST_TEST(c.raw == json::parse(fullConfig));

    BOOST_REQUIRE(c.process);
    const Process &p = *c.process;
    BOOST_TEST(p.terminal);
    BOOST_REQUIRE(p.consoleSize);
    BOOST_TEST(p.consoleSize->height == 25u);
    BOOST_TEST(p.consoleSize->width == 80u);
    BOOST_TEST(p.user.uid == 1000u);
    BOOST_TEST(p.user.gid == 1001u);
    BOOST_TEST(p.user.umask.value_or(0) == 18u);
    BOOST_TEST(p.user.additionalGids == (std::vector<uint32_t>{5, 6}),
               boost::test_tools::per_element());
    BOOST_TEST(p.args == (std::vector<std::string>{"sh", "-c", "echo hi"}),
               boost::test_tools::per_element());
    BOOST_TEST(p.env.size() == 2u);
    BOOST_TEST(p.env[1] == "TERM=xterm");
    BOOST_TEST(p.cwd == "/root");
    BOOST_REQUIRE(p.capabilities);
    BOOST_TEST(p.capabilities->bounding.size() == 3u);
    BOOST_TEST(p.capabilities->effective ==
                   (std::vector<std::string>{"CAP_AUDIT_WRITE", "CAP_KILL"}),
               boost::test_tools::per_element());
    BOOST_TEST(p.capabilities->inheritable == std::vector<std::string>{"CAP_KILL"},
               boost::test_tools::per_element());
    BOOST_TEST(p.capabilities->permitted.size() == 3u);
    BOOST_TEST(p.capabilities->ambient == std::vector<std::string>{"CAP_NET_BIND_SERVICE"},
               boost::test_tools::per_element());
    BOOST_REQUIRE(p.rlimits.size() == 2u);
    BOOST_TEST(p.rlimits[0].type == "RLIMIT_NOFILE");
    BOOST_TEST(p.rlimits[0].hard == 1024u);
    BOOST_TEST(p.rlimits[0].soft == 512u);
    BOOST_TEST(p.rlimits[1].hard == std::numeric_limits<uint64_t>::max());
    BOOST_TEST(p.rlimits[1].soft == std::numeric_limits<uint64_t>::max());
    BOOST_TEST(p.noNewPrivileges);
    BOOST_TEST(p.apparmorProfile.value_or("") == "acme_secure_profile");
    BOOST_TEST(p.oomScoreAdj.value_or(0) == -500);
    BOOST_TEST(p.selinuxLabel.value_or("") == "system_u:system_r:svirt_lxc_net_t:s0:c124,c675");
    BOOST_REQUIRE(p.scheduler);
    BOOST_TEST(p.scheduler->policy == "SCHED_FIFO");
    BOOST_TEST(p.scheduler->priority.value_or(0) == 10);
    BOOST_TEST(!p.scheduler->nice);
    BOOST_TEST(p.scheduler->flags == std::vector<std::string>{"SCHED_FLAG_RESET_ON_FORK"},
               boost::test_tools::per_element());
    BOOST_REQUIRE(p.ioPriority);
    BOOST_TEST(p.ioPriority->ioClass == "IOPRIO_CLASS_IDLE");
    BOOST_TEST(p.ioPriority->priority == 4);
    BOOST_REQUIRE(p.execCpuAffinity);
    BOOST_TEST(p.execCpuAffinity->initial == "7");
    BOOST_TEST(p.execCpuAffinity->final == "0-3,7");
    BOOST_TEST(!p.commandLine);

    BOOST_REQUIRE(c.mounts.size() == 3u);
    BOOST_TEST(c.mounts[0].destination == "/proc");
    BOOST_TEST(c.mounts[0].type == "proc");
    BOOST_TEST(c.mounts[0].source == "proc");
    BOOST_TEST(c.mounts[0].options.empty());
    BOOST_TEST(c.mounts[1].options.size() == 4u);
    BOOST_TEST(c.mounts[1].options[3] == "size=65536k");
    BOOST_REQUIRE(c.mounts[2].uidMappings.size() == 1u);
    BOOST_TEST(c.mounts[2].uidMappings[0].hostId == 100000u);
    BOOST_TEST(c.mounts[2].uidMappings[0].size == 65536u);
    BOOST_TEST(c.mounts[2].gidMappings[0].hostId == 200000u);

    BOOST_REQUIRE(c.hooks);
    BOOST_REQUIRE(c.hooks->prestart.size() == 1u);
    BOOST_TEST(c.hooks->prestart[0].path == "/usr/bin/fix-mounts");
    BOOST_TEST(c.hooks->prestart[0].args.size() == 2u);
    BOOST_TEST((*c.hooks->prestart[0].env)[0] == "key1=value1");
    BOOST_TEST(!c.hooks->prestart[0].timeout);
    BOOST_TEST(c.hooks->createRuntime[0].path == "/usr/bin/setup-network");
    BOOST_TEST(c.hooks->createContainer[0].path == "/usr/bin/mount-hook");
    BOOST_TEST(c.hooks->startContainer[0].path == "/usr/bin/refresh-ldcache");
    BOOST_TEST(c.hooks->poststart[0].timeout.value_or(0) == 5);
    BOOST_TEST(c.hooks->poststop[0].args[1] == "-f");
}

BOOST_AUTO_TEST_CASE(full_config_linux)
{
    Result<Config> r = parseConfigText(fullConfig);
    BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
    BOOST_REQUIRE(r->linux);
    const Linux &l = *r->linux;
    BOOST_TEST(l.uidMappings.size() == 1u);
    BOOST_TEST(l.uidMappings[0].containerId == 0u);
    BOOST_TEST(l.uidMappings[0].hostId == 1000u);
    BOOST_TEST(l.uidMappings[0].size == 32000u);
    BOOST_TEST(l.gidMappings[0].hostId == 2000u);
    BOOST_TEST(l.timeOffsets.at("monotonic").secs == -86400);
    BOOST_TEST(l.timeOffsets.at("monotonic").nanosecs == 500u);
    BOOST_TEST(l.timeOffsets.at("boottime").secs == 7);
    BOOST_TEST(l.timeOffsets.at("boottime").nanosecs == 0u);
    BOOST_TEST(l.sysctl.at("net.ipv4.ip_forward") == "1");
    BOOST_TEST(l.cgroupsPath == "/myRuntime/myContainer");

    BOOST_REQUIRE(l.namespaces.size() == 8u);
    BOOST_TEST((l.namespaces[0].type == NamespaceType::Pid));
    BOOST_TEST((l.namespaces[1].type == NamespaceType::Network));
    BOOST_TEST(l.namespaces[1].path == "/var/run/netns/neta");
    BOOST_TEST((l.namespaces[5].type == NamespaceType::User));
    BOOST_TEST((l.namespaces[6].type == NamespaceType::Cgroup));
    BOOST_TEST((l.namespaces[7].type == NamespaceType::Time));
    BOOST_TEST(r->findNamespace(NamespaceType::Network)->path == "/var/run/netns/neta");

    BOOST_REQUIRE(l.devices.size() == 2u);
    BOOST_TEST(l.devices[0].path == "/dev/fuse");
    BOOST_TEST(l.devices[0].type == "c");
    BOOST_TEST(l.devices[0].major == 10);
    BOOST_TEST(l.devices[0].minor == 229);
    BOOST_TEST(l.devices[0].fileMode.value_or(0) == 438u);
    BOOST_TEST(l.devices[0].uid.value_or(1) == 0u);
    BOOST_TEST(l.devices[1].type == "p");
    BOOST_TEST(!l.devices[1].fileMode);

    BOOST_REQUIRE(l.resources);
    const Resources &res = *l.resources;
    BOOST_REQUIRE(res.devices.size() == 2u);
    BOOST_TEST(!res.devices[0].allow);
    BOOST_TEST(res.devices[0].access == "rwm");
    BOOST_TEST(!res.devices[0].major);
    BOOST_TEST(res.devices[1].allow);
    BOOST_TEST(res.devices[1].type == "c");
    BOOST_TEST(res.devices[1].major.value_or(0) == 10);
    BOOST_REQUIRE(res.memory);
    BOOST_TEST(res.memory->limit.value_or(0) == 536870912);
    BOOST_TEST(res.memory->reservation.value_or(0) == 268435456);
    BOOST_TEST(res.memory->swap.value_or(0) == -1);
    BOOST_TEST(res.memory->kernel.value_or(0) == -1);
    BOOST_TEST(res.memory->kernelTcp.value_or(0) == 1024);
    BOOST_TEST(res.memory->swappiness.value_or(1) == 0u);
    BOOST_TEST(res.memory->disableOomKiller.value_or(false));
    BOOST_TEST(!res.memory->useHierarchy.value_or(true));
    BOOST_TEST(res.memory->checkBeforeUpdate.value_or(false));
    BOOST_REQUIRE(res.cpu);
    BOOST_TEST(res.cpu->shares.value_or(0) == 1024u);
    BOOST_TEST(res.cpu->quota.value_or(0) == 1000000);
    BOOST_TEST(res.cpu->burst.value_or(0) == 100000u);
    BOOST_TEST(res.cpu->period.value_or(0) == 500000u);
    BOOST_TEST(res.cpu->realtimeRuntime.value_or(0) == 950000);
    BOOST_TEST(res.cpu->realtimePeriod.value_or(0) == 1000000u);
    BOOST_TEST(res.cpu->cpus == "2-3");
    BOOST_TEST(res.cpu->mems == "0-7");
    BOOST_TEST(res.cpu->idle.value_or(1) == 0);
    BOOST_TEST(res.pidsLimit.value_or(0) == 32771);
    BOOST_REQUIRE(res.blockIo);
    BOOST_TEST(res.blockIo->weight.value_or(0) == 10);
    BOOST_TEST(res.blockIo->leafWeight.value_or(0) == 11);
    BOOST_REQUIRE(res.blockIo->weightDevice.size() == 2u);
    BOOST_TEST(res.blockIo->weightDevice[0].leafWeight.value_or(0) == 300);
    BOOST_TEST(!res.blockIo->weightDevice[1].leafWeight);
    BOOST_TEST(res.blockIo->throttleReadBpsDevice[0].rate == 600u);
    BOOST_TEST(res.blockIo->throttleWriteBpsDevice[0].minor == 16);
    BOOST_TEST(res.blockIo->throttleReadIopsDevice[0].rate == 800u);
    BOOST_TEST(res.blockIo->throttleWriteIopsDevice[0].rate == 900u);
    BOOST_REQUIRE(res.hugepageLimits.size() == 2u);
    BOOST_TEST(res.hugepageLimits[0].pageSize == "2MB");
    BOOST_TEST(res.hugepageLimits[0].limit == 209715200u);
    BOOST_REQUIRE(res.network);
    BOOST_TEST(res.network->classId.value_or(0) == 1048577u);
    BOOST_TEST(res.network->priorities[0].name == "eth0");
    BOOST_TEST(res.network->priorities[0].priority == 500u);
    BOOST_TEST(res.rdma.at("mlx5_1").hcaHandles.value_or(0) == 3u);
    BOOST_TEST(res.rdma.at("mlx5_1").hcaObjects.value_or(0) == 10000u);
    BOOST_TEST(res.unified.at("io.max") == "8:0 rbps=1024");

    BOOST_REQUIRE(l.seccomp);
    const Seccomp &s = *l.seccomp;
    BOOST_TEST(s.defaultAction == "SCMP_ACT_ERRNO");
    BOOST_TEST(s.defaultErrnoRet.value_or(0) == 38u);
    BOOST_TEST(s.architectures.size() == 2u);
    BOOST_TEST(s.flags[0] == "SECCOMP_FILTER_FLAG_LOG");
    BOOST_TEST(s.listenerPath == "/run/seccomp-agent.socket");
    BOOST_TEST(s.listenerMetadata == "foo");
    BOOST_REQUIRE(s.syscalls.size() == 2u);
    BOOST_TEST(s.syscalls[0].names.size() == 2u);
    BOOST_TEST(!s.syscalls[0].errnoRet);
    BOOST_TEST(s.syscalls[1].errnoRet.value_or(0) == 1u);
    BOOST_REQUIRE(s.syscalls[1].args.size() == 2u);
    BOOST_TEST(s.syscalls[1].args[0].value == std::numeric_limits<uint64_t>::max());
    BOOST_TEST(s.syscalls[1].args[0].valueTwo == 0u);
    BOOST_TEST(s.syscalls[1].args[1].index == 1u);
    BOOST_TEST(s.syscalls[1].args[1].valueTwo == 4u);
    BOOST_TEST(s.syscalls[1].args[1].op == "SCMP_CMP_MASKED_EQ");

    BOOST_TEST(l.rootfsPropagation == "rslave");
    BOOST_TEST(l.maskedPaths.size() == 2u);
    BOOST_TEST(l.readonlyPaths[1] == "/proc/sysrq-trigger");
    BOOST_TEST(l.mountLabel == "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811");
    BOOST_REQUIRE(l.intelRdt);
    BOOST_TEST(l.intelRdt->closId == "guaranteed_group");
    BOOST_TEST(l.intelRdt->l3CacheSchema == "L3:0=7f0;1=1f");
    BOOST_TEST(l.intelRdt->memBwSchema == "MB:0=20;1=70");
    BOOST_TEST(l.intelRdt->schemata.size() == 1u);
    BOOST_TEST(l.intelRdt->enableCmt.value_or(false));
    BOOST_TEST(!l.intelRdt->enableMbm.value_or(true));
    BOOST_TEST(l.intelRdt->enableMonitoring.value_or(false));
    BOOST_REQUIRE(l.personality);
    BOOST_TEST(l.personality->domain == "LINUX32");
    BOOST_REQUIRE(l.memoryPolicy);
    BOOST_TEST(l.memoryPolicy->mode == "MPOL_INTERLEAVE");
    BOOST_TEST(l.memoryPolicy->nodes == "0-3,7");
    BOOST_TEST(l.memoryPolicy->flags[0] == "MPOL_F_STATIC_NODES");
    BOOST_TEST(l.netDevices.at("eth1").name == "ctr1");
    BOOST_TEST(l.netDevices.at("eth2").name == "");
    // linux.landlock is parsed into the config's typed policy (spec/landlock.h).
    BOOST_REQUIRE(r->landlock);
    BOOST_TEST(r->landlock->handledFs == spec::kLandlockFsExecute);
}

BOOST_AUTO_TEST_CASE(full_config_validates)
{
    Result<Config> r = parseConfigText(fullConfig);
    BOOST_REQUIRE(r);
    Result<void> v = validate(*r);
    BOOST_TEST(v.has_value(), (v ? "" : v.error().what()));
}

BOOST_AUTO_TEST_CASE(wrong_types_name_the_path)
{
    json d = minimal();
    d["process"]["user"] = {{"uid", "0"}, {"gid", 0}};
    BOOST_TEST(parseError(d) == "process.user.uid: expected unsigned integer, got string");

    d = minimal();
    d["mounts"].push_back({{"destination", 5}});
    BOOST_TEST(parseError(d) == "mounts[1].destination: expected string, got number");

    d = minimal();
    d["linux"]["namespaces"][2]["type"] = "netx";
    BOOST_TEST(parseError(d) == "linux.namespaces[2].type: unknown namespace \"netx\"");

    d = minimal();
    d["linux"]["resources"] = {{"memory", {{"limit", "1G"}}}};
    BOOST_TEST(parseError(d) == "linux.resources.memory.limit: expected integer, got string");

    d = minimal();
    d["linux"]["seccomp"] = json::parse(
        R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
            "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": 3}]}]})");
    BOOST_TEST(parseError(d) ==
               "linux.seccomp.syscalls[0].args[0].op: expected string, got number");

    d = minimal();
    d["hooks"] = {{"poststart", {{{"path", "/bin/true"}, {"timeout", true}}}}};
    BOOST_TEST(parseError(d) == "hooks.poststart[0].timeout: expected integer, got boolean");

    d = minimal();
    d["annotations"] = {{"com.example.key", 1}};
    BOOST_TEST(parseError(d) == "annotations[\"com.example.key\"]: expected string, got number");

    d = minimal();
    d["linux"]["timeOffsets"] = {{"monotonic", {{"secs", "1"}}}};
    BOOST_TEST(parseError(d) == "linux.timeOffsets.monotonic.secs: expected integer, got string");

    d = minimal();
    d["process"]["args"] = {"sh", nullptr};
    BOOST_TEST(parseError(d) == "process.args[1]: expected string, got null");

    d = minimal();
    d["process"]["terminal"] = 1;
    BOOST_TEST(parseError(d) == "process.terminal: expected boolean, got number");

    d = minimal();
    d["linux"] = json::array();
    BOOST_TEST(parseError(d) == "linux: expected object, got array");

    d = minimal();
    d["mounts"] = {{"destination", "/x"}};
    BOOST_TEST(parseError(d) == "mounts: expected array, got object");

    d = minimal();
    d["linux"]["landlock"] = "x";
    BOOST_TEST(parseError(d) == "linux.landlock: expected object, got string");

    BOOST_TEST(parseError(json::array()) == "expected object, got array");
}

BOOST_AUTO_TEST_CASE(numbers_and_ranges)
{
    json d = minimal();
    d["process"]["rlimits"][0]["hard"] = -1;
    BOOST_TEST(parseError(d) == "process.rlimits[0].hard: expected unsigned integer, got -1");

    d = minimal();
    d["process"]["rlimits"][0]["soft"] = 1.5;
    BOOST_TEST(parseError(d) ==
               "process.rlimits[0].soft: expected unsigned integer, got number 1.5");

    BOOST_TEST(parseTextError(R"({"ociVersion": "1.2.0", "root": {"path": "r"},
        "process": {"cwd": "/", "rlimits": [{"type": "RLIMIT_CPU", "soft": 1,
        "hard": 18446744073709551616}]}})") ==
               "parse config.json: process.rlimits[0].hard: value 1.8446744073709552e+19 out of "
               "range [0, 18446744073709551615]");

    d = minimal();
    d["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 4294967296ull}, {"size", 1}}};
    BOOST_TEST(parseError(d) ==
               "linux.uidMappings[0].hostID: value 4294967296 out of range [0, 4294967295]");

    d = minimal();
    d["process"]["oomScoreAdj"] = 2147483648ll;
    BOOST_TEST(parseError(d) ==
               "process.oomScoreAdj: value 2147483648 out of range [-2147483648, 2147483647]");

    d = minimal();
    d["linux"]["resources"] = {{"blockIO", {{"weight", 65536}}}};
    BOOST_TEST(parseError(d) ==
               "linux.resources.blockIO.weight: value 65536 out of range [0, 65535]");

    // int64 extremes and -1 ("unlimited") for memory.
    d = minimal();
    d["linux"]["resources"] = {
        {"memory", {{"limit", std::numeric_limits<int64_t>::max()}, {"swap", -1}}},
        {"pids", {{"limit", -1}}}};
    Result<Config> r = parseConfig(d);
    BOOST_REQUIRE(r);
    BOOST_TEST(r->linux->resources->memory->limit.value() == std::numeric_limits<int64_t>::max());
    BOOST_TEST(r->linux->resources->memory->swap.value() == -1);
    BOOST_TEST(r->linux->resources->pidsLimit.value() == -1);

    d["linux"]["resources"]["memory"]["limit"] = 9223372036854775808ull;
    BOOST_TEST(parseError(d) == "linux.resources.memory.limit: value 9223372036854775808 out of "
                                "range [-9223372036854775808, 9223372036854775807]");
}

BOOST_AUTO_TEST_CASE(required_members)
{
    json d = minimal();
    d.erase("ociVersion");
    BOOST_TEST(parseError(d) == "ociVersion: missing required field");

    d = minimal();
    d.erase("root");
    BOOST_TEST(parseError(d) == "root: missing required field");

    d = minimal();
    d["root"].erase("path");
    BOOST_TEST(parseError(d) == "root.path: missing required field");

    d = minimal();
    d["process"].erase("cwd");
    BOOST_TEST(parseError(d) == "process.cwd: missing required field");

    d = minimal();
    d["process"]["user"] = {{"gid", 0}};
    BOOST_TEST(parseError(d) == "process.user.uid: missing required field");

    // A user without gid is group 0, as in runc (generators that drop zero values omit it).
    d = minimal();
    d["process"]["user"] = {{"uid", 7}};
    Result<Config> noGid = husk::spec::parseConfig(d);
    BOOST_REQUIRE(noGid);
    BOOST_TEST(noGid->process->user.uid == 7U);
    BOOST_TEST(noGid->process->user.gid == 0U);

    d = minimal();
    d["mounts"][0].erase("destination");
    BOOST_TEST(parseError(d) == "mounts[0].destination: missing required field");

    d = minimal();
    d["process"]["rlimits"][0].erase("hard");
    BOOST_TEST(parseError(d) == "process.rlimits[0].hard: missing required field");

    d = minimal();
    d["linux"]["namespaces"][1].erase("type");
    BOOST_TEST(parseError(d) == "linux.namespaces[1].type: missing required field");

    d = minimal();
    d["linux"]["devices"] = {{{"type", "c"}, {"path", "/dev/x"}, {"major", 1}}};
    BOOST_TEST(parseError(d) == "linux.devices[0].minor: missing required field");

    d = minimal();
    d["linux"]["seccomp"] = {{"syscalls", json::array()}};
    BOOST_TEST(parseError(d) == "linux.seccomp.defaultAction: missing required field");

    d = minimal();
    d["linux"]["resources"] = {{"devices", {{{"access", "rwm"}}}}};
    BOOST_TEST(parseError(d) == "linux.resources.devices[0].allow: missing required field");

    d = minimal();
    d["hooks"] = {{"poststop", {{{"args", {"x"}}}}}};
    BOOST_TEST(parseError(d) == "hooks.poststop[0].path: missing required field");
}

BOOST_AUTO_TEST_CASE(optional_members_and_nulls)
{
    // A process without user runs as 0:0 (runc); null means "not set" as in Go; pids without
    // limit is 1.3's optional limit; a FIFO device needs no major/minor.
    json d = minimal();
    d["hostname"] = nullptr;
    d["process"]["env"] = nullptr;
    d["linux"]["resources"] = {{"pids", json::object()}, {"memory", nullptr}};
    d["linux"]["devices"] = {{{"type", "p"}, {"path", "/dev/fifo"}}};
    Result<Config> r = parseConfig(d);
    BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
    BOOST_TEST(r->hostname == "");
    BOOST_TEST(r->process->user.uid == 0u);
    BOOST_TEST(!r->process->user.umask);
    BOOST_TEST(r->process->env.empty());
    BOOST_TEST(!r->hooks);
    BOOST_TEST(!r->linux->resources->pidsLimit);
    BOOST_TEST(!r->linux->resources->memory);
    BOOST_TEST(!r->linux->seccomp);
    BOOST_TEST(!r->landlock);
    BOOST_TEST(r->linux->devices[0].major == 0);

    json noLinux = minimal();
    noLinux.erase("linux");
    noLinux.erase("process");
    r = parseConfig(noLinux);
    BOOST_REQUIRE(r);
    BOOST_TEST(!r->linux);
    BOOST_TEST(!r->process);
    BOOST_TEST(r->findNamespace(NamespaceType::Pid) == nullptr);
}

BOOST_AUTO_TEST_CASE(unknown_fields_ignored)
{
    json d = minimal();
    d["windows"] = {{"layerFolders", {"C:\\x"}}};
    d["vm"] = 7;
    d["futureField"] = {1, 2, 3};
    d["process"]["futureProcessField"] = "x";
    d["process"]["user"] = {{"uid", 1}, {"gid", 2}, {"username", "ignored"}};
    d["linux"]["namespaces"][0]["futureNsField"] = true;
    d["linux"]["futureLinuxField"] = json::object();
    Result<Config> r = parseConfig(d);
    BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
    BOOST_TEST(r->process->user.uid == 1u);
    BOOST_TEST(r->linux->namespaces.size() == 3u);
    BOOST_TEST(r->raw.at("futureField").size() == 3u);
}

BOOST_AUTO_TEST_CASE(relative_mount_destination)
{
    json d = minimal();
    d["mounts"][0]["destination"] = "proc";
    Result<Config> r = parseConfig(d);
    BOOST_REQUIRE(r);
    BOOST_TEST(r->mounts[0].destination == "/proc");
    BOOST_TEST(r->raw["mounts"][0]["destination"] == "proc");

    d["mounts"][0]["destination"] = "";
    BOOST_TEST(parseError(d) == "mounts[0].destination: must not be empty");
}

BOOST_AUTO_TEST_CASE(broken_json)
{
    std::string e = parseTextError("{\n  \"a\": 1,\n    x\n}");
    BOOST_TEST(e.starts_with("parse config.json: syntax error at line 3 column 5: "), e);
    BOOST_TEST(e.find('\n') == std::string::npos);
    BOOST_TEST(e.find("[json.exception") == std::string::npos);

    e = parseTextError("");
    BOOST_TEST(e.starts_with("parse config.json: syntax error at line 1 column 1: "), e);

    e = parseTextError("{} trailing");
    BOOST_TEST(e.starts_with("parse config.json: syntax error at line 1 column 6: "), e);

    // Field errors from text get the same prefix.
    BOOST_TEST(parseTextError(R"({"ociVersion": 1})") ==
               "parse config.json: ociVersion: expected string, got number");
}

BOOST_AUTO_TEST_CASE(parse_process_for_exec)
{
    json p = {{"cwd", "/tmp"}, {"args", {"ls", "-l"}}, {"user", {{"uid", 7}, {"gid", 8}}}};
    Result<Process> r = parseProcess(p, "");
    BOOST_REQUIRE(r);
    BOOST_TEST(r->cwd == "/tmp");
    BOOST_TEST(r->args[1] == "-l");
    BOOST_TEST(r->user.gid == 8u);
    BOOST_TEST(validateProcess(*r, "").has_value());

    p["user"]["uid"] = "root";
    Result<Process> bad = parseProcess(p, "");
    BOOST_REQUIRE(!bad);
    BOOST_TEST(bad.error().what() == "user.uid: expected unsigned integer, got string");

    Result<Process> prefixed = parseProcess(p, "process");
    BOOST_REQUIRE(!prefixed);
    BOOST_TEST(prefixed.error().what() ==
               "process.user.uid: expected unsigned integer, got string");

    Result<Process> notObject = parseProcess(json("x"), "");
    BOOST_REQUIRE(!notObject);
    BOOST_TEST(notObject.error().what() == "expected object, got string");

    Result<void> v = validateProcess(Process{.args = {}, .cwd = "/"}, "");
    BOOST_REQUIRE(!v);
    BOOST_TEST(v.error().what() == "args: must not be empty");
}

BOOST_AUTO_TEST_CASE(parse_json_text)
{
    Result<json> j = parseJsonText(R"({"cwd": "/"})");
    BOOST_REQUIRE(j);
    BOOST_TEST(j->at("cwd") == "/");
    Result<json> bad = parseJsonText("[1,");
    BOOST_REQUIRE(!bad);
    BOOST_TEST(bad.error().what().starts_with("syntax error at line 1 column 4: "),
               bad.error().what());
}

BOOST_AUTO_TEST_CASE(json_bounds_are_checked_before_parsing)
{
    auto nested = [](int depth, char open, char close) {
        return std::string(static_cast<size_t>(depth), open) +
               std::string(static_cast<size_t>(depth), close);
    };
    BOOST_TEST(bool(checkJsonBounds(nested(kMaxJsonDepth, '[', ']'))));
    BOOST_TEST(bool(parseJsonText(nested(kMaxJsonDepth, '[', ']'))));
    Result<json> deep = parseJsonText(nested(kMaxJsonDepth + 1, '[', ']'));
    BOOST_REQUIRE(!deep);
    BOOST_TEST(deep.error().what() ==
               "exceeded max depth 1000 (nesting of arrays and objects) at byte 1000");
    // Objects count as arrays do; brackets inside strings (escaped quotes too) do not.
    std::string objects;
    for (int i = 0; i <= kMaxJsonDepth; ++i)
        objects += "{\"a\":";
    BOOST_TEST(!checkJsonBounds(objects));
    std::string inString = "[\"\\\"" + std::string(5000, '[') + "\"]";
    BOOST_TEST(bool(parseJsonText(inString)), inString.substr(0, 10));

    // What crashed husk (a stack overflow in nlohmann's recursive copy): a config.json nested
    // 100,000 levels is an error naming the limit.
    std::string config = R"({"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "annotations": )" +
                         nested(100000, '[', ']') + "}";
    Result<Config> c = parseConfigText(config);
    BOOST_REQUIRE(!c);
    BOOST_TEST(c.error().what().starts_with("parse config.json: exceeded max depth 1000"),
               c.error().what());

    std::string big(kMaxJsonBytes + 1, ' ');
    Result<void> large = checkJsonBounds(big);
    BOOST_REQUIRE(!large);
    BOOST_TEST(large.error().what() == "larger than 64 MiB, the most husk reads");
}

BOOST_AUTO_TEST_CASE(load_config_from_bundle)
{
    Result<Config> missing = loadConfig("/nonexistent-husk-bundle");
    BOOST_REQUIRE(!missing);
    BOOST_TEST(missing.error().what() ==
               "open /nonexistent-husk-bundle/config.json: No such file or directory");
    BOOST_TEST(missing.error().code() == ENOENT);

    char dir[] = "/tmp/husk-spec-test-XXXXXX";
    BOOST_REQUIRE(::mkdtemp(dir) != nullptr);
    std::string path = std::string(dir) + "/config.json";
    {
        std::ofstream out(path);
        out << minimal().dump(4);
    }
    Result<Config> r = loadConfig(dir);
    ::unlink(path.c_str());
    ::rmdir(dir);
    BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
    BOOST_TEST(r->root.path == "rootfs");
    BOOST_TEST(r->process->args[0] == "sh");
}

BOOST_AUTO_TEST_CASE(namespace_names)
{
    BOOST_TEST((namespaceTypeFromName("network").value() == NamespaceType::Network));
    BOOST_TEST((namespaceTypeFromName("time").value() == NamespaceType::Time));
    BOOST_TEST(!namespaceTypeFromName("net"));
    BOOST_TEST(!namespaceTypeFromName("PID"));
}

BOOST_AUTO_TEST_SUITE_END()
