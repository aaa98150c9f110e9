#pragma once

// Built-in linux.seccomp profiles, chosen by name instead of writing the JSON by hand:
//
//   default     an allow-list in the spirit of the usual container default (moby/containerd):
//               ordinary syscalls are allowed, everything else fails with EPERM; namespace
//               creation, mounts, kernel modules, keyrings, bpf, reboot, clock setting and
//               io_uring are not allowed.
//   strict      a smaller allow-list for untrusted network services: 64-bit ABIs only, no
//               process tracing, no raw or packet sockets, no chown, no device nodes.
//   audit       default with every denial turned into SCMP_ACT_LOG: nothing is refused, each
//               call default would refuse is logged by the kernel (dmesg / audit log).
//   unconfined  no filter at all (the config gets no linux.seccomp key).
//
// The profiles are data (config templates, hence spec/): they compile with compileSeccomp()
// (libcontainer/security/seccomp/filter.h) like any user-written profile.

#include <optional>
#include <span>
#include <string_view>

#include <nlohmann/json.hpp>

namespace husk::spec {

/// The built-in profile names: "default", "strict", "audit", "unconfined".
std::span<const std::string_view> seccompProfileNames();

/// Whether name is one of seccompProfileNames().
bool isSeccompProfileName(std::string_view name);

/// The linux.seccomp object of a built-in profile; nullopt for "unconfined" and unknown names.
std::optional<nlohmann::json> seccompProfile(std::string_view name);

/// A linux.seccomp object with every action other than SCMP_ACT_ALLOW made SCMP_ACT_LOG.
nlohmann::json seccompAuditProfile(const nlohmann::json &profile);

} // namespace husk::spec
