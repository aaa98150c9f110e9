#pragma once

// The runtime-spec's remaining per-process attributes: process.scheduler, ioPriority,
// execCPUAffinity, apparmorProfile and selinuxLabel, linux.personality, memoryPolicy, mountLabel
// and intelRdt. Each is turned into a plan by a pure function (every error names the spec field)
// and applied by a small function that makes the syscall.
//
// When the init applies what (see applyInitialAffinity / applyProcessAttrs / applyFinalAffinity):
//   after the parent placed it in its cgroup   execCPUAffinity.initial (cpuset membership resets
//                                              affinity, so earlier would be lost)
//   before the user switch and seccomp         scheduler, ioPriority (may need CAP_SYS_NICE or
//                                              CAP_SYS_ADMIN), memoryPolicy (after the cgroup:
//                                              nodes are checked against cpuset.mems),
//                                              personality (seccomp profiles often restrict it),
//                                              the LSM exec labels (as runc: before
//                                              no_new_privs; they take effect at execve)
//   immediately before execve                  execCPUAffinity.final

#include <sched.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "libcontainer/process/attrs/cpus.h"
#include "libcontainer/process/attrs/intel_rdt.h"
#include "libcontainer/process/attrs/ioprio.h"
#include "libcontainer/process/attrs/mempolicy.h"
#include "libcontainer/process/attrs/personality.h"
#include "libcontainer/process/attrs/scheduler.h"
#include "libcontainer/security/lsm.h"
#include "spec/config.h"

namespace husk {

/// Every attribute above that the init applies to itself, resolved in the parent before clone.
struct ProcessAttrsPlan {
    std::optional<SchedulerPlan> scheduler;
    std::optional<int> ioPriority;
    std::optional<cpu_set_t> initialCpus;
    std::optional<cpu_set_t> finalCpus;
    std::optional<unsigned long> personality;
    std::optional<MemoryPolicyPlan> memoryPolicy;
    std::string apparmorProfile;
    std::string selinuxLabel;
};

/// Resolves process's attributes and, when linuxConfig is given, personality and memoryPolicy.
/// Pure.
[[nodiscard]] Result<ProcessAttrsPlan> planProcessAttrs(const spec::Process &process,
                                                        const spec::Linux *linuxConfig);
/// Host checks for create: AppArmor, SELinux (label and mountLabel) and resctrl, each only when
/// the config asks for it. Reads /sys, changes nothing.
[[nodiscard]] Result<void> checkHostFeatures(const spec::Config &config);
/// In the init, first thing after the parent's go: execCPUAffinity.initial.
[[nodiscard]] Result<void> applyInitialAffinity(const ProcessAttrsPlan &plan);
/// In the init, before the user switch and seccomp: scheduler, ioPriority, memoryPolicy,
/// personality, AppArmor and SELinux exec labels.
[[nodiscard]] Result<void> applyProcessAttrs(const ProcessAttrsPlan &plan);
/// In the init, immediately before execve: execCPUAffinity.final.
[[nodiscard]] Result<void> applyFinalAffinity(const ProcessAttrsPlan &plan);

} // namespace husk
