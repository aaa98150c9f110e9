#include "libcontainer/process_attrs.h"

#include <linux/mempolicy.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <functional>
#include <map>
#include <utility>

#include "common/file.h"
#include "common/name_table.h"
#include "common/text.h"

namespace husk {

namespace {

// ---- shared helpers ---------------------------------------------------------------------------

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

std::string fieldError(std::string_view field, std::string_view message)
{
    return std::string(field) + ": " + std::string(message);
}

std::string indexField(std::string_view field, size_t i)
{
    return std::string(field) + "[" + std::to_string(i) + "]";
}

template <typename V>
std::optional<V> lookup(const std::map<std::string_view, V> &table, std::string_view name)
{
    auto it = table.find(name);
    if (it == table.end())
        return std::nullopt;
    return it->second;
}

// The kernel's list format (cpuset.cpus, /sys/devices/system/node/online): comma-separated ids
// and inclusive ranges. The spec's schema also allows spaces, which runc skips.
Result<void> parseIdList(std::string_view list, std::string_view field, std::string_view what,
                         const std::function<void(unsigned)> &add)
{
    auto bad = [&](std::string_view why) {
        return fail(fieldError(field, "invalid " + std::string(what) + " list " + inQuotes(list) +
                                          ": " + std::string(why)));
    };
    auto number = [&](std::string_view text) -> Result<unsigned> {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || ec != std::errc() || end != text.data() + text.size())
            return bad(inQuotes(text) + " is not a number");
        if (value > kMaxListId)
            return bad(std::string(what) + " " + std::string(text) + " is out of range (at most " +
                       std::to_string(kMaxListId) + ")");
        return value;
    };
    if (trim(list).empty())
        return bad("empty");
    size_t pos = 0;
    while (pos <= list.size()) {
        size_t comma = list.find(',', pos);
        if (comma == std::string_view::npos)
            comma = list.size();
        std::string_view item = trim(list.substr(pos, comma - pos));
        pos = comma + 1;
        if (item.empty())
            return bad("empty item");
        size_t dash = item.find('-');
        unsigned first = HUSK_TRY(number(trim(item.substr(0, dash))));
        unsigned last = first;
        if (dash != std::string_view::npos)
            last = HUSK_TRY(number(trim(item.substr(dash + 1))));
        if (last < first)
            return bad("range " + std::string(item) + " is reversed");
        for (unsigned id = first; id <= last; ++id)
            add(id);
    }
    return {};
}

// ---- scheduler --------------------------------------------------------------------------------

// sched_setattr(2)'s struct, declared here: glibc only gained it in 2.41, and <linux/sched/types.h>
// clashes with <sched.h>. The layout is SCHED_ATTR_SIZE_VER1.
struct SchedAttr {
    uint32_t size;
    uint32_t policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime;
    uint64_t deadline;
    uint64_t period;
    uint32_t utilMin;
    uint32_t utilMax;
};
static_assert(sizeof(SchedAttr) == 56, "SCHED_ATTR_SIZE_VER1");

// From <linux/sched.h> (which redefines <sched.h>'s macros, so it is not included).
constexpr uint32_t kSchedDeadline = 6;
constexpr uint64_t kSchedFlagResetOnFork = 0x01;

const std::map<std::string_view, uint32_t> kSchedPolicies = {
    {"SCHED_OTHER", SCHED_OTHER}, {"SCHED_FIFO", SCHED_FIFO}, {"SCHED_RR", SCHED_RR},
    {"SCHED_BATCH", SCHED_BATCH}, {"SCHED_IDLE", SCHED_IDLE}, {"SCHED_DEADLINE", kSchedDeadline},
};

const std::map<std::string_view, uint64_t> kSchedFlags = {
    {"SCHED_FLAG_RESET_ON_FORK", kSchedFlagResetOnFork},
    {"SCHED_FLAG_RECLAIM", 0x02},
    {"SCHED_FLAG_DL_OVERRUN", 0x04},
    {"SCHED_FLAG_KEEP_POLICY", 0x08},
    {"SCHED_FLAG_KEEP_PARAMS", 0x10},
    {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
    {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40},
};

// ---- ioprio -----------------------------------------------------------------------------------

// From <linux/ioprio.h>.
constexpr int kIoprioClassShift = 13;
constexpr int kIoprioWhoProcess = 1;

const std::map<std::string_view, int> kIoprioClasses = {
    {"IOPRIO_CLASS_RT", 1}, {"IOPRIO_CLASS_BE", 2}, {"IOPRIO_CLASS_IDLE", 3}};

// ---- personality ------------------------------------------------------------------------------

const std::map<std::string_view, unsigned long> kPersonalityDomains = {{"LINUX", PER_LINUX},
                                                                       {"LINUX32", PER_LINUX32}};

const std::map<std::string_view, unsigned long> kPersonalityFlags = {
    {"ADDR_COMPAT_LAYOUT", ADDR_COMPAT_LAYOUT}, {"ADDR_LIMIT_32BIT", ADDR_LIMIT_32BIT},
    {"ADDR_LIMIT_3GB", ADDR_LIMIT_3GB},         {"ADDR_NO_RANDOMIZE", ADDR_NO_RANDOMIZE},
    {"FDPIC_FUNCPTRS", FDPIC_FUNCPTRS},         {"MMAP_PAGE_ZERO", MMAP_PAGE_ZERO},
    {"READ_IMPLIES_EXEC", READ_IMPLIES_EXEC},   {"SHORT_INODE", SHORT_INODE},
    {"STICKY_TIMEOUTS", STICKY_TIMEOUTS},       {"UNAME26", UNAME26},
    {"WHOLE_SECONDS", WHOLE_SECONDS},
};

// ---- memory policy ----------------------------------------------------------------------------

// Debian 12's <linux/mempolicy.h> stops at MPOL_PREFERRED_MANY; 6.9 added this one.
constexpr int kMpolWeightedInterleave = 6;

const std::map<std::string_view, int> kMpolModes = {
    {"MPOL_DEFAULT", MPOL_DEFAULT},
    {"MPOL_PREFERRED", MPOL_PREFERRED},
    {"MPOL_BIND", MPOL_BIND},
    {"MPOL_INTERLEAVE", MPOL_INTERLEAVE},
    {"MPOL_LOCAL", MPOL_LOCAL},
    {"MPOL_PREFERRED_MANY", MPOL_PREFERRED_MANY},
    {"MPOL_WEIGHTED_INTERLEAVE", kMpolWeightedInterleave},
};

const std::map<std::string_view, int> kMpolFlags = {
    {"MPOL_F_NUMA_BALANCING", MPOL_F_NUMA_BALANCING},
    {"MPOL_F_RELATIVE_NODES", MPOL_F_RELATIVE_NODES},
    {"MPOL_F_STATIC_NODES", MPOL_F_STATIC_NODES},
};

// ---- resctrl ----------------------------------------------------------------------------------

constexpr long kResctrlMagic = 0x7655821; // RDTGROUP_SUPER_MAGIC

std::vector<std::string_view> splitLines(std::string_view text)
{
    std::vector<std::string_view> lines;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos)
            nl = text.size();
        std::string_view line = trim(text.substr(pos, nl - pos));
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
    resource = std::string(trim(line.substr(0, colon)));
    std::string_view rest = line.substr(colon + 1);
    size_t pos = 0;
    while (pos <= rest.size()) {
        size_t semi = rest.find(';', pos);
        if (semi == std::string_view::npos)
            semi = rest.size();
        std::string_view item = trim(rest.substr(pos, semi - pos));
        pos = semi + 1;
        if (item.empty())
            continue;
        size_t eq = item.find('=');
        if (eq == std::string_view::npos)
            return false;
        std::string value(trim(item.substr(eq + 1)));
        std::transform(value.begin(), value.end(), value.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (value.starts_with("0x"))
            value.erase(0, 2);
        size_t nonzero = value.find_first_not_of('0');
        value = nonzero == std::string::npos ? "0" : value.substr(nonzero);
        domains[std::string(trim(item.substr(0, eq)))] = value;
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
    if (!status || trim(*status).empty())
        return e;
    return Error(e.message() + " (resctrl: " + std::string(trim(*status)) + ")", e.code());
}

} // namespace

// ---- process.scheduler ------------------------------------------------------------------------

Result<SchedulerPlan> planScheduler(const spec::Scheduler &s)
{
    const std::string field = "process.scheduler";
    SchedulerPlan plan;
    if (s.policy == "SCHED_ISO")
        return fail(field + ".policy: SCHED_ISO is not implemented by Linux");
    auto policy = lookup(kSchedPolicies, s.policy);
    if (!policy)
        return fail(field + ".policy: unknown policy " + inQuotes(s.policy));
    plan.policy = *policy;
    for (size_t i = 0; i < s.flags.size(); ++i) {
        auto flag = lookup(kSchedFlags, s.flags[i]);
        if (!flag)
            return fail(indexField(field + ".flags", i) + ": unknown flag " + inQuotes(s.flags[i]));
        plan.flags |= *flag;
    }
    if (s.nice) {
        if (*s.nice < -20 || *s.nice > 19)
            return fail(field + ".nice: value " + std::to_string(*s.nice) +
                        " out of range [-20, 19]");
        plan.nice = *s.nice;
    }
    const bool realtime = plan.policy == SCHED_FIFO || plan.policy == SCHED_RR;
    const int32_t priority = s.priority.value_or(0);
    if (realtime && (priority < 1 || priority > 99))
        return fail(field + ".priority: " + s.policy + " needs a priority in [1, 99], not " +
                    std::to_string(priority));
    if (!realtime && priority != 0)
        return fail(field + ".priority: only allowed with SCHED_FIFO or SCHED_RR, not " + s.policy);
    plan.priority = static_cast<uint32_t>(priority);
    plan.runtime = s.runtime.value_or(0);
    plan.deadline = s.deadline.value_or(0);
    plan.period = s.period.value_or(0);
    if (plan.policy != kSchedDeadline) {
        if (plan.runtime || plan.deadline || plan.period)
            return fail(field +
                        ": runtime, deadline and period are only allowed with "
                        "SCHED_DEADLINE, not " +
                        s.policy);
        return plan;
    }
    // The kernel's __checkparam_dl(), said in the spec's words: 0 < runtime <= deadline <= period
    // (period 0 means period = deadline), runtime at least 1024 ns.
    if (plan.runtime < 1024)
        return fail(field + ".runtime: SCHED_DEADLINE needs a runtime of at least 1024 ns");
    if (plan.deadline < plan.runtime)
        return fail(field + ".deadline: must not be smaller than runtime");
    if (plan.period != 0 && plan.period < plan.deadline)
        return fail(field + ".period: must not be smaller than deadline");
    if ((plan.deadline | plan.period) & (uint64_t{1} << 63))
        return fail(field + ": deadline and period must be below 2^63 ns");
    return plan;
}

bool schedulerForbidsFork(const SchedulerPlan &plan)
{
    return plan.policy == kSchedDeadline && !(plan.flags & kSchedFlagResetOnFork);
}

Result<void> applyScheduler(const SchedulerPlan &plan)
{
    SchedAttr attr{};
    attr.size = sizeof(attr);
    attr.policy = plan.policy;
    attr.flags = plan.flags;
    attr.nice = plan.nice;
    attr.priority = plan.priority;
    attr.runtime = plan.runtime;
    attr.deadline = plan.deadline;
    attr.period = plan.period;
    if (::syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
        return failErrno("sched_setattr");
    return {};
}

// ---- process.ioPriority -----------------------------------------------------------------------

Result<int> planIoPriority(const spec::IoPriority &io)
{
    auto ioClass = lookup(kIoprioClasses, io.ioClass);
    if (!ioClass)
        return fail("process.ioPriority.class: unknown class " + inQuotes(io.ioClass));
    if (io.priority < 0 || io.priority > 7)
        return fail("process.ioPriority.priority: value " + std::to_string(io.priority) +
                    " out of range [0, 7]");
    return (*ioClass << kIoprioClassShift) | io.priority;
}

Result<void> applyIoPriority(int value)
{
    if (::syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, value) < 0)
        return failErrno("ioprio_set");
    return {};
}

// ---- CPU and node lists -----------------------------------------------------------------------

Result<cpu_set_t> parseCpuList(std::string_view list, std::string_view field)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    HUSK_TRY(parseIdList(list, field, "CPU", [&](unsigned cpu) { CPU_SET(cpu, &set); }));
    return set;
}

Result<std::vector<unsigned long>> parseNodeList(std::string_view list, std::string_view field)
{
    constexpr unsigned kBits = 8 * sizeof(unsigned long);
    std::vector<unsigned long> mask;
    HUSK_TRY(parseIdList(list, field, "node", [&](unsigned node) {
        if (mask.size() <= node / kBits)
            mask.resize(node / kBits + 1, 0);
        mask[node / kBits] |= 1UL << (node % kBits);
    }));
    return mask;
}

Result<void> applyCpuAffinity(const cpu_set_t &cpus)
{
    if (::sched_setaffinity(0, sizeof(cpus), &cpus) < 0)
        return failErrno("sched_setaffinity");
    return {};
}

// ---- linux.personality ------------------------------------------------------------------------

Result<unsigned long> planPersonality(const spec::Personality &p)
{
    auto domain = lookup(kPersonalityDomains, p.domain);
    if (!domain)
        return fail("linux.personality.domain: unknown domain " + inQuotes(p.domain) +
                    " (LINUX or LINUX32)");
    unsigned long persona = *domain;
    for (size_t i = 0; i < p.flags.size(); ++i) {
        auto flag = lookup(kPersonalityFlags, p.flags[i]);
        if (!flag)
            return fail(indexField("linux.personality.flags", i) + ": unknown flag " +
                        inQuotes(p.flags[i]));
        persona |= *flag;
    }
    return persona;
}

Result<void> applyPersonality(unsigned long persona)
{
    if (::personality(persona) < 0)
        return failErrno("personality");
    return {};
}

// ---- linux.memoryPolicy -----------------------------------------------------------------------

Result<MemoryPolicyPlan> planMemoryPolicy(const spec::MemoryPolicy &policy)
{
    const std::string field = "linux.memoryPolicy";
    auto mode = lookup(kMpolModes, policy.mode);
    if (!mode)
        return fail(field + ".mode: unknown mode " + inQuotes(policy.mode));
    MemoryPolicyPlan plan;
    plan.mode = *mode;
    int flags = 0;
    for (size_t i = 0; i < policy.flags.size(); ++i) {
        auto flag = lookup(kMpolFlags, policy.flags[i]);
        if (!flag)
            return fail(indexField(field + ".flags", i) + ": unknown flag " +
                        inQuotes(policy.flags[i]));
        flags |= *flag;
    }
    // set_mempolicy(2)'s rules, checked here so the error names the field instead of EINVAL.
    if ((flags & MPOL_F_STATIC_NODES) && (flags & MPOL_F_RELATIVE_NODES))
        return fail(field + ".flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude "
                            "each other");
    if ((flags & MPOL_F_NUMA_BALANCING) && *mode != MPOL_BIND && *mode != MPOL_PREFERRED_MANY)
        return fail(field +
                    ".flags: MPOL_F_NUMA_BALANCING needs MPOL_BIND or "
                    "MPOL_PREFERRED_MANY, not " +
                    policy.mode);
    if (*mode == MPOL_LOCAL && (flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES)))
        return fail(field + ".flags: MPOL_LOCAL takes no node flags");
    plan.mode |= flags;
    const bool hasNodes = !trim(policy.nodes).empty();
    if ((*mode == MPOL_DEFAULT || *mode == MPOL_LOCAL) && hasNodes)
        return fail(field + ".nodes: " + policy.mode + " takes no nodes");
    const bool needsNodes = *mode == MPOL_BIND || *mode == MPOL_INTERLEAVE ||
                            *mode == MPOL_PREFERRED_MANY || *mode == kMpolWeightedInterleave;
    if (needsNodes && !hasNodes)
        return fail(field + ".nodes: " + policy.mode + " needs at least one node");
    if (hasNodes)
        plan.nodemask = HUSK_TRY(parseNodeList(policy.nodes, field + ".nodes"));
    return plan;
}

