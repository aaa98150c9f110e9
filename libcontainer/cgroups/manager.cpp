#include "libcontainer/cgroups/manager.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "common/file.h"
#include "common/log.h"
#include "libcontainer/cgroups/devices_bpf.h"
#include "libcontainer/cgroups/realtime.h"

namespace husk::cgroups {

namespace {

// The value of a v1 cpuset file (cpuset.cpus, cpuset.mems) in dir. An empty one is filled,
// with each empty ancestor, from the nearest ancestor that has a value, as runc does: an empty
// cpuset refuses tasks, and so does every cpuset below it.
Result<std::string> cpusetValue(const std::string &dir, const std::string &mountPoint,
                                const char *file)
{
    std::vector<std::string> empty;
    std::string cur = dir, value;
    for (;;) {
        value = HUSK_TRY(readFile(cur + "/" + file));
        if (!value.empty() && value != "\n")
            break;
        if (cur.size() <= mountPoint.size())
            return fail(mountPoint + "/" + file + " is empty: no CPU or memory node to give");
        empty.push_back(cur);
        cur.resize(cur.rfind('/'));
    }
    for (auto it = empty.rbegin(); it != empty.rend(); ++it)
        HUSK_TRY_CTX(writeExisting(*it + "/" + file, value),
                     "copy " + std::string(file) + " down to " + *it);
    return value;
}

Result<void> mkdirRecorded(const std::string &dir, std::vector<std::string> &created,
                           const std::string &mountPoint, bool cpuset, bool onlyPlanned)
{
    constexpr const char *kCpusetFiles[] = {"cpuset.cpus", "cpuset.mems"};
    // The cpuset values of the level above, once read; levels that existed are not read on the
    // way down (the hot path: /husk exists, /husk/<id> is new).
    std::optional<std::string> inherited[2];
    bool leafMade = false;
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
        auto planned = std::find(created.begin(), created.end(), cur);
        bool made = false;
        if (!onlyPlanned || planned != created.end()) {
            if (::mkdir(cur.c_str(), 0755) == 0) {
                made = true;
                if (planned == created.end())
                    created.push_back(cur);
            } else if (errno != EEXIST) {
                return failErrno("create cgroup " + cur);
            } else if (planned != created.end()) {
                created.erase(planned); // made by someone else since plan(): not ours
            }
        }
        leafMade = made;
        if (!cpuset)
            continue;
        for (int i = 0; i < 2; ++i) {
            if (!made) {
                inherited[i].reset(); // an existing level: its values are unknown
                continue;
            }
            // A new level starts empty: it takes its parent's values (filled first if empty).
            if (!inherited[i])
                inherited[i] = HUSK_TRY(cpusetValue(parent, mountPoint, kCpusetFiles[i]));
            HUSK_TRY_CTX(writeExisting(cur + "/" + kCpusetFiles[i], *inherited[i]),
                         "copy " + std::string(kCpusetFiles[i]) + " down to " + cur);
        }
    }
    // Joining an existing leaf: it, or a parent, may be empty.
    if (cpuset && !leafMade)
        for (const char *f : kCpusetFiles)
            (void)HUSK_TRY(cpusetValue(dir, mountPoint, f));
    return {};
}

// The cgroups under dir (not dir itself), deepest first: the ones a container made inside its
// own. Iterative, and bounded: a container cannot make husk recurse or run out of memory.
std::vector<std::string> subCgroups(const std::string &dir)
{
    constexpr size_t kMaxCgroups = 100000;
    std::vector<std::string> found, pending{dir};
    while (!pending.empty() && found.size() < kMaxCgroups) {
        std::string cur = std::move(pending.back());
        pending.pop_back();
        std::unique_ptr<DIR, int (*)(DIR *)> d(::opendir(cur.c_str()), ::closedir);
        if (!d)
            continue;
        while (dirent *e = ::readdir(d.get())) {
            if (e->d_type != DT_DIR || e->d_name[0] == '.')
                continue;
            found.push_back(cur + "/" + e->d_name);
            pending.push_back(found.back());
        }
    }
    // Deeper paths are longer: removing them first empties each parent before its rmdir.
    std::sort(found.begin(), found.end(),
              [](const std::string &a, const std::string &b) { return a.size() > b.size(); });
    return found;
}

// Adds the processes of the cgroups below dir (not dir's own) to out.
void addPidsBelow(const std::string &dir, std::vector<pid_t> &out)
{
    for (const std::string &sub : subCgroups(dir))
        if (auto more = readFile(sub + "/cgroup.procs"))
            for (pid_t pid : parsePids(*more))
                out.push_back(pid);
}

// Kills the processes in the cgroups below dir and removes those cgroups, deepest first
// (destroy, when dir is busy with them). Best effort: destroy's retries and its error tell
// what is left.
void removeSubCgroups(const std::string &dir)
{
    const std::vector<std::string> subs = subCgroups(dir);
    for (int round = 0; round < 200; ++round) {
        std::vector<pid_t> left;
        addPidsBelow(dir, left);
        if (left.empty())
            break;
        for (pid_t pid : left)
            ::kill(pid, SIGKILL);
        timespec ts{0, 5'000'000};
        nanosleep(&ts, nullptr);
    }
    for (const std::string &sub : subs)
        for (int attempt = 0; ::rmdir(sub.c_str()) < 0 && errno == EBUSY && attempt < 100;
             ++attempt) {
            timespec ts{0, 10'000'000};
            nanosleep(&ts, nullptr);
        }
}

// The first few of pids, space-separated, for messages.
std::string firstPids(const std::vector<pid_t> &pids)
{
    std::string out;
    for (size_t i = 0; i < pids.size() && i < 5; ++i) {
        if (i)
            out += ' ';
        out += std::to_string(pids[i]);
    }
    if (pids.size() > 5)
        out += " ...";
    return out;
}

// The controller a cgroup file belongs to: "memory.limit_in_bytes" -> memory.
std::string controllerOf(const std::string &file)
{
    return file.substr(0, file.find('.'));
}

// The controllers of a v1 hierarchy key: "cpu,cpuacct" -> cpu, cpuacct.
std::vector<std::string> keyControllers(const std::string &key)
{
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos <= key.size()) {
        size_t end = std::min(key.find(',', pos), key.size());
        out.push_back(key.substr(pos, end - pos));
        pos = end + 1;
    }
    return out;
}

