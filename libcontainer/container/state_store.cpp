#include "libcontainer/container/state_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <optional>
#include <utility>
#include <memory>
#include <string_view>

#include "common/crash_point.h"
#include "common/file.h"
#include "common/log.h"
#include "spec/parse.h"

namespace husk {

namespace {

// The name a create makes its directory under before renaming it into place.
constexpr std::string_view kNewPrefix = ".new-";
// The recorded config, beside state.json.
constexpr const char *kConfigName = "config.json";

// A create killed between its mkdir and its rename leaves an empty, unlocked directory under
// a temporary name. A live one holds the lock from just after its mkdir; the age check keeps
// that instant safe too.
void removeIfAbandoned(int rootFd, const std::string &name)
{
    int fd = ::openat(rootFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return;
    struct stat st;
    if (::fstat(fd, &st) == 0 && st.st_mtime + 60 < ::time(nullptr) &&
        ::flock(fd, LOCK_EX | LOCK_NB) == 0)
        ::unlinkat(rootFd, name.c_str(), AT_REMOVEDIR); // fails, harmlessly, if not empty
    ::close(fd);
}

} // namespace

bool configNeededOnDelete(const nlohmann::json &config)
{
    if (!config.is_object())
        return false;
    auto nonEmpty = [](const nlohmann::json &parent, const char *key) {
        if (!parent.is_object())
            return false;
        auto it = parent.find(key);
        return it != parent.end() && !it->is_null() && !it->empty();
    };
    auto hooks = config.find("hooks");
    auto lx = config.find("linux");
    return (hooks != config.end() && nonEmpty(*hooks, "poststop")) ||
           (lx != config.end() && nonEmpty(*lx, "netDevices"));
}

nlohmann::json stateRecordToJson(const StateRecord &r)
{
    nlohmann::json j;
    j["id"] = r.id;
    j["status"] = statusName(r.status);
    j["pid"] = r.pid;
    j["initStartTime"] = r.initStartTime;
    j["bundle"] = r.bundle;
    j["rootfs"] = r.rootfs;
    j["created"] = r.created;
    j["owner"] = r.owner;
    j["annotations"] = r.annotations;
    j["cgroup"] = {{"paths", r.cgroup.paths},
                   {"created", r.cgroup.created},
                   {"removeIfEmpty", r.cgroup.removeIfEmpty}};
    if (!r.cgroup.systemdUnit.empty())
        j["cgroup"]["systemdUnit"] = r.cgroup.systemdUnit;
    j["configOciVersion"] = recordedOciVersion(r);
    j["configOnDelete"] = r.configSummary ? r.configOnDelete : configNeededOnDelete(r.config);
    return j;
}

// An integer member that fits T. nlohmann's get<T>() converts any number, and a float out of
// T's range (55555...5 with 80 digits parses as 5.6e79) is undefined behaviour there; the
// state fuzzer found it.
template <typename T>
Result<T> integerMember(const nlohmann::json &j, const char *key, std::optional<T> fallback = {})
{
    auto it = j.find(key);
    if (it == j.end()) {
        if (fallback)
            return *fallback;
        return fail(std::string("state.json: ") + key + ": missing");
    }
    if (it->is_number_unsigned()) {
        auto v = it->get<uint64_t>();
        if (std::in_range<T>(v))
            return static_cast<T>(v);
    } else if (it->is_number_integer()) {
        auto v = it->get<int64_t>();
        if (std::in_range<T>(v))
            return static_cast<T>(v);
    }
    return fail(std::string("state.json: ") + key + ": not an integer in range");
}

Result<StateRecord> stateRecordFromJson(const nlohmann::json &j)
{
    try {
        StateRecord r;
        r.id = j.at("id").get<std::string>();
        auto st = parseStatus(j.at("status").get<std::string>());
        if (!st)
            return fail("state.json: unknown status");
        r.status = *st;
        r.pid = HUSK_TRY(integerMember<pid_t>(j, "pid"));
        if (r.pid < 0) // 0 before the init exists; never a process group
            return fail("state.json: pid: not an integer in range");
        r.initStartTime = HUSK_TRY(integerMember<uint64_t>(j, "initStartTime"));
        r.bundle = j.at("bundle").get<std::string>();
        r.rootfs = j.value("rootfs", "");
        r.created = j.value("created", "");
        r.owner = HUSK_TRY(integerMember<uid_t>(j, "owner", uid_t{0}));
        r.annotations = j.value("annotations", std::map<std::string, std::string>{});
        if (auto c = j.find("cgroup"); c != j.end()) {
            r.cgroup.paths = c->value("paths", std::map<std::string, std::string>{});
            r.cgroup.created = c->value("created", std::vector<std::string>{});
            r.cgroup.removeIfEmpty = c->value("removeIfEmpty", std::vector<std::string>{});
            r.cgroup.systemdUnit = c->value("systemdUnit", "");
        }
        if (auto c = j.find("config"); c != j.end()) {
            // Written by an earlier husk: the config inside the state. The next save moves it
            // to config.json.
            r.config = *c;
        } else {
            r.config = nlohmann::json::object();
            if (auto v = j.find("configOciVersion"); v != j.end() && v->is_string())
                r.config["ociVersion"] = *v;
            if (auto d = j.find("configOnDelete"); d != j.end() && d->is_boolean())
                r.configOnDelete = d->get<bool>();
            r.configSummary = true;
            r.configStored = true;
        }
        return r;
    } catch (const nlohmann::json::exception &e) {
        return fail(std::string("state.json: ") + e.what());
    }
}

std::string recordedOciVersion(const StateRecord &rec)
{
    const nlohmann::json &c = rec.config;
    if (!c.is_object())
        return {};
    auto v = c.find("ociVersion");
    return v != c.end() && v->is_string() ? v->get<std::string>() : std::string();
}

bool recordedHasProcess(const StateRecord &rec)
{
    const nlohmann::json &c = rec.config;
    if (!c.is_object())
        return false;
    auto p = c.find("process");
    return p != c.end() && !p->is_null();
}

std::optional<spec::Hooks> recordedHooks(const StateRecord &rec)
{
    if (!rec.config.is_object() || !rec.config.contains("hooks"))
        return std::nullopt;
    auto config = spec::parseConfig(rec.config);
    if (!config) {
        log::warn("state of " + rec.id + ": hooks: " + config.error().what());
        return std::nullopt;
    }
    return config->hooks;
}

std::map<std::string, spec::NetDevice> recordedNetDevices(const StateRecord &rec)
{
    std::map<std::string, spec::NetDevice> out;
    if (!rec.config.is_object() || !rec.config.contains("linux"))
        return out;
    const nlohmann::json &lx = rec.config["linux"];
    if (!lx.is_object() || !lx.contains("netDevices") || !lx["netDevices"].is_object())
        return out;
    for (const auto &[host, value] : lx["netDevices"].items()) {
        spec::NetDevice d;
        if (value.is_object() && value.contains("name") && value["name"].is_string())
            d.name = value["name"].get<std::string>();
        out.emplace(host, d);
    }
    return out;
}

void recordResources(StateRecord &rec, const nlohmann::json &resources)
{
    rec.configStored = false; // the next save writes config.json
    nlohmann::json &config = rec.config;
    if (!config.is_object())
        config = nlohmann::json::object();
    nlohmann::json &stored = config["linux"]["resources"];
    if (!stored.is_object())
        stored = nlohmann::json::object();
    stored.merge_patch(resources);
}

Result<void> ContainerDir::lock()
{
    while (::flock(fd_.get(), LOCK_EX) < 0) {
        if (errno != EINTR)
            return failErrno("lock " + path_);
    }
    locked_ = true;
    return {};
}

void ContainerDir::unlock()
{
    ::flock(fd_.get(), LOCK_UN);
    locked_ = false;
}

bool ContainerDir::lockedElsewhere() const
{
    if (locked_)
        return false;
    // flock belongs to the open file description: probe with a new one, never fd_ itself.
    int probe = ::openat(fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (probe < 0)
        return false;
    bool busy = ::flock(probe, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
    ::close(probe); // releases the probe's lock, if it took it
    return busy;
}

Result<void> ContainerDir::save(StateRecord &r)
{
    if (!r.configStored) {
        // A config read in part lives only in an earlier husk's state.json, which this save
        // replaces: read the rest first, or it would be lost.
        HUSK_TRY(loadConfig(r));
        HUSK_TRY(writeFileAtomic(fd_.get(), kConfigName, r.config.dump(), 0600));
        r.configStored = true;
        crashPoint("state.config"); // a create's first: config.json and no state.json
    }
    std::string text = stateRecordToJson(r).dump();
    return writeFileAtomic(fd_.get(), "state.json", text, 0600);
}

Result<StateRecord> ContainerDir::load(Config part) const
{
    std::string text =
        HUSK_TRY_CTX(readFileAt(fd_.get(), "state.json", spec::kMaxJsonBytes), path_);
    nlohmann::json::parser_callback_t summary;
    // Only a state.json with the config inside needs the filter; nlohmann's parser without one
    // is the faster (list reads one state per container: 250 k instructions each with it).
    if (part == Config::Summary && text.find("\"config\"") != std::string::npos) {
        // A state.json of an earlier husk embeds the config: build only its ociVersion. Keys
        // of the top-level object are at depth 1, the config's own at depth 2.
        summary = [inConfig = false](int depth, nlohmann::json::parse_event_t event,
                                     nlohmann::json &parsed) mutable {
            if (event != nlohmann::json::parse_event_t::key)
                return true;
            if (depth == 1)
                inConfig = parsed == "config";
            else if (depth == 2 && inConfig)
                return parsed == "ociVersion";
            return true;
        };
    }
    auto parsed = spec::parseJsonText(text, summary);
    if (!parsed)
        return std::unexpected(std::move(parsed).error().context("state.json").context(path_));
    nlohmann::json j = std::move(*parsed);
    StateRecord r = HUSK_TRY_CTX(stateRecordFromJson(j), path_);
    if (part == Config::Summary && !r.configSummary) {
        nlohmann::json version = r.config.is_object()
                                     ? r.config.value("ociVersion", nlohmann::json())
                                     : nlohmann::json();
        r.config = nlohmann::json::object();
        if (version.is_string())
            r.config["ociVersion"] = version;
        r.configSummary = true;
    }
    if (part == Config::Whole)
        HUSK_TRY(loadConfig(r));
    return r;
}

Result<void> ContainerDir::loadConfig(StateRecord &r) const
{
    if (!r.configSummary)
        return {};
    if (!r.configStored) { // embedded in a state.json of an earlier husk
        nlohmann::json j = HUSK_TRY_CTX(spec::readJsonFileAt(fd_.get(), "state.json"), path_);
        r.config = j.value("config", nlohmann::json::object());
    } else {
        r.config = HUSK_TRY_CTX(spec::readJsonFileAt(fd_.get(), kConfigName), path_);
    }
    r.configSummary = false;
    return {};
}

bool ContainerDir::hasExecFifo() const
{
    struct stat st;
    return ::fstatat(fd_.get(), kExecFifoName, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

Result<void> ContainerDir::makeExecFifo()
{
    if (::mkfifoat(fd_.get(), kExecFifoName, 0600) < 0)
        return failErrno("mkfifo " + path_ + "/" + kExecFifoName);
    return {};
}

void ContainerDir::removeExecFifo()
{
    ::unlinkat(fd_.get(), kExecFifoName, 0);
}

Result<StateStore> StateStore::open(const std::string &root)
{
    if (root.empty() || root[0] != '/')
        return fail("--root must be an absolute path, got \"" + root + "\"");
    // Every command opens the root: try that first, so only the very first create pays for
    // mkdir -p (each component 0700: state may hold the config, which can carry secrets).
    int existing = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (existing >= 0)
        return StateStore(UniqueFd(existing), root);
    for (size_t pos = 1; pos <= root.size(); ++pos) {
        if (pos != root.size() && root[pos] != '/')
            continue;
        std::string part = root.substr(0, pos);
        if (::mkdir(part.c_str(), 0700) < 0 && errno != EEXIST)
            return failErrno("create state root " + part);
    }
    UniqueFd fd = HUSK_TRY(openFd(root, O_RDONLY | O_DIRECTORY));
    return StateStore(std::move(fd), root);
}

Result<ContainerDir> StateStore::create(const std::string &id)
{
    // Made under a name of this process's own, locked, then renamed into place: the directory
    // appears already locked, and no other command can remove or replace it between the
    // mkdir and the open (a mkdir and open of the id itself could open another create's).
    const std::string tmp = std::string(kNewPrefix) + std::to_string(::getpid()) + "-" + id;
    if (::mkdirat(fd_.get(), tmp.c_str(), 0700) < 0 &&
        (errno != EEXIST || ::unlinkat(fd_.get(), tmp.c_str(), AT_REMOVEDIR) < 0 ||
         ::mkdirat(fd_.get(), tmp.c_str(), 0700) < 0)) // EEXIST: a killed husk's, our pid
        return failErrno("create state directory " + root_ + "/" + tmp);
    auto fd = openFdAt(fd_.get(), tmp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!fd) {
        ::unlinkat(fd_.get(), tmp.c_str(), AT_REMOVEDIR);
        return wrap(fd.error(), "state directory " + root_);
    }
    ContainerDir dir(std::move(*fd), root_ + "/" + id);
    if (auto locked = dir.lock(); !locked) {
        ::unlinkat(fd_.get(), tmp.c_str(), AT_REMOVEDIR);
        return std::unexpected(locked.error());
    }
    if (::renameat2(fd_.get(), tmp.c_str(), fd_.get(), id.c_str(), RENAME_NOREPLACE) < 0) {
        int e = errno;
        ::unlinkat(fd_.get(), tmp.c_str(), AT_REMOVEDIR);
        if (e == EEXIST)
            return fail("container \"" + id + "\" already exists");
        return fail("create state directory " + root_ + "/" + id, e);
    }
    return dir;
}

Result<ContainerDir> StateStore::openContainer(const std::string &id) const
{
    auto fd = openFdAt(fd_.get(), id.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!fd && fd.error().code() == ENOENT)
        return fail("container \"" + id + "\" does not exist", ENOENT);
    if (!fd)
        return wrap(fd.error(), "state directory " + root_);
    return ContainerDir(std::move(*fd), root_ + "/" + id);
}

bool StateStore::holds(const std::string &id, const ContainerDir &dir) const
{
    struct stat named, open;
    return ::fstatat(fd_.get(), id.c_str(), &named, AT_SYMLINK_NOFOLLOW) == 0 &&
           ::fstat(dir.fd(), &open) == 0 && named.st_dev == open.st_dev &&
           named.st_ino == open.st_ino;
}

Result<ContainerDir> StateStore::openLocked(const std::string &id) const
{
    for (int attempt = 0;; ++attempt) {
        ContainerDir dir = HUSK_TRY(openContainer(id));
        HUSK_TRY(dir.lock());
        if (holds(id, dir))
            return dir;
        // Removed while we waited, perhaps made again: take the one that is there now.
        if (attempt == 100)
            return fail("container \"" + id + "\" keeps being removed and made again", EAGAIN);
    }
}

Result<void> StateStore::remove(const std::string &id)
{
    int fd = ::openat(fd_.get(), id.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return {};
        return failErrno("open state directory " + root_ + "/" + id);
    }
    std::unique_ptr<DIR, int (*)(DIR *)> dir(::fdopendir(fd), ::closedir);
    if (!dir) {
        ::close(fd);
        return failErrno("read state directory " + root_ + "/" + id);
    }
    // The directory holds only flat files husk wrote (state.json, fifo, temp files).
    // state.json goes last: a reader sees the record until the directory is empty.
    bool hasState = false;
    while (dirent *e = ::readdir(dir.get())) {
        std::string name = e->d_name;
        if (name == "." || name == "..")
            continue;
        if (name == "state.json") {
            hasState = true;
            continue;
        }
        if (::unlinkat(fd, name.c_str(), 0) < 0 && errno != ENOENT)
            return failErrno("remove " + root_ + "/" + id + "/" + name);
    }
    if (hasState && ::unlinkat(fd, "state.json", 0) < 0 && errno != ENOENT)
        return failErrno("remove " + root_ + "/" + id + "/state.json");
    if (::unlinkat(fd_.get(), id.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
        return failErrno("remove " + root_ + "/" + id);
    return {};
}

Result<std::vector<std::string>> StateStore::list() const
{
    int fd = ::openat(fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return failErrno("open " + root_);
    std::unique_ptr<DIR, int (*)(DIR *)> dir(::fdopendir(fd), ::closedir);
    if (!dir) {
        ::close(fd);
        return failErrno("read " + root_);
    }
    std::vector<std::string> ids;
    while (dirent *e = ::readdir(dir.get())) {
        std::string name = e->d_name;
        if (name.starts_with(kNewPrefix)) {
            removeIfAbandoned(fd, name);
            continue;
        }
        if (name.empty() || name[0] == '.')
            continue;
        struct stat st;
        if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
            continue;
        // Not a container: directories that other husk features keep under the root.
        if (::faccessat(fd, (name + "/state.json").c_str(), F_OK, 0) < 0 &&
            (name == "pods" || name == "networks" || name == "ipam"))
            continue;
        ids.push_back(name);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

} // namespace husk
