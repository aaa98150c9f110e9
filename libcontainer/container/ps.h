#pragma once

// `ps`: the processes of a container, from its cgroup.

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "libcontainer/container/container.h"

namespace husk {

/// The host pids in the container's cgroup (any status: a stopped container with processes
/// left in its cgroup lists them).
[[nodiscard]] Result<std::vector<pid_t>> containerPids(const GlobalOptions &g,
                                                       const std::string &id);

/// Keeps the header line of ps(1) output and the lines whose PID column is one of pids.
/// Fails when the header has no PID column (e.g. `ps -o comm`). Pure.
[[nodiscard]] Result<std::string> filterPsOutput(std::string_view output,
                                                 const std::vector<pid_t> &pids);

/// Runs `ps ARGS` (default -ef) and filters its output to pids, as runc's `ps` does.
[[nodiscard]] Result<std::string> psTable(const std::vector<pid_t> &pids,
                                          const std::vector<std::string> &psArgs);

} // namespace husk
