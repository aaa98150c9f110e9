#pragma once

// cgroup v2 has no devices.allow/deny: access to device nodes is decided by eBPF programs of
// type BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup. The program is assembled here by
// hand from linux.resources.devices (no libbpf, no clang), loaded with bpf(BPF_PROG_LOAD) and
// attached with BPF_F_ALLOW_MULTI, so programs of the ancestors keep applying as well.

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "common/result.h"
#include "spec/config.h"

namespace husk::cgroups {

/// The device filter for rules followed by defaultDeviceRules(). The rules are tested from
/// the last to the first and the first that matches decides, which is what writing them in
/// order to a v1 cgroup gives: a later rule overrides an earlier one and "a" resets. An allow
/// rule matches a request whose access it covers entirely, a deny rule one it touches at all.
/// A request no rule matches is allowed, as in a v1 cgroup created under an allow-all parent.
/// Pure.
std::vector<bpf_insn> deviceFilterProgram(const std::vector<spec::DeviceRule> &rules);

/// Loads program and attaches it to the cgroup2 directory dir, then detaches the device
/// programs attached to dir before (an update replaces them). The verifier's log is in the
/// error when the kernel refuses the program.
[[nodiscard]] Result<void> attachDeviceFilter(const std::string &dir,
                                              const std::vector<bpf_insn> &program);

} // namespace husk::cgroups
