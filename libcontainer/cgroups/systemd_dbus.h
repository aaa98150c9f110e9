#pragma once

// --systemd-cgroup over D-Bus: the calls husk makes to systemd's manager
// (org.freedesktop.systemd1.Manager on the system bus). They go through sd-bus from
// libsystemd, a maintained client, rather than marshalling written here. A call that queues a
// job returns only once the job's JobRemoved signal came, so a unit is really started (or
// stopped) when it returns, and a job that did not end "done" is an error naming its result.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "libcontainer/cgroups/systemd.h"

struct sd_bus;
struct sd_bus_message;
struct sd_bus_slot;

namespace husk::cgroups::systemd {

/// Whether systemd is this host's init: sd_booted(3)'s test, /run/systemd/system is a
/// directory.
bool running();

/// Whether this husk can talk to systemd at all: libsystemd is loadable (and husk was built
/// with its headers); the error says what is missing.
[[nodiscard]] Result<void> busAvailable();

/// Appends props to m as the a(sv) StartTransientUnit and SetUnitProperties take.
[[nodiscard]] Result<void> appendProperties(sd_bus_message *m, const std::vector<Property> &props);

/// The error for a job that ended with a result other than "done" (pure).
Error jobError(const std::string &action, const std::string &unit, const std::string &result);

/// How long husk waits for a job systemd queued (as runc does).
constexpr std::chrono::seconds kJobTimeout{30};

/// A connection to systemd's manager on the system bus.
class Manager
{
public:
    /// Connects to the system bus: $DBUS_SYSTEM_BUS_ADDRESS, else the standard socket.
    [[nodiscard]] static Result<Manager> connect();

    /// StartTransientUnit(name, "replace", props, no auxiliary units), then waits for the job.
    [[nodiscard]] Result<void> startTransientUnit(const std::string &name,
                                                  const std::vector<Property> &props);
    /// StopUnit(name, "replace"), then waits for the job; a unit systemd does not know
    /// (org.freedesktop.systemd1.NoSuchUnit) is stopped already.
    [[nodiscard]] Result<void> stopUnit(const std::string &name);
    /// SetUnitProperties(name, runtime=true, props): the change lasts until reboot, as the
    /// transient unit does.
    [[nodiscard]] Result<void> setUnitProperties(const std::string &name,
                                                 const std::vector<Property> &props);

private:
    struct BusUnref {
        void operator()(sd_bus *bus) const;
    };
    struct SlotUnref {
        void operator()(sd_bus_slot *slot) const;
    };
    /// Job object path -> result, filled by the JobRemoved match (heap-held: the match keeps
    /// a pointer to it while the Manager moves).
    using Finished = std::map<std::string, std::string>;

    Manager() = default;
    /// Calls a Manager method whose arguments fill appends, returning the job path of the
    /// reply when returnsJob, else ""; also "" for NoSuchUnit when missingOk. The error names
    /// the method and the unit.
    [[nodiscard]] Result<std::string>
    call(const char *method, const std::string &unit,
         const std::function<Result<void>(sd_bus_message *)> &fill, bool returnsJob,
         bool missingOk);
    /// Waits until JobRemoved reports job, for at most kJobTimeout.
    [[nodiscard]] Result<void> waitJob(const std::string &job, const std::string &action,
                                       const std::string &unit);

    std::unique_ptr<sd_bus, BusUnref> bus_;
    std::unique_ptr<Finished> finished_;
    std::unique_ptr<sd_bus_slot, SlotUnref> match_;
};

} // namespace husk::cgroups::systemd
