#pragma once

// The on-disk state of containers: <root>/<id>/state.json (written atomically), the exec fifo,
// and a per-container flock on the container directory so two commands never interleave.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "common/unique_fd.h"
#include "libcontainer/cgroups/record.h"
#include "libcontainer/container/status.h"
#include "spec/config.h"

namespace husk {

/// The name of the exec fifo inside a container directory; it exists while status is created.
constexpr const char *kExecFifoName = "exec.fifo";
/// The bind mount holding a container's network namespace while it has linux.netDevices.
constexpr const char *kNetnsHoldName = "netns";

/// Everything husk keeps about one container.
struct StateRecord {
    std::string id;
    Status status = Status::Creating; // as last recorded; the live status is derived from pid
    pid_t pid = 0;
    uint64_t initStartTime = 0;
    std::string bundle;
    std::string rootfs;
    std::string created; // RFC 3339
    uid_t owner = 0;
    std::map<std::string, std::string> annotations;
    CgroupRecord cgroup;
    nlohmann::json config;      // the config the container was created with
    bool configSummary = false; // loaded with Config::Summary: config is partial, never saved
};

/// Serializes a record to the state.json document.
nlohmann::json stateRecordToJson(const StateRecord &r);
/// Parses a state.json document.
[[nodiscard]] Result<StateRecord> stateRecordFromJson(const nlohmann::json &j);

// What later commands read of the config a container was created with (not the bundle's
// current one: it may have changed since, and must not affect the container). state.json keeps
// the config whole, for exec; these read it here, the one place that knows its JSON.

/// config.ociVersion, "" when absent.
std::string recordedOciVersion(const StateRecord &rec);
/// Whether the config has a process (start refuses one without).
bool recordedHasProcess(const StateRecord &rec);
/// config.hooks, parsed only when present; nullopt (with a warning) when they do not parse.
std::optional<spec::Hooks> recordedHooks(const StateRecord &rec);
/// config.linux.netDevices: host name -> device.
std::map<std::string, spec::NetDevice> recordedNetDevices(const StateRecord &rec);
/// Merges an `update`'s linux.resources into the recorded config (JSON merge patch).
void recordResources(StateRecord &rec, const nlohmann::json &resources);

/// One container's directory, held open and (optionally) locked.
class ContainerDir
{
public:
    ContainerDir(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}

    /// The directory's absolute path.
    const std::string &path() const { return path_; }
    /// The directory fd.
    int fd() const { return fd_.get(); }
    /// Takes the exclusive per-container lock (blocks until free).
    [[nodiscard]] Result<void> lock();
    /// Releases the lock (for every copy of this open file description, e.g. in a child).
    void unlock();
    /// Whether this handle holds the lock.
    bool locked() const { return locked_; }
    /// Whether another command holds the lock now (a create holds it from its first record to
    /// its end, so a `creating` record whose lock is free was left by a killed create).
    bool lockedElsewhere() const;
    /// Writes state.json atomically.
    [[nodiscard]] Result<void> save(const StateRecord &r);
    /// What of the recorded config load() builds.
    enum class Config {
        Whole,   // for the commands that act on it: start, exec, delete, update
        Summary, // only config.ociVersion, for state, list, kill and ps (never saved back)
    };
    /// Reads state.json. With Config::Summary the recorded config (most of the file) is read
    /// past without being built: state, list and kill need only its ociVersion.
    [[nodiscard]] Result<StateRecord> load(Config part = Config::Whole) const;
    /// Whether the exec fifo still exists (the container was created but not started).
    bool hasExecFifo() const;
    /// Creates the exec fifo.
    [[nodiscard]] Result<void> makeExecFifo();
    /// Removes the exec fifo.
    void removeExecFifo();

private:
    UniqueFd fd_;
    std::string path_;
    bool locked_ = false;
};

/// The state root (--root), holding one directory per container.
class StateStore
{
public:
    /// Opens the root, creating it (mode 0700) if needed.
    [[nodiscard]] static Result<StateStore> open(const std::string &root);

    /// The root's path.
    const std::string &root() const { return root_; }
    /// Creates a new container directory, returned locked (it appears under its name already
    /// locked); fails if the id exists.
    [[nodiscard]] Result<ContainerDir> create(const std::string &id);
    /// Opens an existing container directory; fails with ENOENT if there is none.
    [[nodiscard]] Result<ContainerDir> openContainer(const std::string &id) const;
    /// Opens and locks a container directory, and checks that it is still the one named id
    /// once locked: a delete may have removed it (and a create made a new one) while this
    /// waited for the lock. Fails with ENOENT if there is none.
    [[nodiscard]] Result<ContainerDir> openLocked(const std::string &id) const;
    /// Whether root/id is still the directory dir has open (not removed, not replaced).
    bool holds(const std::string &id, const ContainerDir &dir) const;
    /// Removes a container directory and everything in it.
    [[nodiscard]] Result<void> remove(const std::string &id);
    /// The ids of all containers, sorted.
    [[nodiscard]] Result<std::vector<std::string>> list() const;

private:
    StateStore(UniqueFd fd, std::string root) : fd_(std::move(fd)), root_(std::move(root)) {}
    UniqueFd fd_;
    std::string root_;
};

} // namespace husk