Result<void> applyMemoryPolicy(const MemoryPolicyPlan &plan)
{
    // The kernel reads maxnode - 1 bits (an off-by-one kept for ABI's sake), so pass one more
    // than the mask holds.
    const unsigned long maxNode =
        plan.nodemask.empty() ? 0 : plan.nodemask.size() * 8 * sizeof(unsigned long) + 1;
    if (::syscall(SYS_set_mempolicy, plan.mode,
                  plan.nodemask.empty() ? nullptr : plan.nodemask.data(), maxNode) < 0)
        return failErrno("set_mempolicy");
    return {};
}

std::vector<std::string_view> memoryPolicyModeNames()
{
    return mapKeys(kMpolModes);
}

std::vector<std::string_view> memoryPolicyFlagNames()
{
    return mapKeys(kMpolFlags);
}

// ---- LSMs -------------------------------------------------------------------------------------

bool apparmorEnabled(const std::string &enabledFile)
{
    auto text = readFile(enabledFile);
    return text && trim(*text) == "Y";
}

bool selinuxEnabled(const std::string &selinuxFs)
{
    struct stat st;
    return ::stat((selinuxFs + "/enforce").c_str(), &st) == 0;
}

Result<void> checkApparmor(const std::string &profile, const std::string &enabledFile)
{
    if (!profile.empty() && !apparmorEnabled(enabledFile))
        return fail("process.apparmorProfile: AppArmor is not enabled on this host");
    return {};
}

