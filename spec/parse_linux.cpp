// config.linux (config-linux.md, schema/config-linux.json, schema/defs-linux.json).

#include "spec/json_reader.h"
#include "spec/parse.h"

namespace husk::spec::detail {

Result<void> decode(const Json &v, const std::string &path, Device &out)
{
    HUSK_TRY(expectObject(v, path));
    HUSK_TRY(requiredMember(v, path, "type", out.type));
    HUSK_TRY(requiredMember(v, path, "path", out.path));
    // config-linux.md: major and minor are REQUIRED unless type is "p" (a FIFO has none).
    if (out.type == "p") {
        HUSK_TRY(optionalMember(v, path, "major", out.major));
        HUSK_TRY(optionalMember(v, path, "minor", out.minor));
    } else {
        HUSK_TRY(requiredMember(v, path, "major", out.major));
        HUSK_TRY(requiredMember(v, path, "minor", out.minor));
    }
    HUSK_TRY(optionalMember(v, path, "fileMode", out.fileMode));
    HUSK_TRY(optionalMember(v, path, "uid", out.uid));
    HUSK_TRY(optionalMember(v, path, "gid", out.gid));
    return {};
}

Result<void> decode(const Json &v, const std::string &path, DeviceRule &out)
{
    HUSK_TRY(expectObject(v, path));
    HUSK_TRY(requiredMember(v, path, "allow", out.allow));
    HUSK_TRY(optionalMember(v, path, "type", out.type));
    HUSK_TRY(optionalMember(v, path, "major", out.major));
    HUSK_TRY(optionalMember(v, path, "minor", out.minor));
    HUSK_TRY(optionalMember(v, path, "access", out.access));
    return {};
}

Result<void> decode(const Json &v, const std::string &path, WeightDevice &out)
{
    HUSK_TRY(expectObject(v, path));
    HUSK_TRY(requiredMember(v, path, "major", out.major));
    HUSK_TRY(requiredMember(v, path, "minor", out.minor));
    HUSK_TRY(optionalMember(v, path, "weight", out.weight));
    HUSK_TRY(optionalMember(v, path, "leafWeight", out.leafWeight));
    return {};
}

Result<void> decode(const Json &v, const std::string &path, ThrottleDevice &out)
{
    HUSK_TRY(expectObject(v, path));
    HUSK_TRY(requiredMember(v, path, "major", out.major));
    HUSK_TRY(requiredMember(v, path, "minor", out.minor));
    HUSK_TRY(requiredMember(v, path, "rate", out.rate));
    return {};
}

Result<void> decode(const Json &v, const std::string &path, HugepageLimit &out)
{
    HUSK_TRY(expectObject(v, path));
    HUSK_TRY(requiredMember(v, path, "pageSize", out.pageSize));
    HUSK_TRY(requiredMember(v, path, "limit", out.limit));
    return {};
}

Result<void> decode(const Json &v, const std::string &path, InterfacePriority &out)
{
    HUSK_TRY(expectObject(v, path));
    HUSK_TRY(requiredMember(v, path, "name", out.name));
    HUSK_TRY(requiredMember(v, path, "priority", out.priority));
    return {};
}

Result<void> decode(const Json &v, const std::string &path, Rdma &out)
{
    HUSK_TRY(expectObject(v, path));
    HUSK_TRY(optionalMember(v, path, "hcaHandles", out.hcaHandles));
    HUSK_TRY(optionalMember(v, path, "hcaObjects", out.hcaObjects));
    return {};
}

Result<void> decode(const Json &v, const std::string &path, SeccompArg &out)
{
    HUSK_TRY(expectObject(v, path));
    HUSK_TRY(requiredMember(v, path, "index", out.index));
    HUSK_TRY(requiredMember(v, path, "value", out.value));
    HUSK_TRY(optionalMember(v, path, "valueTwo", out.valueTwo));
    HUSK_TRY(requiredMember(v, path, "op", out.op));
    return {};
}

Result<void> decode(const Json &v, const std::string &path, SeccompSyscall &out)
{
    HUSK_TRY(expectObject(v, path));
    HUSK_TRY(requiredMember(v, path, "names", out.names));
    HUSK_TRY(requiredMember(v, path, "action", out.action));
    HUSK_TRY(optionalMember(v, path, "errnoRet", out.errnoRet));
    HUSK_TRY(optionalMember(v, path, "args", out.args));
    return {};
}

Result<void> decode(const Json &v, const std::string &path, TimeOffset &out)
{
    HUSK_TRY(expectObject(v, path));
    HUSK_TRY(optionalMember(v, path, "secs", out.secs));
    HUSK_TRY(optionalMember(v, path, "nanosecs", out.nanosecs));
    return {};
}

Result<void> decode(const Json &v, const std::string &path, NetDevice &out)
{
    HUSK_TRY(expectObject(v, path));
    HUSK_TRY(optionalMember(v, path, "name", out.name));
    return {};
}

namespace {

Result<Memory> parseMemory(const Json &v, const std::string &path)
{
    HUSK_TRY(expectObject(v, path));
    Memory m;
    HUSK_TRY(optionalMember(v, path, "limit", m.limit));
    HUSK_TRY(optionalMember(v, path, "reservation", m.reservation));
    HUSK_TRY(optionalMember(v, path, "swap", m.swap));
    HUSK_TRY(optionalMember(v, path, "kernel", m.kernel));
    HUSK_TRY(optionalMember(v, path, "kernelTCP", m.kernelTcp));
    HUSK_TRY(optionalMember(v, path, "swappiness", m.swappiness));
    HUSK_TRY(optionalMember(v, path, "disableOOMKiller", m.disableOomKiller));
    HUSK_TRY(optionalMember(v, path, "useHierarchy", m.useHierarchy));
    HUSK_TRY(optionalMember(v, path, "checkBeforeUpdate", m.checkBeforeUpdate));
    return m;
}

Result<Cpu> parseCpu(const Json &v, const std::string &path)
{
    HUSK_TRY(expectObject(v, path));
    Cpu c;
    HUSK_TRY(optionalMember(v, path, "shares", c.shares));
    HUSK_TRY(optionalMember(v, path, "quota", c.quota));
    HUSK_TRY(optionalMember(v, path, "burst", c.burst));
    HUSK_TRY(optionalMember(v, path, "period", c.period));
    HUSK_TRY(optionalMember(v, path, "realtimeRuntime", c.realtimeRuntime));
    HUSK_TRY(optionalMember(v, path, "realtimePeriod", c.realtimePeriod));
    HUSK_TRY(optionalMember(v, path, "cpus", c.cpus));
    HUSK_TRY(optionalMember(v, path, "mems", c.mems));
    HUSK_TRY(optionalMember(v, path, "idle", c.idle));
    return c;
}

Result<BlockIo> parseBlockIo(const Json &v, const std::string &path)
{
    HUSK_TRY(expectObject(v, path));
    BlockIo b;
    HUSK_TRY(optionalMember(v, path, "weight", b.weight));
    HUSK_TRY(optionalMember(v, path, "leafWeight", b.leafWeight));
    HUSK_TRY(optionalMember(v, path, "weightDevice", b.weightDevice));
    HUSK_TRY(optionalMember(v, path, "throttleReadBpsDevice", b.throttleReadBpsDevice));
    HUSK_TRY(optionalMember(v, path, "throttleWriteBpsDevice", b.throttleWriteBpsDevice));
    HUSK_TRY(optionalMember(v, path, "throttleReadIOPSDevice", b.throttleReadIopsDevice));
    HUSK_TRY(optionalMember(v, path, "throttleWriteIOPSDevice", b.throttleWriteIopsDevice));
    return b;
}

Result<Network> parseNetwork(const Json &v, const std::string &path)
{
    HUSK_TRY(expectObject(v, path));
    Network n;
    HUSK_TRY(optionalMember(v, path, "classID", n.classId));
    HUSK_TRY(optionalMember(v, path, "priorities", n.priorities));
    return n;
}

Result<Resources> parseResources(const Json &v, const std::string &path)
{
    HUSK_TRY(expectObject(v, path));
    Resources r;
    HUSK_TRY(optionalMember(v, path, "devices", r.devices));
    if (const Json *m = findMember(v, "memory"))
        r.memory = HUSK_TRY(parseMemory(*m, memberPath(path, "memory")));
    if (const Json *c = findMember(v, "cpu"))
        r.cpu = HUSK_TRY(parseCpu(*c, memberPath(path, "cpu")));
    if (const Json *p = findMember(v, "pids")) {
        // limit was REQUIRED in 1.2 and is OPTIONAL in 1.3; accept both (absent: no limit set).
        std::string pidsPath = memberPath(path, "pids");
        HUSK_TRY(expectObject(*p, pidsPath));
        HUSK_TRY(optionalMember(*p, pidsPath, "limit", r.pidsLimit));
    }
    if (const Json *b = findMember(v, "blockIO"))
        r.blockIo = HUSK_TRY(parseBlockIo(*b, memberPath(path, "blockIO")));
    HUSK_TRY(optionalMember(v, path, "hugepageLimits", r.hugepageLimits));
    if (const Json *n = findMember(v, "network"))
        r.network = HUSK_TRY(parseNetwork(*n, memberPath(path, "network")));
    HUSK_TRY(optionalMember(v, path, "rdma", r.rdma));
    HUSK_TRY(optionalMember(v, path, "unified", r.unified));
    return r;
}

Result<Seccomp> parseSeccomp(const Json &v, const std::string &path)
{
    HUSK_TRY(expectObject(v, path));
    Seccomp s;
    HUSK_TRY(requiredMember(v, path, "defaultAction", s.defaultAction));
    HUSK_TRY(optionalMember(v, path, "defaultErrnoRet", s.defaultErrnoRet));
    HUSK_TRY(optionalMember(v, path, "architectures", s.architectures));
    HUSK_TRY(optionalMember(v, path, "flags", s.flags));
    HUSK_TRY(optionalMember(v, path, "listenerPath", s.listenerPath));
    HUSK_TRY(optionalMember(v, path, "listenerMetadata", s.listenerMetadata));
    HUSK_TRY(optionalMember(v, path, "syscalls", s.syscalls));
    return s;
}

Result<IntelRdt> parseIntelRdt(const Json &v, const std::string &path)
{
    HUSK_TRY(expectObject(v, path));
    IntelRdt r;
    HUSK_TRY(optionalMember(v, path, "closID", r.closId));
    HUSK_TRY(optionalMember(v, path, "l3CacheSchema", r.l3CacheSchema));
    HUSK_TRY(optionalMember(v, path, "memBwSchema", r.memBwSchema));
    HUSK_TRY(optionalMember(v, path, "schemata", r.schemata));
    HUSK_TRY(optionalMember(v, path, "enableCMT", r.enableCmt));
    HUSK_TRY(optionalMember(v, path, "enableMBM", r.enableMbm));
    HUSK_TRY(optionalMember(v, path, "enableMonitoring", r.enableMonitoring));
    return r;
}

Result<Personality> parsePersonality(const Json &v, const std::string &path)
{
    HUSK_TRY(expectObject(v, path));
    Personality p;
    HUSK_TRY(requiredMember(v, path, "domain", p.domain));
    HUSK_TRY(optionalMember(v, path, "flags", p.flags));
    return p;
}

Result<MemoryPolicy> parseMemoryPolicy(const Json &v, const std::string &path)
{
    HUSK_TRY(expectObject(v, path));
    MemoryPolicy m;
    HUSK_TRY(requiredMember(v, path, "mode", m.mode));
    HUSK_TRY(optionalMember(v, path, "nodes", m.nodes));
    HUSK_TRY(optionalMember(v, path, "flags", m.flags));
    return m;
}

} // namespace

Result<Linux> parseLinux(const Json &v, const std::string &path)
{
    HUSK_TRY(expectObject(v, path));
    Linux l;
    HUSK_TRY(optionalMember(v, path, "uidMappings", l.uidMappings));
    HUSK_TRY(optionalMember(v, path, "gidMappings", l.gidMappings));
    HUSK_TRY(optionalMember(v, path, "timeOffsets", l.timeOffsets));
    HUSK_TRY(optionalMember(v, path, "sysctl", l.sysctl));
    if (const Json *r = findMember(v, "resources"))
        l.resources = HUSK_TRY(parseResources(*r, memberPath(path, "resources")));
    HUSK_TRY(optionalMember(v, path, "cgroupsPath", l.cgroupsPath));
    HUSK_TRY(optionalMember(v, path, "namespaces", l.namespaces));
    HUSK_TRY(optionalMember(v, path, "devices", l.devices));
    if (const Json *s = findMember(v, "seccomp"))
        l.seccomp = HUSK_TRY(parseSeccomp(*s, memberPath(path, "seccomp")));
    HUSK_TRY(optionalMember(v, path, "rootfsPropagation", l.rootfsPropagation));
    HUSK_TRY(optionalMember(v, path, "maskedPaths", l.maskedPaths));
    HUSK_TRY(optionalMember(v, path, "readonlyPaths", l.readonlyPaths));
    HUSK_TRY(optionalMember(v, path, "mountLabel", l.mountLabel));
    if (const Json *r = findMember(v, "intelRdt"))
        l.intelRdt = HUSK_TRY(parseIntelRdt(*r, memberPath(path, "intelRdt")));
    if (const Json *p = findMember(v, "personality"))
        l.personality = HUSK_TRY(parsePersonality(*p, memberPath(path, "personality")));
    if (const Json *m = findMember(v, "memoryPolicy"))
        l.memoryPolicy = HUSK_TRY(parseMemoryPolicy(*m, memberPath(path, "memoryPolicy")));
    HUSK_TRY(optionalMember(v, path, "netDevices", l.netDevices));
    return l;
}

} // namespace husk::spec::detail
