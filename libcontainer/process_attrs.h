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
#include "spec/config.h"

namespace husk {

// ---- process.scheduler ------------------------------------------------------------------------

/// sched_setattr(2)'s arguments, resolved from process.scheduler.
struct SchedulerPlan {
    uint32_t policy = 0; // SCHED_OTHER, SCHED_FIFO, ...
    uint64_t flags = 0;  // SCHED_FLAG_*
    int32_t nice = 0;
    uint32_t priority = 0;
    uint64_t runtime = 0; // SCHED_DEADLINE, nanoseconds
    uint64_t deadline = 0;
    uint64_t period = 0;
};

/// Resolves process.scheduler: names to numbers, range and combination checks. Pure.
[[nodiscard]] Result<SchedulerPlan> planScheduler(const spec::Scheduler &scheduler);
/// Whether a task with this plan may not fork (SCHED_DEADLINE without RESET_ON_FORK: fork fails
/// with EAGAIN), so nothing that forks (hooks) may run after it is applied. Pure.
bool schedulerForbidsFork(const SchedulerPlan &plan);
/// sched_setattr() on the calling thread.
[[nodiscard]] Result<void> applyScheduler(const SchedulerPlan &plan);

// ---- process.ioPriority -----------------------------------------------------------------------

/// The ioprio_set(2) value (class << 13 | level) of process.ioPriority. Pure.
[[nodiscard]] Result<int> planIoPriority(const spec::IoPriority &ioPriority);
/// ioprio_set(IOPRIO_WHO_PROCESS, 0, value) on the calling process.
[[nodiscard]] Result<void> applyIoPriority(int value);

// ---- CPU and node lists -----------------------------------------------------------------------

/// The highest CPU or node number a list may name (CPU_SETSIZE and the kernel's MAX_NUMNODES
/// bound).
inline constexpr unsigned kMaxListId = 1023;

/// Parses a kernel list ("0-3,7", spaces allowed around items) into a CPU set; field names the
/// spec path in errors. An empty list is an error here: callers treat "" as "not set". Pure.
[[nodiscard]] Result<cpu_set_t> parseCpuList(std::string_view list, std::string_view field);
/// Parses a node list into set_mempolicy's bitmask (64 nodes a word). Pure.
[[nodiscard]] Result<std::vector<unsigned long>> parseNodeList(std::string_view list,
                                                               std::string_view field);
/// sched_setaffinity() of the calling thread.
[[nodiscard]] Result<void> applyCpuAffinity(const cpu_set_t &cpus);

// ---- linux.personality ------------------------------------------------------------------------

/// The personality(2) value of linux.personality: the domain (LINUX, LINUX32) or'ed with the
/// flags (ADDR_NO_RANDOMIZE, ...; the spec lists none yet, husk takes the kernel's names). Pure.
[[nodiscard]] Result<unsigned long> planPersonality(const spec::Personality &personality);
/// personality() of the calling process; the persona survives execve.
[[nodiscard]] Result<void> applyPersonality(unsigned long persona);

// ---- linux.memoryPolicy -----------------------------------------------------------------------

/// set_mempolicy(2)'s arguments, resolved from linux.memoryPolicy.
struct MemoryPolicyPlan {
    int mode = 0;                        // MPOL_* or'ed with MPOL_F_*
    std::vector<unsigned long> nodemask; // empty: NULL (MPOL_DEFAULT, MPOL_LOCAL, local PREFERRED)
};

/// Resolves linux.memoryPolicy: mode and flag names, node list, which modes take nodes. Pure.
[[nodiscard]] Result<MemoryPolicyPlan> planMemoryPolicy(const spec::MemoryPolicy &policy);
/// set_mempolicy() of the calling thread; inherited by children and kept across execve.
[[nodiscard]] Result<void> applyMemoryPolicy(const MemoryPolicyPlan &plan);
/// The mode names planMemoryPolicy recognizes (MPOL_BIND, ...), sorted.
std::vector<std::string_view> memoryPolicyModeNames();
/// The flag names planMemoryPolicy recognizes (MPOL_F_STATIC_NODES, ...), sorted.
std::vector<std::string_view> memoryPolicyFlagNames();

// ---- LSMs -------------------------------------------------------------------------------------

/// Where the kernel says whether AppArmor is on ("Y").
inline constexpr const char *kApparmorEnabledPath = "/sys/module/apparmor/parameters/enabled";
/// Where selinuxfs is mounted when SELinux is on.
inline constexpr const char *kSelinuxFsPath = "/sys/fs/selinux";

/// Whether AppArmor is enabled: the parameter file reads "Y".
bool apparmorEnabled(const std::string &enabledFile = kApparmorEnabledPath);
/// Whether SELinux is enabled: selinuxfs is mounted and has an enforce file.
bool selinuxEnabled(const std::string &selinuxFs = kSelinuxFsPath);
/// process.apparmorProfile: fine when empty; an error when AppArmor is not enabled.
[[nodiscard]] Result<void> checkApparmor(const std::string &profile,
                                         const std::string &enabledFile = kApparmorEnabledPath);
/// process.selinuxLabel: fine when empty; an error when SELinux is not enabled.
[[nodiscard]] Result<void> checkSelinuxLabel(const std::string &label,
                                             const std::string &selinuxFs = kSelinuxFsPath);
/// linux.mountLabel: fine when empty; an error when SELinux is not enabled.
[[nodiscard]] Result<void> checkMountLabel(const std::string &label,
                                           const std::string &selinuxFs = kSelinuxFsPath);
/// Asks AppArmor to confine the next execve with profile (writes "exec <profile>" to the
/// task's attr/apparmor/exec, or attr/exec before 5.8). Needs /proc in the current root.
[[nodiscard]] Result<void> applyApparmor(const std::string &profile);
/// Sets the SELinux label of the next execve (the task's attr/exec). Needs /proc.
[[nodiscard]] Result<void> applySelinuxLabel(const std::string &label);
/// Mount data with linux.mountLabel added as context="<label>" (unchanged when label is
/// empty). For filesystems that take a context (tmpfs, devpts, mqueue, ...), not for binds,
/// proc, sysfs or cgroup. Pure.
std::string formatMountLabel(std::string_view data, std::string_view label);

// ---- linux.intelRdt ---------------------------------------------------------------------------

/// Where resctrl is expected.
inline constexpr const char *kResctrlRoot = "/sys/fs/resctrl";

/// What to do under resctrl for linux.intelRdt.
struct IntelRdtPlan {
    std::string group;               // directory under the root; "" for closID "/" (root)
    bool ownedGroup = false;         // named after the container: created, removed at delete
    bool mayCreate = false;          // create the group if it does not exist
    bool mustExist = false;          // closID with no schemata: a pre-configured group
    std::string compareSchemata;     // an existing closID group must already hold these lines
    std::vector<std::string> writes; // schemata writes, in order, each ending in '\n'
    std::string monitorGroup;        // mon_groups/<name> to create for enableMonitoring
    bool needCmt = false;            // enableCMT: llc_occupancy must be available
    bool needMbm = false;            // enableMBM: mbm_*_bytes must be available
};

/// Resolves linux.intelRdt by the spec's rules (closID or the container id, which schemata go
/// in, what an existing group must match). Pure.
[[nodiscard]] Result<IntelRdtPlan> planIntelRdt(const spec::IntelRdt &rdt,
                                                const std::string &containerId);
/// Whether every line of wanted ("L3:0=7f0;1=1f") is in current (the group's schemata file),
/// comparing per resource and cache id, hex values without leading zeros. Pure.
bool schemataMatches(std::string_view current, std::string_view wanted);
/// linux.intelRdt: an error unless resctrl is mounted at root (and, when monitoring is asked
/// for, the kernel offers it).
[[nodiscard]] Result<void> checkIntelRdt(const spec::IntelRdt &rdt,
                                         const std::string &root = kResctrlRoot);
/// Creates or checks the group, writes its schemata and moves pid into it (parent side, once
/// the init exists). Best effort where the spec allows, untested without RDT hardware.
[[nodiscard]] Result<void> applyIntelRdt(const IntelRdtPlan &plan, pid_t pid,
                                         const std::string &root = kResctrlRoot);
/// Removes what applyIntelRdt created for the container (its own group, its monitoring group);
/// shared closID groups stay.
[[nodiscard]] Result<void> removeIntelRdt(const IntelRdtPlan &plan,
                                          const std::string &root = kResctrlRoot);

// ---- everything together ----------------------------------------------------------------------

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