Result<void> checkSelinuxLabel(const std::string &label, const std::string &selinuxFs)
{
    if (!label.empty() && !selinuxEnabled(selinuxFs))
        return fail("process.selinuxLabel: SELinux is not enabled on this host");
    return {};
}

Result<void> checkMountLabel(const std::string &label, const std::string &selinuxFs)
{
    if (!label.empty() && !selinuxEnabled(selinuxFs))
        return fail("linux.mountLabel: SELinux is not enabled on this host");
    return {};
}

Result<void> applyApparmor(const std::string &profile)
{
    // thread-self: the attribute is per task, and the file is refused to any other task.
    std::string data = "exec " + profile;
    auto r = writeExisting("/proc/thread-self/attr/apparmor/exec", data);
    if (!r && r.error().code() == ENOENT) // before 5.8 AppArmor used the shared attr file
        r = writeExisting("/proc/thread-self/attr/exec", data);
    return r;
}

Result<void> applySelinuxLabel(const std::string &label)
{
    return writeExisting("/proc/thread-self/attr/exec", label);
}

std::string formatMountLabel(std::string_view data, std::string_view label)
{
    if (label.empty())
        return std::string(data);
    std::string option = "context=\"" + std::string(label) + "\"";
    return data.empty() ? option : std::string(data) + "," + option;
}

