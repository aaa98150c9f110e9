#pragma once

// The Linux security modules' exec labels: process.apparmorProfile, process.selinuxLabel and
// linux.mountLabel.

#include <string>
#include <string_view>

#include "common/result.h"
#include "spec/config.h"

namespace husk {

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
/// Without SELinux on this host, process.selinuxLabel and linux.mountLabel mean nothing: as
/// runc's SELinux library and crun do, they are cleared, with one warning. True if any was.
bool dropSelinuxLabelsWithoutSelinux(spec::Config &config,
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

} // namespace husk
