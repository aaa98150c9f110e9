#pragma once

// `husk check`: what this host offers husk, one line per feature with ✓ or ✗ and, for what is
// missing, what that costs a container. Three steps: probeHost() gathers raw facts and is the
// only part that touches the system; assessHost() judges them into a report; the formatters
// print it as text or JSON. The last two are pure and unit-tested on fixed facts.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "libcontainer/cgroups/layout.h"
#include "spec/config.h"

namespace husk {

/// Whether a system call is there for husk: the kernel has it and no filter blocks it.
struct SyscallProbe {
    bool present = false;
    int error = 0; // the errno when not present (ENOSYS: not in this kernel)
};

/// Everything probeHost() finds out, unjudged.
struct HostFacts {
    std::string kernelRelease; // uname -r
    std::string machine;       // uname -m
    /// Each namespace type and whether /proc/self/ns has it.
    std::vector<std::pair<spec::NamespaceType, bool>> namespaces;
    /// The cgroup hierarchies, or why they could not be read.
    Result<cgroups::Layout> cgroupLayout = fail("not probed");
    /// The controllers the cgroup2 root offers (its cgroup.controllers); empty without cgroup2.
    std::vector<std::string> cgroup2Controllers;
    /// Each seccomp action name husk knows and whether the kernel has it.
    std::vector<std::pair<std::string, bool>> seccompActions;
    /// Each seccomp filter flag name husk knows and whether the kernel accepts it.
    std::vector<std::pair<std::string, bool>> seccompFlags;
    int landlockAbi = 0; // 0: no Landlock
    bool apparmor = false;
    bool selinux = false;
    std::optional<long> maxUserNamespaces;       // user.max_user_namespaces; nullopt: no file
    std::optional<long> unprivilegedUsernsClone; // Debian's kernel.unprivileged_userns_clone
    SyscallProbe mountSetattr;
    /// An idmapped bind mount of a scratch directory in idmapDir, made the way create makes
    /// one; nullopt when not tried (it needs root).
    std::optional<Result<void>> idmapMount;
    std::string idmapDir;
    Result<void> nftables;       // NFT_MSG_GETGEN over NETLINK_NETFILTER
    bool nftablesModule = false; // /sys/module/nf_tables (absent when built in)
    SyscallProbe pidfdOpen;
    SyscallProbe clone3;
    bool systemdRunning = false;                  // /run/systemd/system: systemd is the init
    Result<void> systemdBus = fail("not probed"); // libsystemd loadable (--systemd-cgroup)
};

/// One line of the report.
struct HostCheck {
    std::string name;        // "time", "SCMP_ACT_NOTIFY", "AppArmor"
    bool ok = false;         // ✓ or ✗
    std::string detail;      // what was found ("ABI 6", "v1"); may be empty
    std::string consequence; // what a container loses when !ok; empty when ok
    bool required = false;   // a bundle made by a plain `husk spec` needs it
};

/// A group of lines ("Namespaces").
struct HostSection {
    std::string key;   // the JSON key: "namespaces"
    std::string title; // the text heading: "Namespaces"
    std::vector<HostCheck> checks;
};

/// The whole report, in print order.
using HostReport = std::vector<HostSection>;

/// Probes this host: /proc, /sys, uname and harmless syscalls (nothing is changed; the idmap
/// test makes a scratch directory and a detached mount and removes both).
HostFacts probeHost();

/// Judges facts into a report with a consequence for each missing feature. Pure.
HostReport assessHost(const HostFacts &facts);

/// How many required features the report finds missing: `husk check` then exits 1. Pure.
int missingRequired(const HostReport &report);

/// The report as text: a heading per section, then "  ✓ name: detail" or
/// "  ✗ name (detail): consequence" lines ("[required]" after a missing required one), and a
/// count at the end. Pure.
std::string formatHostReport(const HostReport &report);

/// The report as JSON: {"<section>": {"<name>": {"available", "detail"?, "consequence"?}}}
/// ("required": true on what a default bundle needs) plus "summary": {"available", "missing",
/// "requiredMissing"}. Pure.
nlohmann::ordered_json hostReportJson(const HostReport &report);

} // namespace husk