// Adds the controllers missing from dir's cgroup.subtree_control.
Result<void> enableIn(const std::string &dir, const std::set<std::string> &controllers)
{
    std::string file = dir + "/cgroup.subtree_control";
    std::string text = HUSK_TRY_CTX(readFile(file), "cgroup v2");
    std::set<std::string> enabled;
    std::istringstream in(text);
    for (std::string c; in >> c;)
        enabled.insert(c);
    for (const std::string &c : controllers)
        if (!enabled.contains(c))
            HUSK_TRY_CTX(writeExisting(file, "+" + c),
                         "cgroup v2: enable the " + c + " controller");
    return {};
}

Result<void> enableControllers(const std::string &dir, const std::set<std::string> &controllers)
{
    if (controllers.empty())
        return {};
    Layout layout = HUSK_TRY(detectLayout());
    const Hierarchy *h = layout.find("unified");
    if (!h || !dir.starts_with(h->mountPoint + "/"))
        return fail("cgroup v2: " + dir + " is not in the cgroup2 hierarchy");
    // A cgroup2 directory has a controller's files only when every ancestor, from the root
    // down to its parent, lists the controller in cgroup.subtree_control.
    std::string cur = h->mountPoint;
    std::string rel = dir.substr(cur.size());
    for (size_t next = rel.find('/', 1); next != std::string::npos;
         next = rel.find('/', next + 1)) {
        HUSK_TRY(enableIn(cur, controllers));
        cur = h->mountPoint + rel.substr(0, next);
    }
    return enableIn(cur, controllers);
}

} // namespace

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