// ---- linux.intelRdt ---------------------------------------------------------------------------

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

// ---- everything together ----------------------------------------------------------------------

Result<ProcessAttrsPlan> planProcessAttrs(const spec::Process &process,
                                          const spec::Linux *linuxConfig)
{
    ProcessAttrsPlan plan;
    if (process.scheduler)
        plan.scheduler = HUSK_TRY(planScheduler(*process.scheduler));
    if (process.ioPriority)
        plan.ioPriority = HUSK_TRY(planIoPriority(*process.ioPriority));
    if (process.execCpuAffinity) {
        const std::string field = "process.execCPUAffinity";
        const spec::ExecCpuAffinity &a = *process.execCpuAffinity;
        if (!trim(a.initial).empty())
            plan.initialCpus = HUSK_TRY(parseCpuList(a.initial, field + ".initial"));
        if (!trim(a.final).empty())
            plan.finalCpus = HUSK_TRY(parseCpuList(a.final, field + ".final"));
    }
    plan.apparmorProfile = process.apparmorProfile.value_or("");
    plan.selinuxLabel = process.selinuxLabel.value_or("");
    if (linuxConfig && linuxConfig->personality)
        plan.personality = HUSK_TRY(planPersonality(*linuxConfig->personality));
    if (linuxConfig && linuxConfig->memoryPolicy)
        plan.memoryPolicy = HUSK_TRY(planMemoryPolicy(*linuxConfig->memoryPolicy));
    return plan;
}

