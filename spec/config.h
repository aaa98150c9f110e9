#pragma once

// Typed OCI runtime-spec 1.2 configuration (config.json). Field names follow the spec's JSON
// names in camelCase; std::optional marks properties whose absence means something different
// from any value (the spec's "if omitted" rules).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "spec/landlock.h"

namespace husk::spec {

/// The runtime-spec version husk implements (`ociVersion` of `husk spec`, `features`).
inline constexpr const char *kSpecVersion = "1.2.0";

/// A uid or gid mapping range (linux.uidMappings, mounts[].uidMappings).
struct IdMapping {
    uint32_t containerId = 0;
    uint32_t hostId = 0;
    uint32_t size = 0;
};

/// One entry of mounts[].
struct Mount {
    std::string destination;
    std::string source;
    std::string type;
    std::vector<std::string> options;
    std::vector<IdMapping> uidMappings;
    std::vector<IdMapping> gidMappings;
};

/// process.rlimits[].
struct Rlimit {
    std::string type; // e.g. "RLIMIT_NOFILE"
    uint64_t hard = 0;
    uint64_t soft = 0;
};

/// process.capabilities: each set absent means empty.
struct Capabilities {
    std::vector<std::string> bounding;
    std::vector<std::string> effective;
    std::vector<std::string> inheritable;
    std::vector<std::string> permitted;
    std::vector<std::string> ambient;
};

/// process.user (POSIX platforms).
struct User {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::optional<uint32_t> umask;
    std::vector<uint32_t> additionalGids;
};

/// process.consoleSize.
struct ConsoleSize {
    uint32_t height = 0;
    uint32_t width = 0;
};

/// process.scheduler.
struct Scheduler {
    std::string policy; // SCHED_OTHER, SCHED_FIFO, ...
    std::optional<int32_t> nice;
    std::optional<int32_t> priority;
    std::vector<std::string> flags;
    std::optional<uint64_t> runtime;
    std::optional<uint64_t> deadline;
    std::optional<uint64_t> period;
};

/// process.ioPriority.
struct IoPriority {
    std::string ioClass; // IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE
    int32_t priority = 0;
};

/// process.execCPUAffinity.
struct ExecCpuAffinity {
    std::string initial;
    std::string final;
};

/// The process to run (config.process, and exec's process.json).
struct Process {
    bool terminal = false;
    std::optional<ConsoleSize> consoleSize;
    User user;
    std::vector<std::string> args;
    std::optional<std::string> commandLine; // Windows only: ignored on Linux (as runc)
    std::vector<std::string> env;
    std::string cwd;
    std::optional<Capabilities> capabilities;
    std::vector<Rlimit> rlimits;
    bool noNewPrivileges = false;
    std::optional<std::string> apparmorProfile;
    std::optional<int32_t> oomScoreAdj;
    std::optional<std::string> selinuxLabel;
    std::optional<Scheduler> scheduler;
    std::optional<IoPriority> ioPriority;
    std::optional<ExecCpuAffinity> execCpuAffinity;
};

/// config.root.
struct Root {
    std::string path;
    bool readonly = false;
};

/// One hook of hooks.*[].
struct Hook {
    std::string path;
    std::vector<std::string> args;
    /// Unset: the runtime's environment for hooks in the runtime's namespace, process.env for
    /// createContainer and startContainer (as runc and crun); set, exactly that (even empty).
    std::optional<std::vector<std::string>> env;
    std::optional<int32_t> timeout; // seconds, > 0
};

/// config.hooks.
struct Hooks {
    std::vector<Hook> prestart; // deprecated; run as createRuntime
    std::vector<Hook> createRuntime;
    std::vector<Hook> createContainer;
    std::vector<Hook> startContainer;
    std::vector<Hook> poststart;
    std::vector<Hook> poststop;
};

/// A config.hooks key and the member it fills.
struct HookKind {
    std::string_view name;
    std::vector<Hook> Hooks::*member;
};

/// Every config.hooks key, in the order the hooks run; parsing, validation and `features` all
/// read this one table.
inline constexpr HookKind kHookKinds[] = {
    {"prestart", &Hooks::prestart},
    {"createRuntime", &Hooks::createRuntime},
    {"createContainer", &Hooks::createContainer},
    {"startContainer", &Hooks::startContainer},
    {"poststart", &Hooks::poststart},
    {"poststop", &Hooks::poststop},
};

/// The namespace kinds of linux.namespaces[].type.
enum class NamespaceType { Pid, Network, Mount, Ipc, Uts, User, Cgroup, Time };

/// Every namespace type, for parsing linux.namespaces[].type and for `features`.
inline constexpr NamespaceType kNamespaceTypes[] = {
    NamespaceType::Pid, NamespaceType::Network, NamespaceType::Mount,  NamespaceType::Ipc,
    NamespaceType::Uts, NamespaceType::User,    NamespaceType::Cgroup, NamespaceType::Time,
};

/// linux.namespaces[].
struct Namespace {
    NamespaceType type = NamespaceType::Pid;
    std::string path; // empty: create a new one
};

/// linux.devices[].
struct Device {
    std::string type; // "c", "b", "u" or "p"
    std::string path;
    int64_t major = 0;
    int64_t minor = 0;
    std::optional<uint32_t> fileMode;
    std::optional<uint32_t> uid;
    std::optional<uint32_t> gid;
};

/// linux.resources.devices[] (cgroup device rules).
struct DeviceRule {
    bool allow = false;
    std::string type; // "a", "c" or "b"; empty means "a"
    std::optional<int64_t> major;
    std::optional<int64_t> minor;
    std::string access; // subset of "rwm"; empty means "rwm"
};

/// linux.resources.memory.
struct Memory {
    std::optional<int64_t> limit;
    std::optional<int64_t> reservation;
    std::optional<int64_t> swap;
    std::optional<int64_t> kernel;
    std::optional<int64_t> kernelTcp;
    std::optional<uint64_t> swappiness;
    std::optional<bool> disableOomKiller;
    std::optional<bool> useHierarchy;
    std::optional<bool> checkBeforeUpdate;
};

/// linux.resources.cpu.
struct Cpu {
    std::optional<uint64_t> shares;
    std::optional<int64_t> quota;
    std::optional<uint64_t> burst;
    std::optional<uint64_t> period;
    std::optional<int64_t> realtimeRuntime;
    std::optional<uint64_t> realtimePeriod;
    std::string cpus;
    std::string mems;
    std::optional<int64_t> idle;
};

/// A per-device blkio weight.
struct WeightDevice {
    int64_t major = 0;
    int64_t minor = 0;
    std::optional<uint16_t> weight;
    std::optional<uint16_t> leafWeight;
};

/// A per-device blkio throttle.
struct ThrottleDevice {
    int64_t major = 0;
    int64_t minor = 0;
    uint64_t rate = 0;
};

/// linux.resources.blockIO.
struct BlockIo {
    std::optional<uint16_t> weight;
    std::optional<uint16_t> leafWeight;
    std::vector<WeightDevice> weightDevice;
    std::vector<ThrottleDevice> throttleReadBpsDevice;
    std::vector<ThrottleDevice> throttleWriteBpsDevice;
    std::vector<ThrottleDevice> throttleReadIopsDevice;
    std::vector<ThrottleDevice> throttleWriteIopsDevice;
};

/// linux.resources.hugepageLimits[].
struct HugepageLimit {
    std::string pageSize; // "2MB", "1GB"
    uint64_t limit = 0;
};

/// linux.resources.network.priorities[].
struct InterfacePriority {
    std::string name;
    uint32_t priority = 0;
};

/// linux.resources.network.
struct Network {
    std::optional<uint32_t> classId;
    std::vector<InterfacePriority> priorities;
};

/// linux.resources.rdma values.
struct Rdma {
    std::optional<uint32_t> hcaHandles;
    std::optional<uint32_t> hcaObjects;
};

/// linux.resources.
struct Resources {
    std::vector<DeviceRule> devices;
    std::optional<Memory> memory;
    std::optional<Cpu> cpu;
    std::optional<int64_t> pidsLimit; // resources.pids.limit
    std::optional<BlockIo> blockIo;
    std::vector<HugepageLimit> hugepageLimits;
    std::optional<Network> network;
    std::map<std::string, Rdma> rdma;
    std::map<std::string, std::string> unified;
};

/// linux.seccomp.syscalls[].args[].
struct SeccompArg {
    uint32_t index = 0;
    uint64_t value = 0;
    uint64_t valueTwo = 0;
    std::string op; // SCMP_CMP_*
};

/// linux.seccomp.syscalls[].
struct SeccompSyscall {
    std::vector<std::string> names;
    std::string action; // SCMP_ACT_*
    std::optional<uint32_t> errnoRet;
    std::vector<SeccompArg> args;
};

/// linux.seccomp.
struct Seccomp {
    std::string defaultAction;
    std::optional<uint32_t> defaultErrnoRet;
    std::vector<std::string> architectures;
    std::vector<std::string> flags;
    std::string listenerPath;
    std::string listenerMetadata;
    std::vector<SeccompSyscall> syscalls;
};

/// linux.timeOffsets.{monotonic,boottime}.
struct TimeOffset {
    int64_t secs = 0;
    uint32_t nanosecs = 0;
};

/// linux.intelRdt.
struct IntelRdt {
    std::string closId;
    std::string l3CacheSchema;
    std::string memBwSchema;
    std::vector<std::string> schemata;
    std::optional<bool> enableCmt;
    std::optional<bool> enableMbm;
    std::optional<bool> enableMonitoring; // runtime-spec 1.3, supersedes enableCMT/enableMBM
};

/// linux.personality.
struct Personality {
    std::string domain; // LINUX or LINUX32
    std::vector<std::string> flags;
};

/// linux.memoryPolicy.
struct MemoryPolicy {
    std::string mode;
    std::string nodes;
    std::vector<std::string> flags;
};

/// linux.netDevices values.
struct NetDevice {
    std::string name; // new name inside the container; empty keeps the host name
};

/// config.linux.
struct Linux {
    std::vector<IdMapping> uidMappings;
    std::vector<IdMapping> gidMappings;
    std::map<std::string, TimeOffset> timeOffsets; // "monotonic", "boottime"
    std::map<std::string, std::string> sysctl;
    std::optional<Resources> resources;
    std::string cgroupsPath;
    std::vector<Namespace> namespaces;
    std::vector<Device> devices;
    std::optional<Seccomp> seccomp;
    std::string rootfsPropagation;
    std::vector<std::string> maskedPaths;
    std::vector<std::string> readonlyPaths;
    std::string mountLabel;
    std::optional<IntelRdt> intelRdt;
    std::optional<Personality> personality;
    std::optional<MemoryPolicy> memoryPolicy;
    std::map<std::string, NetDevice> netDevices;
};

/// The whole config.json.
struct Config {
    std::string ociVersion;
    Root root;
    std::vector<Mount> mounts;
    std::optional<Process> process;
    std::string hostname;
    std::string domainname;
    std::optional<Hooks> hooks;
    std::map<std::string, std::string> annotations;
    std::optional<Linux> linux;
    /// The Landlock policy (husk extension: process.landlock, linux.landlock or the
    /// run.husk.landlock annotation), parsed; nullopt when none restricts anything.
    std::optional<LandlockPlan> landlock;
    /// The document as parsed, kept so state can record the config the container was created with.
    nlohmann::json raw;

    /// The namespace entry of a type, or nullptr.
    const Namespace *findNamespace(NamespaceType t) const;
};

/// The spec's name of a namespace type ("pid", "network", ...).
const char *namespaceTypeName(NamespaceType t);

} // namespace husk::spec