Result<void> CgroupManager::plan()
{
    if (systemdOwned())
        return {};
    planned_ = true;
    record_.created.clear();
    for (const auto &[key, dir] : record_.paths) {
        // The leaf and each missing parent, from the hierarchy's root down (dir is absolute:
        // the walk starts at the first component that is missing).
        std::vector<std::string> missing;
        for (std::string cur = dir; cur.size() > 1; cur.resize(cur.rfind('/'))) {
            struct stat st;
            if (::stat(cur.c_str(), &st) == 0)
                break;
            if (errno != ENOENT)
                return failErrno("cgroup " + cur);
            missing.push_back(cur);
        }
        if (missing.empty() || missing.front() != dir) {
            // The leaf exists: joining it is fine (runc does), sharing it is not.
            auto text = readFile(dir + "/cgroup.procs");
            std::vector<pid_t> there = text ? parsePids(*text) : std::vector<pid_t>{};
            addPidsBelow(dir, there);
            if (!there.empty())
                return fail("linux.cgroupsPath: cgroup " + dir +
                                " already holds processes that are not this container's "
                                "(pids " +
                                firstPids(there) +
                                "); husk will not share it, since delete kills everything in "
                                "the container's cgroup",
                            EBUSY);
        }
        record_.created.insert(record_.created.end(), missing.rbegin(), missing.rend());
    }
    return {};
}

Result<void> CgroupManager::create()
{
    if (systemdOwned())
        return {};
    HUSK_TRY(makeDirs());
    // The init would stop in a frozen cgroup (an existing one, or below a frozen parent) before
    // it could report back, and create would wait for ever: runc's check and wording.
    if (auto frozen = isFrozen(); frozen && *frozen)
        return fail("cgroup unexpectedly frozen: the container's cgroup (" +
                        record_.paths.begin()->second +
                        ", or an ancestor) is frozen; thaw it before creating a container in it",
                    EBUSY);
    return {};
}

Result<void> CgroupManager::grantRealtimeBudget(bool leafToo)
{
    if (systemdOwned())
        return {};
    auto layout = HUSK_TRY(detectLayout());
    for (const Hierarchy &h : layout.hierarchies) {
        if (std::find(h.controllers.begin(), h.controllers.end(), "cpu") == h.controllers.end())
            continue;
        auto it = record_.paths.find(h.key);
        if (it == record_.paths.end() ||
            ::access((it->second + "/cpu.rt_runtime_us").c_str(), F_OK))
            continue; // not in this hierarchy, or no realtime group scheduling
        HUSK_TRY(fillRealtimeBudget(it->second, h.mountPoint, leafToo));
    }
    return {};
}

Result<void> CgroupManager::makeDirs()
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
        HUSK_TRY(mkdirRecorded(dir, record_.created, h->mountPoint, cpuset, planned_));
    }
    return {};
}

Result<void> CgroupManager::apply(const spec::Resources &resources)
{
    if (systemdOwned())
        HUSK_TRY(setUnitProperties(resources));
    return applyFiles(resources);
}

Result<void> CgroupManager::applyFiles(const spec::Resources &resources)
{
    CgroupFacts f = HUSK_TRY(facts());
    if (f.unified) {
        std::set<std::string> needed;
        for (const std::string &c : v2ControllersUsed(resources))
            if (f.v2.contains(c))
                needed.insert(c);
        HUSK_TRY(enableControllers(dirFor(Version::V2, ""), needed));
    }
    addCurrentValues(f);
    ResourcePlan plan = HUSK_TRY(planResources(resources, f));
    for (const std::string &w : plan.warnings)
        log::warn(w);
    std::vector<const ResourceWrite *> retry;
    for (const ResourceWrite &w : plan.writes) {
        auto r = perform(w);
        if (!r && r.error().code() == EINVAL && w.retryOnEinval)
            retry.push_back(&w);
        else if (!r)
            return std::unexpected(r.error());
    }
    for (const ResourceWrite *w : retry)
        HUSK_TRY(perform(*w));
    if (plan.bpfDevices)
        HUSK_TRY_CTX(
            attachDeviceFilter(dirFor(Version::V2, ""), deviceFilterProgram(resources.devices)),
            "linux.resources.devices");
    return {};
}

