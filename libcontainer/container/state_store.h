#pragma once

// The on-disk state of containers: <root>/<id>/state.json (small, rewritten at each change),
// <root>/<id>/config.json (the config the container was created with, written before the first
// state.json and again only by update), both written atomically; the exec fifo; and a
// per-container flock on the container directory so two commands never interleave.

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
    nlohmann::json config; // the config the container was created with
    // config holds only its ociVersion (loaded with Config::Summary): never written out.
    bool configSummary = false;
    // config.json on disk holds config as it is: save() need not write it. False for a new
    // record, after recordResources, and for a state.json of an earlier husk, which embedded it.
    bool configStored = false;
    // delete needs the config: it has poststop hooks or linux.netDevices. Kept in state.json
    // so a delete of any other container skips config.json; true when unknown.
    bool configOnDelete = true;
};

/// Whether delete needs this config: it has poststop hooks or linux.netDevices.
bool configNeededOnDelete(const nlohmann::json &config);
/// Serializes a record to the state.json document (the config itself goes to config.json;
/// state.json keeps its ociVersion).
nlohmann::json stateRecordToJson(const StateRecord &r);
/// Parses a state.json document. Its config is the summary (configSummary), or the whole
/// config when the document embeds it (as an earlier husk wrote it).
[[nodiscard]] Result<StateRecord> stateRecordFromJson(const nlohmann::json &j);

// What later commands read of the config a container was created with (not the bundle's
// current one: it may have changed since, and must not affect the container). config.json keeps
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
    /// Writes state.json atomically, after config.json when that is not stored yet (record
    /// before act: a state.json never names a config that is not on disk).
    [[nodiscard]] Result<void> save(StateRecord &r);
    /// What of the recorded config load() reads.
    enum class Config {
        Whole,   // for the commands that act on it: start, exec, update, events
        Summary, // only config.ociVersion (in state.json): state, list, kill, ps, pause
    };
    /// Reads state.json, and with Config::Whole config.json too. state, list and kill read
    /// only the small state.json.
    [[nodiscard]] Result<StateRecord> load(Config part = Config::Whole) const;
    /// Reads the whole config into a record loaded with Config::Summary (delete reads it apart,
    /// so that an unreadable config does not hide the record of what to remove).
    [[nodiscard]] Result<void> loadConfig(StateRecord &r) const;
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
