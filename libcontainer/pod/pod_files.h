#pragma once

// The files a pod gives every member: /etc/resolv.conf, /etc/hosts and /etc/hostname, kept in
// the pod's state directory and bind-mounted over the member's rootfs. Pure text building here
// (unit-tested); pod.cpp writes them and adds the mounts.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "spec/config.h"

namespace husk::pod {

/// The pod's resolv.conf. With servers given (--dns, else the network's "dns"), exactly those
/// (validated: an address each, named in the error). Otherwise the host's file, less the
/// nameservers on loopback when the pod has a network namespace of its own (there they would
/// point at the pod's own lo); search, domain and options lines are kept.
[[nodiscard]] Result<std::string> resolvConf(const std::vector<std::string> &servers,
                                             std::string_view hostResolvConf, bool ownNetns);

/// The pod's hosts file: localhost for both families, and the hostname on the pod's address
/// (bridge mode, the address without its prefix length) or on 127.0.1.1 (no address).
std::string hostsFile(const std::string &hostname, const std::string &address);

/// The members' mounts of the pod's files in podDir, bind and read-write as podman gives them.
/// A destination the config already mounts is left to the config.
void addPodFileMounts(spec::Config &config, const std::string &podDir);

/// The names of the files, in the pod's state directory and under /etc.
inline constexpr const char *kPodFiles[] = {"resolv.conf", "hosts", "hostname"};

} // namespace husk::pod