Result<Stats> CgroupManager::stats() const
{
    CgroupFacts f = HUSK_TRY(facts());
    CgroupReader read = [this](Version v, const std::string &file) -> Result<std::string> {
        std::string dir = dirFor(v, controllerOf(file));
        if (dir.empty())
            return fail("no cgroup directory for " + file, ENOENT);
        return readFile(dir + "/" + file);
    };
    std::vector<std::string> dirs;
    std::error_code ec;
    for (const auto &e : std::filesystem::directory_iterator("/sys/kernel/mm/hugepages", ec))
        dirs.push_back(e.path().filename().string());
    return collectStats(f, hugePageSizeNames(dirs), read);
}

Result<uint64_t> CgroupManager::oomKillCount() const
{
    // v1 counts kills in memory.oom_control (Linux 4.13), v2 in memory.events.
    std::string file;
    if (std::string dir = dirFor(Version::V1, "memory"); !dir.empty()) {
        file = dir + "/memory.oom_control";
    } else if (std::string dir = dirFor(Version::V2, ""); !dir.empty()) {
        file = dir + "/memory.events";
    } else {
        return uint64_t{0};
    }
    auto text = readFile(file);
    if (!text && text.error().code() == ENOENT) // no memory controller here
        return uint64_t{0};
    if (!text)
        return std::unexpected(text.error());
    return parseFlatKeyed(*text)["oom_kill"];
}

std::string CgroupManager::dirFor(Version v, const std::string &controller) const
{
    for (const auto &[key, dir] : record_.paths) {
        if (v == Version::V2
                ? key == "unified"
                : key != "unified" && std::ranges::count(keyControllers(key), controller))
            return dir;
    }
    return "";
}

Result<CgroupFacts> CgroupManager::facts() const
{
    CgroupFacts f;
    for (const auto &[key, dir] : record_.paths) {
        if (key == "unified") {
            f.unified = true;
            continue;
        }
        for (std::string &c : keyControllers(key))
            if (!c.starts_with("name="))
                f.v1.insert(std::move(c));
    }
    if (f.unified) {
        // The controllers the hierarchy has at all; a controller the container's parents do
        // not delegate yet is enabled by apply.
        Layout layout = HUSK_TRY(detectLayout());
        if (const Hierarchy *h = layout.find("unified")) {
            auto text = readFile(h->mountPoint + "/cgroup.controllers");
            if (!text)
                return wrap(text.error(), "cgroup v2");
            std::istringstream in(*text);
            for (std::string c; in >> c;)
                f.v2.insert(c);
        }
    }
    f.hasFile = [this](Version v, const std::string &file) {
        std::string dir = dirFor(v, controllerOf(file));
        return !dir.empty() && ::access((dir + "/" + file).c_str(), F_OK) == 0;
    };
    return f;
}

void CgroupManager::addCurrentValues(CgroupFacts &f) const
{
    auto number = [this](Version v, const std::string &file) -> std::optional<uint64_t> {
        std::string dir = dirFor(v, controllerOf(file));
        auto text = dir.empty() ? Result<std::string>(fail("")) : readFile(dir + "/" + file);
        return text ? parseCgroupNumber(*text) : std::nullopt;
    };
    if (f.v1.contains("memory")) {
        f.memoryLimit = number(Version::V1, "memory.limit_in_bytes");
        f.memoryUsage = number(Version::V1, "memory.usage_in_bytes");
    } else if (f.unified && f.v2.contains("memory")) {
        f.memoryLimit = number(Version::V2, "memory.max");
        f.memoryUsage = number(Version::V2, "memory.current");
    }
    if (!f.v1.contains("cpu") && f.unified)
        if (auto text = readFile(dirFor(Version::V2, "") + "/cpu.max"))
            f.cpuMax = *text;
}

