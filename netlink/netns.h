#pragma once

// Working inside another network namespace without moving the caller and without exec'ing
// anything: a short-lived thread joins the namespace, does the work, and ends. Network
// sysctls live here too, because /proc/sys/net shows the namespace of the task that looks it
// up, not one chosen by path: writing a pod's sysctl means looking it up from inside the pod's
// namespace.

#include <functional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "netlink/socket.h"

namespace husk::netlink {

/// Runs fn on a short-lived thread that has joined the network namespace netnsFd refers to
/// and returns fn's result. The calling thread never changes namespace, even when setns or fn
/// fails. fn must not throw.
[[nodiscard]] Result<void> runInNetns(int netnsFd, const std::function<Result<void>()> &fn);
/// Opens a NETLINK_ROUTE socket inside netnsFd's namespace and runs fn with it on the calling
/// thread (a socket stays in the namespace it was opened in).
[[nodiscard]] Result<void> withSocketInNetns(int netnsFd,
                                             const std::function<Result<void>(Socket &)> &fn);

/// The /proc/sys path of a network sysctl key, written with dots ("net.ipv4.ip_forward") or,
/// when a part holds a dot (a device "eth0.100"), with slashes ("net/ipv4/conf/eth0.100/
/// forwarding"). EINVAL for a key outside net, or with an empty, "." or ".." part.
[[nodiscard]] Result<std::string> netSysctlPath(std::string_view key);
/// The key of a per-device setting in slash form: deviceSysctlKey("ipv4", "eth0",
/// "route_localnet") is "net/ipv4/conf/eth0/route_localnet". "all" and "default" are devices.
std::string deviceSysctlKey(std::string_view family, std::string_view device,
                            std::string_view name);
/// Writes value to a network sysctl of the caller's namespace.
[[nodiscard]] Result<void> writeNetSysctl(std::string_view key, std::string_view value);
/// Writes value to a network sysctl of netnsFd's namespace.
[[nodiscard]] Result<void> writeNetSysctl(int netnsFd, std::string_view key,
                                          std::string_view value);
/// Reads a network sysctl of the caller's namespace, without the trailing newline.
[[nodiscard]] Result<std::string> readNetSysctl(std::string_view key);
/// Reads a network sysctl of netnsFd's namespace, without the trailing newline.
[[nodiscard]] Result<std::string> readNetSysctl(int netnsFd, std::string_view key);

} // namespace husk::netlink
