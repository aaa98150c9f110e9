#include "libcontainer/process/attrs/intel_rdt.h"

#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <map>

#include "common/file.h"
#include "common/text.h"
#include "libcontainer/process/attrs/fields.h"

namespace husk {

namespace {

constexpr long kResctrlMagic = 0x7655821; // RDTGROUP_SUPER_MAGIC

std::vector<std::string_view> splitLines(std::string_view text)
{
    std::vector<std::string_view> lines;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos)
            nl = text.size();
        std::string_view line = trimBlanks(text.substr(pos, nl - pos));
        if (!line.empty())
            lines.push_back(line);
        pos = nl + 1;
    }
    return lines;
}

std::string joinLines(const std::vector<std::string_view> &lines)
{
    std::string out;
    for (std::string_view l : lines) {
        if (!out.empty())
            out += '\n';
        out += l;
    }
    return out;
}

// One schemata line "L3:0=7f0;1=1f" as resource and id → value, values lower-cased without a
// 0x prefix or leading zeros (the kernel prints "%x" or "%u", users write what they like).
bool parseSchemataLine(std::string_view line, std::string &resource,
                       std::map<std::string, std::string> &domains)
{
    size_t colon = line.find(':');
    if (colon == std::string_view::npos)
        return false;
    resource = std::string(trimBlanks(line.substr(0, colon)));
    std::string_view rest = line.substr(colon + 1);
    size_t pos = 0;
    while (pos <= rest.size()) {
        size_t semi = rest.find(';', pos);
        if (semi == std::string_view::npos)
            semi = rest.size();
        std::string_view item = trimBlanks(rest.substr(pos, semi - pos));
        pos = semi + 1;
        if (item.empty())
            continue;
        size_t eq = item.find('=');
        if (eq == std::string_view::npos)
            return false;
        std::string value(trimBlanks(item.substr(eq + 1)));
        std::transform(value.begin(), value.end(), value.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (value.starts_with("0x"))
            value.erase(0, 2);
        size_t nonzero = value.find_first_not_of('0');
        value = nonzero == std::string::npos ? "0" : value.substr(nonzero);
        domains[std::string(trimBlanks(item.substr(0, eq)))] = value;
    }
    return true;
}

std::string resctrlDir(const IntelRdtPlan &plan, const std::string &root)
{
    return plan.group.empty() ? root : root + "/" + plan.group;
}

// The kernel explains a refused schemata write in info/last_cmd_status.
Error withResctrlStatus(Error e, const std::string &root)
{
    auto status = readFile(root + "/info/last_cmd_status");
    if (!status || trimBlanks(*status).empty())
        return e;
    return Error(e.message() + " (resctrl: " + std::string(trimBlanks(*status)) + ")", e.code());
}

} // namespace

Result<IntelRdtPlan> planIntelRdt(const spec::IntelRdt &rdt, const std::string &containerId)
{
    const std::string field = "linux.intelRdt";
    const std::string &clos = rdt.closId;
    if (clos == "." || clos == ".." || (clos.size() > 1 && clos.find('/') != std::string::npos))
        return fail(field + ".closID: invalid CLOS id " + inQuotes(clos));
    if (!rdt.memBwSchema.empty() && !rdt.memBwSchema.starts_with("MB:"))
        return fail(field + ".memBwSchema: must start with \"MB:\"");
    IntelRdtPlan plan;
    // l3CacheSchema may carry an MB: line of its own; memBwSchema wins over it.
    std::vector<std::string_view> lines;
    for (std::string_view l : splitLines(rdt.l3CacheSchema))
        if (rdt.memBwSchema.empty() || !l.starts_with("MB:"))
            lines.push_back(l);
    for (std::string_view l : splitLines(rdt.memBwSchema))
        lines.push_back(l);
    std::string cacheAndBandwidth = joinLines(lines);
    std::vector<std::string_view> extra;
    for (const std::string &s : rdt.schemata)
        for (std::string_view l : splitLines(s))
            extra.push_back(l);
    std::string schemata = joinLines(extra);
    // The spec: l3CacheSchema and memBwSchema first, schemata after them.
    if (!cacheAndBandwidth.empty())
        plan.writes.push_back(cacheAndBandwidth + "\n");
    if (!schemata.empty())
        plan.writes.push_back(schemata + "\n");
    const bool anySchema = !plan.writes.empty();

    if (clos.empty()) {
        if (containerId.empty())
            return fail(field + ": no closID and no container id to name the group after");
        plan.group = containerId;
        plan.ownedGroup = true;
        plan.mayCreate = true;
    } else if (clos == "/") {
        plan.group.clear(); // the default CLOS: resctrl's root, always there
    } else {
        plan.group = clos;
        plan.mayCreate = anySchema;
        plan.mustExist = !anySchema;
        plan.compareSchemata = cacheAndBandwidth;
    }
    // A container in its own group is monitored through that group; in a shared one it needs a
    // monitoring group of its own.
    if (rdt.enableMonitoring.value_or(false) && !plan.ownedGroup) {
        if (containerId.empty())
            return fail(field + ".enableMonitoring: no container id to name the group after");
        plan.monitorGroup = containerId;
    }
    plan.needCmt = rdt.enableCmt.value_or(false);
    plan.needMbm = rdt.enableMbm.value_or(false);
    return plan;
}