Result<void> CgroupManager::perform(const ResourceWrite &w) const
{
    std::string dir = dirFor(w.version, controllerOf(w.file));
    if (dir.empty())
        return fail(w.field + ": the container has no " + controllerOf(w.file) + " cgroup");
    std::string path = dir + "/" + w.file;
    auto r = writeExisting(path, w.value);
    if (!r)
        return fail(w.field + ": write \"" + w.value + "\" to " + path, r.error().code());
    return {};
}

Result<void> CgroupManager::addProcess(pid_t pid, bool unifiedPlaced)
{
    std::string p = std::to_string(pid);
    for (const auto &[key, dir] : record_.paths) {
        if (unifiedPlaced && key == "unified")
            continue; // clone3 put it there (CLONE_INTO_CGROUP)
        HUSK_TRY_CTX(writeExisting(dir + "/cgroup.procs", p), "join cgroup " + key);
    }
    return {};
}

Result<UniqueFd> CgroupManager::openUnified() const
{
    auto it = record_.paths.find("unified");
    if (it == record_.paths.end() || systemdOwned())
        return UniqueFd();
    return HUSK_TRY_CTX(openFd(it->second, O_PATH | O_DIRECTORY), "cgroup");
}

Result<std::vector<pid_t>> CgroupManager::pids() const
{
    return pidsOf(true);
}

Result<std::vector<pid_t>> CgroupManager::pidsOf(bool withSubCgroups) const
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
    std::vector<pid_t> out = parsePids(*text);
    // And those in cgroups the container made inside its own (ps, kill --all).
    if (withSubCgroups)
        addPidsBelow(dir, out);
    return out;
}

std::vector<pid_t> parsePids(const std::string &procs)
{
    std::vector<pid_t> out;
    const char *p = procs.c_str();
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
    // Kill stragglers until the cgroup is empty (processes may fork while we kill). Those in
    // cgroups the container made inside its own are found only if one is there (below).
    for (int round = 0; round < 200; ++round) {
        auto list = pidsOf(false);
        if (!list || list->empty())
            break;
        for (pid_t pid : *list)
            ::kill(pid, SIGKILL);
        // A frozen task takes its SIGKILL only when thawed (delete --force of a paused
        // container): signalled first, it dies before it runs again.
        if (round == 0)
            if (auto frozen = isFrozen(); frozen && *frozen)
                (void)thaw();
        timespec ts{0, 5'000'000};
        nanosleep(&ts, nullptr);
    }
    // Best effort: a unit systemd failed to stop must not keep delete (or create's undo) from
    // removing the directories husk made; the rmdirs below are the real check.
    if (auto stopped = stopUnit(); !stopped)
        log::warn(stopped.error().what() + "; removing the cgroup directories anyway");
    // Deepest first. The container's own directories must go (a busy one is retried briefly:
    // a killed process leaves the cgroup only once reaped); a shared parent such as /husk that
    // another container still uses stays, and that is not an error.
    std::vector<std::string> dirs = record_.created;
    if (systemdOwned())
        // The unit's own directories that systemd left (none, normally, once it stopped).
        for (const auto &[key, path] : record_.paths)
            if (std::find(dirs.begin(), dirs.end(), path) == dirs.end())
                dirs.push_back(path);
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
            const int err = errno;
            // A busy leaf husk made may hold cgroups the container made inside it: their
            // processes are killed and they are removed bottom-up, then the leaf again. (Below
            // a joined leaf they may have been there before: never touched.)
            if (leaf && err == EBUSY && attempt == 0 &&
                std::find(record_.created.begin(), record_.created.end(), d) !=
                    record_.created.end())
                removeSubCgroups(d);
            if (leaf && err == EBUSY && attempt < 100) {
                timespec ts{0, 10'000'000};
                nanosleep(&ts, nullptr);
                continue;
            }
            if (leaf && firstError.empty())
                firstError = "remove cgroup " + d + ": " + std::strerror(err);
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
