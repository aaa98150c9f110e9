#pragma once

// What `create` and `exec` will do, computed from the config and the command's options
// before anything is made: pure (no files written, no processes), so every rule is unit-tested
// without root. The commands then only carry the plan out.

#include <sys/types.h>

#include <map>
#include <string>

#include "common/result.h"
#include "libcontainer/container/container.h"
#include "libcontainer/namespaces/namespaces.h"
#include "libcontainer/process/init.h"
#include "spec/config.h"

namespace husk {

/// What create knows besides config.json and its options.
struct CreateFacts {
    std::string bundle;                            // absolute
    bool unprivileged = false;                     // husk runs as a user other than root
    std::map<std::string, std::string> cgroupDirs; // controller -> the container's cgroup dir
};

/// Everything the container's processes need, decided before any of them exists.
struct CreatePlan {
    std::string rootfs;    // absolute: root.path against the bundle
    bool terminal = false; // process.terminal: the init sends a pty master to --console-socket
    process::InitPlan init;
};

/// Plans a create: rootfs path, terminal against --console-socket, the init's process and
/// container setup, its hooks and their state. Pure except for reading the kernel's last
/// capability and Landlock ABI.
[[nodiscard]] Result<CreatePlan> planCreate(const spec::Config &config,
                                            const NamespacePlan &namespaces,
                                            const CreateOptions &options, const CreateFacts &facts);

/// What an `exec` will run.
struct ExecPlanned {
    spec::Process process; // the container's process changed by the flags, or --process
    process::ExecPlan plan;
};

/// Plans an exec from the config the container was created with and the command's options:
/// the process (--process, or the config's with --env/--cwd/--user/--cap... applied), terminal
/// against --console-socket/--detach, and the process setup. processFile is the text of
/// --process when given. Pure as planCreate.
[[nodiscard]] Result<ExecPlanned> planExec(const spec::Config &recorded, const ExecOptions &options,
                                           const std::string &processFile = {});

} // namespace husk
