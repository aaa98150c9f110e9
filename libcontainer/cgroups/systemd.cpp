#include "libcontainer/cgroups/systemd.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iterator>

#include "libcontainer/cgroups/resources.h"
#include "libcontainer/cgroups/systemd_dbus.h"

namespace husk::cgroups::systemd {

namespace {

bool validUnitChars(const std::string &s)
{
    if (s.empty())
        return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
              c == ':' || c == '@' || c == '\\'))
            return false;
    return true;
}

// cpu.weight from cpu.shares, the conversion runc and crun use (2..262144 -> 1..10000).
uint64_t sharesToWeight(uint64_t shares)
{
    if (shares == 0)
        return 0;
    return 1 + ((shares - 2) * 9999) / 262142;
}

Result<uint64_t> parseNumber(const std::string &s, const std::string &what)
{
    uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size() || s.empty())
        return fail(what + ": \"" + s + "\" is not a number");
    return v;
}

} // namespace

Result<Unit> parseCgroupsPath(const std::string &cgroupsPath, const std::string &id)
{
    const std::string field = "linux.cgroupsPath";
    if (cgroupsPath.empty())
        return Unit{"system.slice", "husk-" + id + ".scope"};
    size_t a = cgroupsPath.find(':');
    size_t b = a == std::string::npos ? a : cgroupsPath.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos ||
        cgroupsPath.find(':', b + 1) != std::string::npos)
        return fail(field + ": \"" + cgroupsPath +
                    "\": with --systemd-cgroup it must be \"slice:prefix:name\"");
    std::string slice = cgroupsPath.substr(0, a);
    std::string prefix = cgroupsPath.substr(a + 1, b - a - 1);
    std::string name = cgroupsPath.substr(b + 1);
    if (name.empty())
        return fail(field + ": \"" + cgroupsPath + "\": the name part is empty");
    if (slice.empty())
        slice = "system.slice";
    if (!slice.ends_with(".slice") || !validUnitChars(slice))
        return fail(field + ": \"" + slice + "\" is not a slice name (NAME.slice)");
    Unit u;
    u.slice = slice;
    if (name.ends_with(".slice"))
        u.name = name; // a slice of its own: husk moves the init into its cgroup itself
    else
        u.name = (prefix.empty() ? "" : prefix + "-") + name + ".scope";
    if (!validUnitChars(u.name))
        return fail(field + ": \"" + u.name + "\" is not a valid unit name");
    return u;
}

Result<std::string> slicePath(const std::string &slice)
{
    if (slice == "-.slice")
        return std::string();
    if (!slice.ends_with(".slice") || slice.find('/') != std::string::npos)
        return fail("\"" + slice + "\" is not a slice name");
    std::string stem = slice.substr(0, slice.size() - 6);
    if (stem.empty() || stem.front() == '-' || stem.back() == '-' ||
        stem.find("--") != std::string::npos)
        return fail("\"" + slice + "\" is not a valid slice name");
    std::string path;
    size_t pos = 0;
    for (;;) {
        size_t dash = stem.find('-', pos);
        std::string part = stem.substr(0, dash);
        path += "/" + part + ".slice";
        if (dash == std::string::npos)
            break;
        pos = dash + 1;
    }
    return path;
}

Result<std::string> unitCgroupPath(const Unit &unit)
{
    std::string base = HUSK_TRY(slicePath(unit.slice));
    if (unit.name.ends_with(".slice"))
        return HUSK_TRY(slicePath(unit.name)); // slices nest by their own name
    return base + "/" + unit.name;
}

const char *signature(const PropertyValue &value)
{
    // In the order of PropertyValue's alternatives.
    static constexpr const char *kSignatures[] = {"t", "s", "ay", "b", "a(ss)", "au", "as"};
    static_assert(std::variant_size_v<PropertyValue> == std::size(kSignatures));
    return kSignatures[value.index()];
}

