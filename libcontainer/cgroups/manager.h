#pragma once

// The only way libcontainer writes cgroupfs (resources.cpp, realtime.cpp and the other files of
// this folder are its parts). One manager serves v1, hybrid and v2: a container's cgroup is a
// set of directories (one per hierarchy), recorded in state so later commands and delete find
// exactly them, and delete removes only the directories husk created.
// With --systemd-cgroup a systemd unit owns the directories (systemd_manager.cpp): systemd
// makes them when the unit starts, update also sets the unit's properties, and delete stops
// the unit; what systemd has no property for is still written here.

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "libcontainer/cgroups/layout.h"
#include "libcontainer/cgroups/record.h"
#include "libcontainer/cgroups/resources.h"
#include "libcontainer/cgroups/stats.h"
#include "libcontainer/cgroups/systemd.h"
#include "spec/config.h"

namespace husk::cgroups {

/// The cgroup path a container uses inside every hierarchy: linux.cgroupsPath when absolute,
/// relative to husk's own cgroup (ownPath) when relative, /husk/<id> when empty. Pure.
[[nodiscard]] Result<std::string> containerCgroupPath(const std::string &cgroupsPath,
                                                      const std::string &ownPath,
                                                      const std::string &id);

/// The pids of a cgroup.procs text, in its order.
std::vector<pid_t> parsePids(const std::string &procs);

/// Manages one container's cgroup directories.
class CgroupManager
{
public:
    /// Resolves the directories for a new container; touches nothing.
    [[nodiscard]] static Result<CgroupManager>
    forNew(const Layout &layout, const std::string &cgroupsPath, const std::string &id);
    /// Resolves the directories of a new container whose cgroup is a systemd unit (cgroupsPath
    /// is "slice:prefix:name"): the unit's cgroup in every hierarchy. Touches nothing.
    [[nodiscard]] static Result<CgroupManager>
    forSystemd(const Layout &layout, const std::string &cgroupsPath, const std::string &id);
    /// A manager for the cgroups recorded in a container's state.
    explicit CgroupManager(CgroupRecord record) : record_(std::move(record)) {}

