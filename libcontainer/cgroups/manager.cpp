#include "libcontainer/cgroups/manager.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "common/file.h"
#include "common/log.h"

namespace husk::cgroups {

namespace {

std::string deviceRuleLine(const std::string &type, std::optional<int64_t> major,
                           std::optional<int64_t> minor, const std::string &access)
{
    if (type == "a" || type.empty())
        return "a";
    std::string s = type + " ";
    s += major && *major >= 0 ? std::to_string(*major) : "*";
    s += ":";
    s += minor && *minor >= 0 ? std::to_string(*minor) : "*";
    s += " " + (access.empty() ? std::string("rwm") : access);
    return s;
}

struct DefaultDevice {
    const char *type;
    int64_t major;
    int64_t minor; // -1: any
    const char *access;
};

// The nodes husk creates in /dev (plus mknod of anything, as runc allows), so a deny-all
// rule in the config still leaves a working /dev.
constexpr DefaultDevice kDefaultDevices[] = {
    {"c", -1, -1, "m"}, {"b", -1, -1, "m"}, {"c", 1, 3, "rwm"},    {"c", 1, 5, "rwm"},
    {"c", 1, 7, "rwm"}, {"c", 1, 8, "rwm"}, {"c", 1, 9, "rwm"},    {"c", 5, 0, "rwm"},
    {"c", 5, 1, "rwm"}, {"c", 5, 2, "rwm"}, {"c", 136, -1, "rwm"},
};

Result<void> mkdirRecorded(const std::string &dir, std::vector<std::string> &created,
                           const std::string &mountPoint, bool cpuset)
{
    // Walk down from the hierarchy root so each new level can be initialised.
    std::string cur = mountPoint;
    std::string rel = dir.substr(mountPoint.size());
    size_t pos = 0;
    while (pos < rel.size()) {
        size_t next = rel.find('/', pos + 1);
        if (next == std::string::npos)
            next = rel.size();
        std::string parent = cur;
        cur = mountPoint + rel.substr(0, next);
        pos = next;
        if (::mkdir(cur.c_str(), 0755) < 0) {
            if (errno == EEXIST)
                continue;
            return failErrno("create cgroup " + cur);
        }
        created.push_back(cur);
        if (cpuset) {
            // A new v1 cpuset starts with no cpus and no mems, and refuses tasks until set.
            for (const char *f : {"cpuset.cpus", "cpuset.mems"}) {
                auto v = readFile(parent + "/" + f);
                if (v && !v->empty() && *v != "\n")
                    (void)writeExisting(cur + "/" + f, *v);
            }
        }
    }
    return {};
}

} // namespace

std::vector<CgroupWrite> v1DeviceWrites(const std::vector<spec::DeviceRule> &rules)
{
    std::vector<CgroupWrite> out;
    for (const spec::DeviceRule &r : rules)
        out.push_back({r.allow ? "devices.allow" : "devices.deny",
                       deviceRuleLine(r.type, r.major, r.minor, r.access)});
    for (const DefaultDevice &d : kDefaultDevices)
        out.push_back(
            {"devices.allow",
             deviceRuleLine(d.type, d.major < 0 ? std::nullopt : std::optional(d.major),
                            d.minor < 0 ? std::nullopt : std::optional(d.minor), d.access)});
    return out;
}

Result<std::string> containerCgroupPath(const std::string &cgroupsPath, const std::string &ownPath,
                                        const std::string &id)
{
    if (cgroupsPath.empty())
        return "/husk/" + id;
    // Normalised component by component: "" and "." vanish, ".." is refused (it could climb
    // out of the hierarchy), and a path that ends up naming the hierarchy root or husk's own
    // cgroup is refused too: delete kills every process of the container's cgroup.
    std::string rel;
    size_t pos = 0;
    while (pos <= cgroupsPath.size()) {
        size_t end = cgroupsPath.find('/', pos);
        if (end == std::string::npos)
            end = cgroupsPath.size();
        std::string comp = cgroupsPath.substr(pos, end - pos);
        pos = end + 1;
        if (comp.empty() || comp == ".")
            continue;
        if (comp == "..")
            return fail("linux.cgroupsPath: \"..\" is not allowed in \"" + cgroupsPath + "\"");
        rel += "/" + comp;
    }
    if (rel.empty())
        return fail("linux.cgroupsPath: \"" + cgroupsPath +
                    "\" names no cgroup of the container's own");
    if (cgroupsPath[0] == '/')
        return rel;
    return (ownPath == "/" ? "" : ownPath) + rel;
}

Result<CgroupManager> CgroupManager::forNew(const Layout &layout, const std::string &cgroupsPath,
                                            const std::string &id)
{
    std::map<std::string, std::string> own;
    if (!cgroupsPath.empty() && cgroupsPath[0] != '/') {
        std::string text = HUSK_TRY(readFile("/proc/self/cgroup"));
        own = parseProcCgroup(text);
    }
    CgroupRecord rec;
    for (const Hierarchy &h : layout.hierarchies) {
        std::string ownPath = "/";
        if (auto it = own.find(h.key == "unified" ? "" : h.key); it != own.end())
            ownPath = it->second;
        std::string rel = HUSK_TRY(containerCgroupPath(cgroupsPath, ownPath, id));
        rec.paths[h.key] = h.mountPoint + rel;
        // The default parent is shared by every container husk made without a cgroupsPath:
        // whichever container leaves it empty removes it.
        if (cgroupsPath.empty())
            rec.removeIfEmpty.push_back(h.mountPoint + "/husk");
    }
    return CgroupManager(std::move(rec));
}

Result<void> CgroupManager::create()
{
    auto layout = HUSK_TRY(detectLayout());
    for (const auto &[key, dir] : record_.paths) {
        const Hierarchy *h = nullptr;
        for (const Hierarchy &e : layout.hierarchies)
            if (e.key == key)
                h = &e;
        if (!h)
            return fail("cgroup hierarchy " + key + " is not mounted");
        bool cpuset = std::find(h->controllers.begin(), h->controllers.end(), "cpuset") !=
                      h->controllers.end();
        HUSK_TRY(mkdirRecorded(dir, record_.created, h->mountPoint, cpuset));
    }
    return {};
}

Result<void> CgroupManager::apply(const spec::Resources &resources)
{
    if (auto it = record_.paths.find("devices"); it != record_.paths.end()) {
        for (const CgroupWrite &w : v1DeviceWrites(resources.devices))
            HUSK_TRY_CTX(writeExisting(it->second + "/" + w.file, w.value),
                         "linux.resources.devices");
    } else if (!resources.devices.empty()) {
        // cgroup v2 has no devices files: rules need an eBPF program (the cgroups issue).
        return fail("linux.resources.devices: not supported yet on cgroup v2");
    }
    if (resources.pidsLimit) {
        // podman sends a pids limit by default. "max" (or 0 / a negative value) means none.
        std::string value = *resources.pidsLimit > 0 ? std::to_string(*resources.pidsLimit) : "max";
        auto it = record_.paths.find("pids");
        if (it == record_.paths.end())
            return fail("linux.resources.pids: not supported yet on cgroup v2");
        HUSK_TRY_CTX(writeExisting(it->second + "/pids.max", value), "linux.resources.pids");
    }
    return {};
}

Result<void> CgroupManager::addProcess(pid_t pid)
{
    std::string p = std::to_string(pid);
    for (const auto &[key, dir] : record_.paths)
        HUSK_TRY_CTX(writeExisting(dir + "/cgroup.procs", p), "join cgroup " + key);
    return {};
}

Result<std::vector<pid_t>> CgroupManager::pids() const
{
    // Any hierarchy lists the same processes; prefer the unified one, then pids.
    std::string dir;
    for (const char *k : {"unified", "pids", "memory", "devices"})
        if (auto it = record_.paths.find(k); it != record_.paths.end() && dir.empty())
            dir = it->second;
    if (dir.empty() && !record_.paths.empty())
        dir = record_.paths.begin()->second;
    if (dir.empty())
        return std::vector<pid_t>{};
    auto text = readFile(dir + "/cgroup.procs");
    if (!text) {
        if (text.error().code() == ENOENT)
            return std::vector<pid_t>{};
        return std::unexpected(text.error());
    }
    std::vector<pid_t> out;
    const char *p = text->c_str();
    while (*p) {
        char *end;
        long v = std::strtol(p, &end, 10);
        if (end == p)
            break;
        if (v > 0)
            out.push_back(static_cast<pid_t>(v));
        p = end;
        while (*p == '\n')
            ++p;
    }
    return out;
}

Result<void> CgroupManager::signalAll(int sig) const
{
    std::vector<pid_t> list = HUSK_TRY(pids());
    for (pid_t pid : list)
        if (::kill(pid, sig) < 0 && errno != ESRCH)
            return failErrno("signal " + std::to_string(pid));
    return {};
}

Result<void> CgroupManager::destroy()
{
    // Kill stragglers until the cgroup is empty (processes may fork while we kill).
    for (int round = 0; round < 200; ++round) {
        auto list = pids();
        if (!list || list->empty())
            break;
        for (pid_t pid : *list)
            ::kill(pid, SIGKILL);
        timespec ts{0, 5'000'000};
        nanosleep(&ts, nullptr);
    }
    // Deepest first. The container's own directories must go (a busy one is retried briefly:
    // a killed process leaves the cgroup only once reaped); a shared parent such as /husk that
    // another container still uses stays, and that is not an error.
    std::vector<std::string> dirs = record_.created;
    std::sort(dirs.begin(), dirs.end(),
              [](const std::string &a, const std::string &b) { return a.size() > b.size(); });
    std::string firstError;
    for (const std::string &d : dirs) {
        bool leaf = false;
        for (const auto &[key, path] : record_.paths)
            leaf |= path == d;
        for (int attempt = 0;; ++attempt) {
            if (::rmdir(d.c_str()) == 0 || errno == ENOENT)
                break;
            if (leaf && errno == EBUSY && attempt < 100) {
                timespec ts{0, 10'000'000};
                nanosleep(&ts, nullptr);
                continue;
            }
            if (leaf && firstError.empty())
                firstError = "remove cgroup " + d + ": " + std::strerror(errno);
            break;
        }
    }
    for (const std::string &d : record_.removeIfEmpty)
        ::rmdir(d.c_str()); // EBUSY/ENOTEMPTY: another container still uses it
    if (!firstError.empty())
        return fail(firstError);
    record_.created.clear();
    return {};
}

} // namespace husk::cgroups