std::vector<Property> unitProperties(const Unit &unit, const std::string &id, pid_t pid, bool v2,
                                     std::vector<Property> resources)
{
    std::vector<Property> out;
    out.push_back({"Description", "husk container " + id});
    if (unit.name.ends_with(".slice")) {
        // A slice holds no processes in systemd's model (husk puts the init in its cgroup
        // itself) and its place in the tree is its name, so it takes no Slice=; Wants= keeps
        // the parent slice up while the container's slice is.
        out.push_back({"Wants", std::vector<std::string>{unit.slice}});
    } else {
        out.push_back({"Slice", unit.slice});
        // A scope is born around running processes: the init, which waits for husk's go.
        out.push_back({"PIDs", std::vector<uint32_t>{static_cast<uint32_t>(pid)}});
        // The container owns the subtree (a nested runtime, or systemd as its init, makes
        // cgroups below it): Delegate= tells systemd to leave what is below the scope alone.
        out.push_back({"Delegate", true});
    }
    // Default dependencies (Conflicts= and Before=shutdown.target) would let systemd's own
    // transactions stop the container; its lifetime is the runtime's and its engine's.
    out.push_back({"DefaultDependencies", false});
    // systemd creates a unit's cgroup only in the controllers it has a reason to: with every
    // accounting switch on it creates it in all the hierarchies it manages, and the cgroupfs
    // writes husk makes afterwards find their directories.
    for (const char *name : {"MemoryAccounting", "CPUAccounting",
                             v2 ? "IOAccounting" : "BlockIOAccounting", "TasksAccounting"})
        out.push_back({name, true});
    for (Property &p : resources)
        out.push_back(std::move(p));
    return out;
}

Result<std::vector<uint8_t>> cpusetMask(const std::string &list)
{
    std::vector<uint8_t> mask;
    size_t pos = 0;
    while (pos < list.size()) {
        size_t comma = list.find(',', pos);
        std::string item = list.substr(pos, comma == std::string::npos ? comma : comma - pos);
        pos = comma == std::string::npos ? list.size() : comma + 1;
        if (item.empty())
            continue;
        size_t dash = item.find('-');
        uint64_t lo = HUSK_TRY(parseNumber(item.substr(0, dash), "cpuset \"" + list + "\""));
        uint64_t hi = dash == std::string::npos
                          ? lo
                          : HUSK_TRY(parseNumber(item.substr(dash + 1), "cpuset \"" + list + "\""));
        if (hi < lo || hi > 8191)
            return fail("cpuset \"" + list + "\": bad range \"" + item + "\"");
        for (uint64_t i = lo; i <= hi; ++i) {
            if (mask.size() <= i / 8)
                mask.resize(i / 8 + 1, 0);
            mask[i / 8] |= static_cast<uint8_t>(1U << (i % 8));
        }
    }
    return mask;
}

DeviceNames parseProcDevices(std::string_view text)
{
    DeviceNames out;
    char type = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line.starts_with("Character devices:")) {
            type = 'c';
            continue;
        }
        if (line.starts_with("Block devices:")) {
            type = 'b';
            continue;
        }
        size_t first = line.find_first_not_of(' ');
        size_t space = first == std::string_view::npos ? first : line.find(' ', first);
        if (!type || space == std::string_view::npos)
            continue;
        int64_t major = 0;
        auto [ptr, ec] = std::from_chars(line.data() + first, line.data() + space, major);
        std::string_view name = line.substr(space + 1);
        if (ec != std::errc() || ptr != line.data() + space || name.empty() ||
            name.find('/') != std::string_view::npos)
            continue;
        out.try_emplace({type, major}, std::string(name));
    }
    return out;
}