    /// Decides what create() will make, before anything is made, so it can be recorded first:
    /// record().created becomes the directories missing now, parents first. An existing leaf
    /// that holds processes is refused: they are not the container's, and delete would kill
    /// them. (A systemd unit's name is in the record from forSystemd.)
    [[nodiscard]] Result<void> plan();
    /// Creates the directories (mkdir -p). record().created ends as exactly the ones husk made:
    /// a planned one that appeared meanwhile is dropped, an unplanned one it made is added.
    /// Does nothing for a systemd unit: systemd makes its cgroup in startUnit().
    [[nodiscard]] Result<void> create();
    /// Whether a systemd unit owns the cgroup (--systemd-cgroup).
    bool systemdOwned() const { return !record_.systemdUnit.empty(); }
    /// Starts the transient unit with the init (pid) in it and linux.resources as unit
    /// properties, waiting for systemd's job; then makes and joins the hierarchies systemd
    /// left out and writes the resources to cgroupfs as apply() does.
    [[nodiscard]] Result<void> startUnit(pid_t pid, const spec::Resources *resources);
    /// Applies every set field of linux.resources and only those, so it also serves `update`:
    /// each controller on its v1 hierarchy, else on cgroup2 (enabling it in the ancestors'
    /// cgroup.subtree_control first), device rules as v1 devices.allow/deny writes or as an
    /// eBPF program on the cgroup2 directory. Errors name the config field. For a systemd unit
    /// the fields systemd has properties for are set on the unit first (SetUnitProperties).
    [[nodiscard]] Result<void> apply(const spec::Resources &resources);
    /// For a process with a realtime policy (SCHED_FIFO, SCHED_RR), or a config with
    /// linux.resources.cpu.realtimeRuntime: on a v1 cpu hierarchy with realtime group
    /// scheduling, a cgroup whose cpu.rt_runtime_us is 0 refuses such tasks (EPERM), and a
    /// child's budget cannot exceed its parent's. Each such level from the nearest ancestor
    /// that has a budget down to the leaf (leafToo) or its parent (when the config gives the
    /// leaf's realtimeRuntime) gets what its parent
    /// has left (the parent's share minus its other children's, as the kernel counts it): the
    /// levels are on the container's own cgroup path, and a budget only lets realtime tasks in.
    /// Nothing left is an error naming the parent. Nothing to do on v2, or where the kernel has
    /// no RT groups.
    [[nodiscard]] Result<void> grantRealtimeBudget(bool leafToo);
    /// Moves a process into every hierarchy (but cgroup2 when clone3 already placed it).
    [[nodiscard]] Result<void> addProcess(pid_t pid, bool unifiedPlaced = false);
    /// An O_PATH fd of the container's cgroup2 directory for clone3's CLONE_INTO_CGROUP
    /// (invalid when it has none, or when a systemd unit will make it), so a v2 host needs
    /// no cgroup.procs write at all.
    [[nodiscard]] Result<UniqueFd> openUnified() const;
    /// The pids in the container's cgroup.
    [[nodiscard]] Result<std::vector<pid_t>> pids() const;
    /// Signals every process in the cgroup.
    [[nodiscard]] Result<void> signalAll(int sig) const;
    /// Freezes every process of the cgroup (v1 freezer.state, else cgroup2 cgroup.freeze) and
    /// waits until the kernel reports it frozen; after a bounded wait it thaws and fails.
    [[nodiscard]] Result<void> freeze();
    /// Thaws the cgroup and waits until the kernel reports it thawed.
    [[nodiscard]] Result<void> thaw();
    /// Whether the cgroup is frozen (v1 FROZEN, v2 "frozen 1"; FREEZING is not frozen yet).
    [[nodiscard]] Result<bool> isFrozen() const;
    /// Resource usage for `events --stats`; statsJson() gives runc's JSON for it.
    [[nodiscard]] Result<Stats> stats() const;
    /// How many processes the OOM killer killed in the cgroup so far (v1 memory.oom_control,
    /// v2 memory.events "oom_kill"); 0 where there is no memory controller.
    [[nodiscard]] Result<uint64_t> oomKillCount() const;
    /// Kills what is left (SIGKILL, waiting for the cgroup to empty), stops a systemd unit
    /// (which removes the directories systemd made) and removes the directories husk
    /// created, deepest first. Safe to call twice.
    [[nodiscard]] Result<void> destroy();

    /// What to keep in state.json.
    const CgroupRecord &record() const { return record_; }

private:
    /// mkdir -p of every directory, recording the ones husk made.
    [[nodiscard]] Result<void> makeDirs();
    /// The cgroupfs part of apply().
    [[nodiscard]] Result<void> applyFiles(const spec::Resources &resources);
    /// SetUnitProperties for what systemd has properties for among resources.
    [[nodiscard]] Result<void> setUnitProperties(const spec::Resources &resources);
    /// StopUnit, when a unit may have been started.
    [[nodiscard]] Result<void> stopUnit();
    /// The directory of a controller's v1 hierarchy, or of cgroup2; "" when the container has
    /// none.
    std::string dirFor(Version v, const std::string &controller) const;
    /// Where the container's cgroups are and what they offer, read from cgroupfs.
    [[nodiscard]] Result<CgroupFacts> facts() const;
    /// Adds the current memory limit and usage and cpu.max to f (for ordering and updates).
    void addCurrentValues(CgroupFacts &f) const;
    /// Performs one planned write; the error names the config field.
    [[nodiscard]] Result<void> perform(const ResourceWrite &w) const;
    /// The version freezer operations use.
    [[nodiscard]] Result<Version> freezerVersion() const;

    CgroupRecord record_;
    systemd::Unit unit_; // forSystemd only: the unit to start
    std::string id_;     // forSystemd only: the container's id, for the unit's description
    // Whether StartTransientUnit may have been sent: false only from forSystemd until
    // startUnit sends it, so a create that fails earlier does not ask systemd to stop a unit
    // that never was.
    bool unitRequested_ = true;
    bool planned_ = false; // plan() ran: create() makes exactly record_.created

    // The container's processes: those of its leaf, and with withSubCgroups also those of the
    // cgroups it made inside it.
    [[nodiscard]] Result<std::vector<pid_t>> pidsOf(bool withSubCgroups) const;
};

} // namespace husk::cgroups
