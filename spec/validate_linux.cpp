// Semantic checks of config.linux (config-linux.md), with runc's rules where the spec is silent.

#include <algorithm>
#include <set>

#include "spec/json_reader.h"
#include "spec/validate_detail.h"

namespace husk::spec::detail {

namespace {

bool isAbsolute(const std::string &p)
{
    return !p.empty() && p.front() == '/';
}

std::unexpected<Error> notAbsolute(const std::string &path, const std::string &value)
{
    if (value.empty())
        return pathError(path, "must not be empty");
    return pathError(path, "\"" + value + "\" is not an absolute path");
}

Result<void> validateNamespaces(const Linux &l)
{
    std::set<NamespaceType> seen;
    for (size_t i = 0; i < l.namespaces.size(); ++i) {
        const Namespace &ns = l.namespaces[i];
        std::string p = indexPath("linux.namespaces", i);
        if (!seen.insert(ns.type).second)
            return pathError(memberPath(p, "type"), "duplicate namespace \"" +
                                                        std::string(namespaceTypeName(ns.type)) +
                                                        "\"");
        if (!ns.path.empty() && !isAbsolute(ns.path))
            return notAbsolute(memberPath(p, "path"), ns.path);
    }
    return {};
}

size_t namespaceIndex(const Linux &l, NamespaceType t)
{
    for (size_t i = 0; i < l.namespaces.size(); ++i)
        if (l.namespaces[i].type == t)
            return i;
    return l.namespaces.size();
}

Result<void> validateIdMappings(const std::vector<IdMapping> &maps, const std::string &path)
{
    for (size_t i = 0; i < maps.size(); ++i)
        if (maps[i].size == 0)
            return pathError(memberPath(indexPath(path, i), "size"), "must be greater than zero");
    return {};
}

Result<void> validateUserNamespace(const Config &c, const Linux &l)
{
    HUSK_TRY(validateIdMappings(l.uidMappings, "linux.uidMappings"));
    HUSK_TRY(validateIdMappings(l.gidMappings, "linux.gidMappings"));
    const Namespace *userns = c.findNamespace(NamespaceType::User);
    bool hasMappings = !l.uidMappings.empty() || !l.gidMappings.empty();
    if (!userns) {
        if (!l.uidMappings.empty())
            return pathError("linux.uidMappings", "mappings given without a user namespace");
        if (!l.gidMappings.empty())
            return pathError("linux.gidMappings", "mappings given without a user namespace");
        return {};
    }
    // As runc: a new user namespace with no mappings would leave every id unmapped (nobody).
    if (userns->path.empty() && !hasMappings)
        return pathError(indexPath("linux.namespaces", namespaceIndex(l, NamespaceType::User)),
                         "new user namespace without linux.uidMappings or linux.gidMappings");
    return {};
}

Result<void> validateTimeOffsets(const Config &c, const Linux &l)
{
    if (l.timeOffsets.empty())
        return {};
    const Namespace *timens = c.findNamespace(NamespaceType::Time);
    if (!timens)
        return pathError("linux.timeOffsets", "offsets given without a time namespace");
    // Offsets can only be written before the first process enters a new namespace.
    if (!timens->path.empty())
        return pathError("linux.timeOffsets", "cannot set offsets of a time namespace joined "
                                              "by path");
    for (const auto &[clock, offset] : l.timeOffsets) {
        std::string p = memberPath("linux.timeOffsets", clock);
        if (clock != "monotonic" && clock != "boottime")
            return pathError(p, "unknown clock \"" + clock + "\" (monotonic or boottime)");
        if (offset.nanosecs >= 1000000000u)
            return pathError(memberPath(p, "nanosecs"), "must be less than 1000000000");
    }
    return {};
}

// runc's convertSysctlVariableToDotsSeparator: "net/ipv4/conf/eno2.100/rp_filter" names the
// same key as "net.ipv4.conf.eno2/100.rp_filter" (sysctl.d(5)).
std::string dottedSysctl(const std::string &key)
{
    size_t sep = key.find_first_of("./");
    if (sep == std::string::npos || key[sep] == '.')
        return key;
    std::string out = key;
    for (char &ch : out)
        ch = ch == '.' ? '/' : ch == '/' ? '.' : ch;
    return out;
}

// /proc/sys is only partly namespaced; these are runc's rules for which keys a container may
// set given its namespaces. (runc also refuses net.* when a netns path is the host's own; that
// needs a stat and is libcontainer's.)
Result<void> validateSysctl(const Config &c, const Linux &l)
{
    static const std::set<std::string, std::less<>> ipcKeys = {
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
        "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
    for (const auto &[key, value] : l.sysctl) {
        std::string p = memberPath("linux.sysctl", key);
        std::string s = dottedSysctl(key);
        if (ipcKeys.contains(s) || s.starts_with("fs.mqueue.")) {
            if (!c.findNamespace(NamespaceType::Ipc))
                return pathError(p, "not allowed without an IPC namespace");
            continue;
        }
        if (s.starts_with("net.")) {
            if (!c.findNamespace(NamespaceType::Network))
                return pathError(p, "not allowed without a network namespace");
            continue;
        }
        if (c.findNamespace(NamespaceType::Uts)) {
            if (s == "kernel.domainname")
                continue;
            if (s == "kernel.hostname")
                return pathError(p, "conflicts with the \"hostname\" field; set that instead");
        }
        if (s.starts_with("user.")) {
            if (!c.findNamespace(NamespaceType::User))
                return pathError(p, "not allowed without a user namespace");
            continue;
        }
        return pathError(p, "\"" + key + "\" is not in a separate kernel namespace");
    }
    return {};
}

Result<void> validatePathLists(const Config &c, const Linux &l)
{
    for (const auto &[name, list] : {std::pair{"linux.maskedPaths", &l.maskedPaths},
                                     std::pair{"linux.readonlyPaths", &l.readonlyPaths}}) {
        for (size_t i = 0; i < list->size(); ++i)
            if (!isAbsolute((*list)[i]))
                return notAbsolute(indexPath(name, i), (*list)[i]);
        // As runc: without a private mount namespace these would mask the host's /proc.
        if (!list->empty() && !c.findNamespace(NamespaceType::Mount))
            return pathError(name, "requires a mount namespace");
    }
    return {};
}

Result<void> validateDevices(const Linux &l)
{
    for (size_t i = 0; i < l.devices.size(); ++i) {
        const Device &d = l.devices[i];
        std::string p = indexPath("linux.devices", i);
        if (d.type != "c" && d.type != "b" && d.type != "u" && d.type != "p")
            return pathError(memberPath(p, "type"),
                             "unknown device type \"" + d.type + "\" (c, b, u or p)");
        if (!isAbsolute(d.path))
            return notAbsolute(memberPath(p, "path"), d.path);
    }
    return {};
}

bool validPageSize(const std::string &s)
{
    // schema: "^[1-9][0-9]*[KMG]B$"
    if (s.size() < 3 || s[0] < '1' || s[0] > '9' || s.back() != 'B')
        return false;
    char unit = s[s.size() - 2];
    if (unit != 'K' && unit != 'M' && unit != 'G')
        return false;
    return std::all_of(s.begin() + 1, s.end() - 2, [](char ch) { return ch >= '0' && ch <= '9'; });
}

Result<void> validateResources(const Resources &r)
{
    const std::string path = "linux.resources";
    for (size_t i = 0; i < r.devices.size(); ++i) {
        const DeviceRule &d = r.devices[i];
        std::string p = indexPath(memberPath(path, "devices"), i);
        if (!d.type.empty() && d.type != "a" && d.type != "c" && d.type != "b")
            return pathError(memberPath(p, "type"),
                             "unknown device type \"" + d.type + "\" (a, c or b)");
        if (!std::all_of(d.access.begin(), d.access.end(),
                         [](char ch) { return ch == 'r' || ch == 'w' || ch == 'm'; }))
            return pathError(memberPath(p, "access"),
                             "invalid access \"" + d.access + "\" (a subset of rwm)");
    }
    if (r.cpu && r.cpu->burst && r.cpu->quota && *r.cpu->quota > 0 &&
        *r.cpu->burst > static_cast<uint64_t>(*r.cpu->quota))
        return pathError(path + ".cpu.burst", "must not be larger than quota");
    if (r.blockIo) {
        const auto &wd = r.blockIo->weightDevice;
        for (size_t i = 0; i < wd.size(); ++i)
            if (!wd[i].weight && !wd[i].leafWeight)
                return pathError(indexPath(path + ".blockIO.weightDevice", i),
                                 "needs weight or leafWeight");
    }
    for (size_t i = 0; i < r.hugepageLimits.size(); ++i)
        if (!validPageSize(r.hugepageLimits[i].pageSize))
            return pathError(memberPath(indexPath(path + ".hugepageLimits", i), "pageSize"),
                             "invalid page size \"" + r.hugepageLimits[i].pageSize +
                                 "\" (like 2MB or 1GB)");
    for (const auto &[device, limits] : r.rdma)
        if (!limits.hcaHandles && !limits.hcaObjects)
            return pathError(memberPath(path + ".rdma", device), "needs hcaHandles or hcaObjects");
    return {};
}

Result<void> validateMemoryPolicy(const MemoryPolicy &m)
{
    const std::string path = "linux.memoryPolicy";
    static const std::set<std::string, std::less<>> flags = {
        "MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES"};
    bool noNodes = m.mode == "MPOL_DEFAULT" || m.mode == "MPOL_LOCAL";
    bool someNodes = m.mode == "MPOL_BIND" || m.mode == "MPOL_INTERLEAVE" ||
                     m.mode == "MPOL_PREFERRED_MANY" || m.mode == "MPOL_WEIGHTED_INTERLEAVE";
    if (!noNodes && !someNodes && m.mode != "MPOL_PREFERRED")
        return pathError(path + ".mode", "unknown mode \"" + m.mode + "\"");
    // set_mempolicy(2): which modes take a node mask (as runc checks).
    bool hasNodes = m.nodes.find_first_of("0123456789") != std::string::npos;
    if (noNodes && hasNodes)
        return pathError(path + ".nodes", m.mode + " takes no nodes");
    if (someNodes && !hasNodes)
        return pathError(path + ".nodes", m.mode + " needs at least one node");
    for (size_t i = 0; i < m.flags.size(); ++i)
        if (!flags.contains(m.flags[i]))
            return pathError(indexPath(path + ".flags", i), "unknown flag \"" + m.flags[i] + "\"");
    return {};
}

Result<void> validateIntelRdt(const IntelRdt &r)
{
    const std::string path = "linux.intelRdt";
    // closID names a directory under /sys/fs/resctrl; "/" is the spec's "default CLOS".
    const std::string &clos = r.closId;
    if (clos == "." || clos == ".." || (clos.size() > 1 && clos.find('/') != std::string::npos))
        return pathError(path + ".closID", "invalid CLOS id \"" + clos + "\"");
    if (!r.memBwSchema.empty() && !r.memBwSchema.starts_with("MB:"))
        return pathError(path + ".memBwSchema", "must start with \"MB:\"");
    if (r.memBwSchema.find('\n') != std::string::npos)
        return pathError(path + ".memBwSchema", "must not contain newlines");
    if (r.l3CacheSchema.find('\n') != std::string::npos)
        return pathError(path + ".l3CacheSchema", "must not contain newlines");
    for (size_t i = 0; i < r.schemata.size(); ++i)
        if (r.schemata[i].find('\n') != std::string::npos)
            return pathError(indexPath(path + ".schemata", i), "must not contain newlines");
    return {};
}

// The kernel's dev_valid_name(): shorter than IFNAMSIZ (16), not "." or "..", no '/', ':' or
// whitespace.
bool validInterfaceName(const std::string &name)
{
    if (name.empty() || name.size() >= 16 || name == "." || name == "..")
        return false;
    return name.find_first_of("/: \t\n\r\v\f") == std::string::npos;
}

Result<void> validateNetDevices(const Config &c, const Linux &l)
{
    if (l.netDevices.empty())
        return {};
    if (!c.findNamespace(NamespaceType::Network))
        return pathError("linux.netDevices", "requires a network namespace");
    for (const auto &[host, dev] : l.netDevices) {
        std::string p = memberPath("linux.netDevices", host);
        if (!validInterfaceName(host))
            return pathError(p, "invalid network device name \"" + host + "\"");
        if (!dev.name.empty() && !validInterfaceName(dev.name))
            return pathError(p + ".name", "invalid network device name \"" + dev.name + "\"");
    }
    return {};
}

} // namespace

Result<void> validateLinux(const Config &c)
{
    if (!c.linux)
        return {};
    const Linux &l = *c.linux;
    HUSK_TRY(validateNamespaces(l));
    HUSK_TRY(validateUserNamespace(c, l));
    HUSK_TRY(validateTimeOffsets(c, l));
    HUSK_TRY(validateSysctl(c, l));
    HUSK_TRY(validatePathLists(c, l));
    HUSK_TRY(validateDevices(l));
    static const std::set<std::string, std::less<>> propagations = {
        "",      "private", "rprivate",   "shared",     "rshared",
        "slave", "rslave",  "unbindable", "runbindable"};
    if (!propagations.contains(l.rootfsPropagation))
        return pathError("linux.rootfsPropagation",
                         "unknown propagation \"" + l.rootfsPropagation + "\"");
    if (l.resources)
        HUSK_TRY(validateResources(*l.resources));
    if (l.personality && l.personality->domain != "LINUX" && l.personality->domain != "LINUX32")
        return pathError("linux.personality.domain",
                         "unknown domain \"" + l.personality->domain + "\" (LINUX or LINUX32)");
    if (l.memoryPolicy)
        HUSK_TRY(validateMemoryPolicy(*l.memoryPolicy));
    if (l.intelRdt)
        HUSK_TRY(validateIntelRdt(*l.intelRdt));
    return validateNetDevices(c, l);
}

} // namespace husk::spec::detail