Result<std::vector<Property>> resourceProperties(const spec::Resources &r, bool v2,
                                                 const DeviceNames &names)
{
    std::vector<Property> out;
    auto limit = [](int64_t v) { return v < 0 ? kInfinity : static_cast<uint64_t>(v); };
    if (r.memory) {
        const spec::Memory &m = *r.memory;
        if (m.limit && *m.limit != 0)
            out.push_back({v2 ? "MemoryMax" : "MemoryLimit", limit(*m.limit)});
        if (v2 && m.reservation && *m.reservation != 0)
            out.push_back({"MemoryLow", limit(*m.reservation)});
        if (v2 && m.swap && *m.swap != 0) {
            // memory.swap.max is swap alone; the spec's swap is memory + swap.
            if (*m.swap < 0)
                out.push_back({"MemorySwapMax", kInfinity});
            else if (m.limit && *m.limit > 0) {
                if (*m.swap < *m.limit)
                    return fail("linux.resources.memory.swap: less than the memory limit");
                out.push_back({"MemorySwapMax", static_cast<uint64_t>(*m.swap - *m.limit)});
            }
        }
    }
    if (r.cpu) {
        const spec::Cpu &c = *r.cpu;
        if (c.shares && *c.shares != 0) {
            if (v2)
                out.push_back({"CPUWeight", sharesToWeight(*c.shares)});
            else
                out.push_back({"CPUShares", *c.shares});
        }
        if (c.quota && *c.quota != 0) {
            uint64_t period = c.period && *c.period ? *c.period : 100000;
            if (*c.quota < 0) {
                out.push_back({"CPUQuotaPerSecUSec", kInfinity});
            } else {
                // systemd takes the quota per second and rounds to 10 ms; round up so a small
                // quota never becomes no CPU at all.
                uint64_t perSec = static_cast<uint64_t>(*c.quota) * 1000000 / period;
                perSec = (perSec + 9999) / 10000 * 10000;
                out.push_back({"CPUQuotaPerSecUSec", perSec});
            }
            if (v2 && c.period && *c.period)
                out.push_back({"CPUQuotaPeriodUSec", *c.period});
        }
        if (!c.cpus.empty())
            out.push_back({"AllowedCPUs", HUSK_TRY(cpusetMask(c.cpus))});
        if (!c.mems.empty())
            out.push_back({"AllowedMemoryNodes", HUSK_TRY(cpusetMask(c.mems))});
    }
    if (r.pidsLimit && *r.pidsLimit != 0)
        out.push_back({"TasksMax", limit(*r.pidsLimit)});
    if (r.blockIo && r.blockIo->weight && *r.blockIo->weight != 0) {
        if (v2)
            // io.weight is 1..10000, blkio.weight 10..1000: the linear map systemd documents.
            out.push_back(
                {"IOWeight", 1 + (static_cast<uint64_t>(*r.blockIo->weight) - 10) * 9999 / 990});
        else
            out.push_back({"BlockIOWeight", static_cast<uint64_t>(*r.blockIo->weight)});
    }
    if (!r.devices.empty()) {
        // Deny by default and list what is allowed; the rules are also written to cgroupfs
        // (v1) or attached as a BPF program (v2) afterwards, which stays authoritative. The
        // defaults husk adds after the config's rules (a working /dev) go to systemd too: it
        // re-applies its own list whenever it realizes the unit's cgroup again (v1), and on v2
        // its program and husk's must both allow an access.
        std::vector<spec::DeviceRule> rules = r.devices;
        rules.insert(rules.end(), defaultDeviceRules().begin(), defaultDeviceRules().end());
        std::vector<std::pair<std::string, std::string>> allow;
        auto add = [&allow](std::string node, std::string access) {
            std::pair<std::string, std::string> entry(std::move(node), std::move(access));
            if (std::find(allow.begin(), allow.end(), entry) == allow.end())
                allow.push_back(std::move(entry));
        };
        for (const spec::DeviceRule &d : rules) {
            if (!d.allow)
                continue;
            std::string type = d.type.empty() ? "a" : d.type;
            std::string access = d.access.empty() ? "rwm" : d.access;
            if (type == "a") {
                add("char-*", access);
                add("block-*", access);
                continue;
            }
            std::string node;
            const std::string cls = type == "c" ? "char-" : "block-";
            if (d.major && d.minor) {
                // A numbered node as the /dev/char|block/MAJ:MIN path systemd resolves itself.
                node = (type == "c" ? "/dev/char/" : "/dev/block/") + std::to_string(*d.major) +
                       ":" + std::to_string(*d.minor);
            } else if (auto name = d.major ? names.find({type[0], *d.major}) : names.end();
                       name != names.end()) {
                // systemd names a whole major only by its /proc/devices name.
                node = cls + name->second;
            } else {
                // An unnamed major: the class wildcard keeps it reachable, and the cgroupfs
                // (v1) or BPF (v2) rules husk applies afterwards are the exact filter.
                node = cls + "*";
            }
            add(node, access);
        }
        out.push_back({"DevicePolicy", std::string("strict")});
        out.push_back({"DeviceAllow", allow});
    }
    return out;
}

bool running()
{
    struct stat st;
    return ::stat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

Error jobError(const std::string &action, const std::string &unit, const std::string &result)
{
    std::string text =
        "systemd: " + action + " " + unit + ": the job ended with result \"" + result + "\"";
    if (result == "failed" || result == "dependency")
        text += " (`journalctl -u " + unit + "` may say why)";
    else if (result == "timeout")
        text += " (systemd's own job timeout)";
    return Error(text);
}

} // namespace husk::cgroups::systemd