bool schemataMatches(std::string_view current, std::string_view wanted)
{
    std::map<std::string, std::map<std::string, std::string>> have;
    for (std::string_view line : splitLines(current)) {
        std::string resource;
        std::map<std::string, std::string> domains;
        if (parseSchemataLine(line, resource, domains))
            have[resource] = std::move(domains);
    }
    for (std::string_view line : splitLines(wanted)) {
        std::string resource;
        std::map<std::string, std::string> domains;
        if (!parseSchemataLine(line, resource, domains))
            return false;
        auto it = have.find(resource);
        if (it == have.end())
            return false;
        for (const auto &[id, value] : domains) {
            auto d = it->second.find(id);
            if (d == it->second.end() || d->second != value)
                return false;
        }
    }
    return true;
}

Result<void> checkIntelRdt(const spec::IntelRdt &rdt, const std::string &root)
{
    struct statfs fs;
    if (::statfs(root.c_str(), &fs) < 0 || fs.f_type != kResctrlMagic)
        return fail("linux.intelRdt: not supported on this host (resctrl is not mounted at " +
                    root + ")");
    const bool wantsMonitoring = rdt.enableCmt.value_or(false) || rdt.enableMbm.value_or(false) ||
                                 rdt.enableMonitoring.value_or(false);
    if (!wantsMonitoring)
        return {};
    auto features = readFile(root + "/info/L3_MON/mon_features");
    if (!features)
        return fail("linux.intelRdt: monitoring is not supported on this host (no " + root +
                    "/info/L3_MON)");
    if (rdt.enableCmt.value_or(false) && features->find("llc_occupancy") == std::string::npos)
        return fail("linux.intelRdt.enableCMT: this host has no cache monitoring");
    if (rdt.enableMbm.value_or(false) && features->find("mbm_total_bytes") == std::string::npos &&
        features->find("mbm_local_bytes") == std::string::npos)
        return fail("linux.intelRdt.enableMBM: this host has no memory bandwidth monitoring");
    return {};
}

Result<void> applyIntelRdt(const IntelRdtPlan &plan, pid_t pid, const std::string &root)
{
    const std::string field = "linux.intelRdt";
    const std::string dir = resctrlDir(plan, root);
    bool created = false;
    if (!plan.group.empty()) {
        struct stat st;
        const bool exists = ::stat(dir.c_str(), &st) == 0;
        if (!exists && plan.mustExist)
            return fail(field + ".closID: no group " + inQuotes(plan.group) + " under " + root,
                        ENOENT);
        if (!exists) {
            if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST)
                // ENOSPC: the hardware has no CLOS left.
                return failErrno(field + ": create " + dir);
            created = true;
        } else if (!plan.ownedGroup && !plan.compareSchemata.empty()) {
            std::string current = HUSK_TRY_CTX(readFile(dir + "/schemata"), field);
            if (!schemataMatches(current, plan.compareSchemata))
                return fail(field + ": group " + inQuotes(plan.group) +
                            " exists with a different schemata");
        }
    }
    auto undo = [&](Error e) -> Result<void> {
        if (created)
            ::rmdir(dir.c_str());
        return std::unexpected(std::move(e));
    };
    for (const std::string &w : plan.writes)
        if (auto r = writeExisting(dir + "/schemata", w); !r)
            return undo(
                withResctrlStatus(std::move(r).error(), root).context(field + ": schemata"));
    if (auto r = writeExisting(dir + "/tasks", std::to_string(pid)); !r)
        return undo(std::move(r).error().context(field + ": tasks"));
    if (!plan.monitorGroup.empty()) {
        const std::string mon = dir + "/mon_groups/" + plan.monitorGroup;
        if (::mkdir(mon.c_str(), 0755) < 0 && errno != EEXIST)
            return undo(Error(field + ".enableMonitoring: create " + mon, errno));
        if (auto r = writeExisting(mon + "/tasks", std::to_string(pid)); !r)
            return undo(std::move(r).error().context(field + ".enableMonitoring"));
    }
    return {};
}

Result<void> removeIntelRdt(const IntelRdtPlan &plan, const std::string &root)
{
    const std::string dir = resctrlDir(plan, root);
    if (!plan.monitorGroup.empty()) {
        const std::string mon = dir + "/mon_groups/" + plan.monitorGroup;
        if (::rmdir(mon.c_str()) < 0 && errno != ENOENT)
            return failErrno("linux.intelRdt: remove " + mon);
    }
    if (plan.ownedGroup && ::rmdir(dir.c_str()) < 0 && errno != ENOENT)
        return failErrno("linux.intelRdt: remove " + dir);
    return {};
}

} // namespace husk
