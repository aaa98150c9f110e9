#pragma once

#include <map>
#include <string>

#include "common/result.h"
#include "libcontainer/namespaces/namespaces.h"
#include "libcontainer/process/init.h"
#include "spec/config.h"

namespace husk {

/// Inputs of the init plan that do not come from config.json.
struct InitInputs {
    std::string bundle;
    std::string rootfs; // absolute
    bool noPivot = false;
    int preserveFds = 0;
    int listenFds = 0;
    std::map<std::string, std::string> cgroupDirs;
};

/// Checks linux.sysctl keys against the namespaces the container has: a sysctl outside a
/// namespace of the container's own would change the host (as runc refuses). Pure.
[[nodiscard]] Result<void> checkSysctls(const spec::Config &config);

/// Builds the process part of the plan (what the init and exec share) from config.process and
/// the per-process parts of config.linux (seccomp, personality, memoryPolicy) and Landlock.
/// process, when given, stands for config.process (exec's process, without copying the config).
/// Pure except for reading the kernel's last capability and Landlock ABI.
[[nodiscard]] Result<process::ProcessPlan> buildProcessPlan(const spec::Config &config,
                                                            const spec::Process *process = nullptr);

/// Builds everything the init will do from the config. Pure except for reading the kernel's
/// last capability.
[[nodiscard]] Result<process::InitPlan> buildInitPlan(const spec::Config &config,
                                                      const NamespacePlan &namespaces,
                                                      const InitInputs &inputs);

} // namespace husk
