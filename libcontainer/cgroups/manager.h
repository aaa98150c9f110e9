#pragma once

// The only code that writes cgroupfs. One manager serves v1, hybrid and v2: a container's
// cgroup is a set of directories (one per hierarchy), recorded in state so later commands and
// delete find exactly them, and delete removes only the directories husk created.

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/result.h"
#include "libcontainer/cgroups/layout.h"
#include "libcontainer/state_store.h"
#include "spec/config.h"

namespace husk::cgroups {

/// One write to a cgroup file: "devices.allow" <- "c 1:3 rwm".
struct CgroupWrite {
    std::string file;
    std::string value;
};

/// The v1 device-controller writes for rules (spec order, then the default devices husk
/// creates, as runc does). Pure.
std::vector<CgroupWrite> v1DeviceWrites(const std::vector<spec::DeviceRule> &rules);

/// The cgroup path a container uses inside every hierarchy: linux.cgroupsPath when absolute,
/// relative to husk's own cgroup (ownPath) when relative, /husk/<id> when empty. Pure.
[[nodiscard]] Result<std::string> containerCgroupPath(const std::string &cgroupsPath,
                                                      const std::string &ownPath,
                                                      const std::string &id);

/// Manages one container's cgroup directories.
class CgroupManager
{
public:
    /// Resolves the directories for a new container; touches nothing.
    [[nodiscard]] static Result<CgroupManager>
    forNew(const Layout &layout, const std::string &cgroupsPath, const std::string &id);
    /// A manager for the cgroups recorded in a container's state.
    explicit CgroupManager(CgroupRecord record) : record_(std::move(record)) {}

    /// Creates the directories (mkdir -p), recording which ones husk made.
    [[nodiscard]] Result<void> create();
    /// Applies linux.resources (devices for now; other controllers come with issue 4).
    [[nodiscard]] Result<void> apply(const spec::Resources &resources);
    /// Moves a process into every hierarchy.
    [[nodiscard]] Result<void> addProcess(pid_t pid);
    /// The pids in the container's cgroup.
    [[nodiscard]] Result<std::vector<pid_t>> pids() const;
    /// Signals every process in the cgroup.
    [[nodiscard]] Result<void> signalAll(int sig) const;
    /// Kills what is left (SIGKILL, waiting for the cgroup to empty) and removes the
    /// directories husk created, deepest first. Safe to call twice.
    [[nodiscard]] Result<void> destroy();

    /// What to keep in state.json.
    const CgroupRecord &record() const { return record_; }

private:
    CgroupRecord record_;
};

} // namespace husk::cgroups