Result<void> checkHostFeatures(const spec::Config &config)
{
    if (config.process) {
        HUSK_TRY(checkApparmor(config.process->apparmorProfile.value_or("")));
        HUSK_TRY(checkSelinuxLabel(config.process->selinuxLabel.value_or("")));
    }
    if (config.linux) {
        HUSK_TRY(checkMountLabel(config.linux->mountLabel));
        if (config.linux->intelRdt)
            HUSK_TRY(checkIntelRdt(*config.linux->intelRdt));
    }
    return {};
}

Result<void> applyInitialAffinity(const ProcessAttrsPlan &plan)
{
    if (plan.initialCpus)
        HUSK_TRY_CTX(applyCpuAffinity(*plan.initialCpus), "process.execCPUAffinity.initial");
    return {};
}

Result<void> applyProcessAttrs(const ProcessAttrsPlan &plan)
{
    if (plan.personality)
        HUSK_TRY_CTX(applyPersonality(*plan.personality), "linux.personality");
    if (plan.memoryPolicy)
        HUSK_TRY_CTX(applyMemoryPolicy(*plan.memoryPolicy), "linux.memoryPolicy");
    if (plan.ioPriority)
        HUSK_TRY_CTX(applyIoPriority(*plan.ioPriority), "process.ioPriority");
    if (plan.scheduler)
        HUSK_TRY_CTX(applyScheduler(*plan.scheduler), "process.scheduler");
    if (!plan.apparmorProfile.empty())
        HUSK_TRY_CTX(applyApparmor(plan.apparmorProfile), "process.apparmorProfile");
    if (!plan.selinuxLabel.empty())
        HUSK_TRY_CTX(applySelinuxLabel(plan.selinuxLabel), "process.selinuxLabel");
    return {};
}

Result<void> applyFinalAffinity(const ProcessAttrsPlan &plan)
{
    if (plan.finalCpus)
        HUSK_TRY_CTX(applyCpuAffinity(*plan.finalCpus), "process.execCPUAffinity.final");
    return {};
}

} // namespace husk
