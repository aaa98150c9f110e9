#pragma once

// linux.netDevices: host network devices moved into the container's network namespace at create
// and moved back at delete.
//
// What the kernel does when the container's namespace goes away first (the init died and
// nothing else holds the namespace): devices without rtnl_link_ops (physical NICs) are moved to
// the *initial* network namespace, keeping the name they had in the container (or "dev<N>" when
// that name is taken there); virtual devices (veth, macvlan, dummy, ...) are destroyed. So
// returnNetDevices() only works while the namespace is alive: call it before the init is killed,
// or hold the namespace open (an fd or a bind mount) until delete.
//
// Moving a device clears its addresses and routes and sets it down; those are the caller's
// business (issue 5's address and route operations).

#include <sys/types.h>

#include <map>
#include <string>
#include <string_view>

#include "common/result.h"
#include "spec/config.h"

namespace husk {

/// Checks an interface name as the kernel's dev_valid_name() does: 1 to 15 bytes (IFNAMSIZ
/// with its NUL), not "." or "..", no '/', ':' or whitespace. Pure.
[[nodiscard]] Result<void> validateNetDeviceName(std::string_view name, std::string_view field);
/// Checks every linux.netDevices entry, and that no two devices end up with one name inside
/// the container. Pure.
[[nodiscard]] Result<void>
validateNetDevices(const std::map<std::string, spec::NetDevice> &devices);
/// The name a device has inside the container: its new name, or else its host name. Pure.
std::string containerDeviceName(const std::string &hostName, const spec::NetDevice &device);

/// Moves each device from the caller's network namespace into containerNetnsFd's (from
/// /proc/<init pid>/ns/net), renamed as asked. Checked first (each device exists here, no name
/// is taken there); if a move still fails, the devices already moved are moved back.
[[nodiscard]] Result<void> moveNetDevices(const std::map<std::string, spec::NetDevice> &devices,
                                          int containerNetnsFd);
/// Moves each device from containerNetnsFd's namespace back into hostNetnsFd's under its host
/// name. Goes on past a failing device and returns the first error; a device whose host name is
/// taken stays in the container rather than be stranded half-renamed.
[[nodiscard]] Result<void> returnNetDevices(const std::map<std::string, spec::NetDevice> &devices,
                                            int containerNetnsFd, int hostNetnsFd);

/// At create: bind-mounts pid's network namespace onto holdPath (an nsfs hold, so the
/// namespace outlives the init and the devices can be returned from a stopped container), then
/// moves the devices into it. On failure nothing is left held or moved.
[[nodiscard]] Result<void> attachNetDevices(const std::map<std::string, spec::NetDevice> &devices,
                                            pid_t pid, const std::string &holdPath);
/// At delete (and create's undo): moves the devices from the namespace held at holdPath back
/// into the caller's, then releases the hold. Nothing to do when holdPath does not exist.
[[nodiscard]] Result<void> detachNetDevices(const std::map<std::string, spec::NetDevice> &devices,
                                            const std::string &holdPath);

} // namespace husk
