// systemd_dbus.h for a husk built without libsystemd-dev: there are no sd-bus headers to compile
// systemd_dbus.cpp against, so every call to systemd fails with one error that says why, and
// --systemd-cgroup is refused before anything of the container is made (cgroupfs still works).

#include "libcontainer/cgroups/systemd_dbus.h"

namespace husk::cgroups::systemd {

namespace {

std::unexpected<Error> unavailable()
{
    return fail("--systemd-cgroup: this husk was built without libsystemd (sd-bus), so it cannot "
                "talk to systemd; rebuild it with libsystemd-dev installed, or leave the flag out "
                "to manage cgroups directly",
                ENOTSUP);
}

} // namespace

Result<void> busAvailable()
{
    return unavailable();
}

Result<void> appendProperties(sd_bus_message *, const std::vector<Property> &)
{
    return unavailable();
}

void Manager::BusUnref::operator()(sd_bus *) const {}

void Manager::SlotUnref::operator()(sd_bus_slot *) const {}

Result<Manager> Manager::connect()
{
    return unavailable();
}

Result<std::string> Manager::call(const char *, const std::string &,
                                  const std::function<Result<void>(sd_bus_message *)> &, bool, bool)
{
    return unavailable();
}

Result<void> Manager::waitJob(const std::string &, const std::string &, const std::string &)
{
    return unavailable();
}

Result<void> Manager::startTransientUnit(const std::string &, const std::vector<Property> &)
{
    return unavailable();
}

Result<void> Manager::stopUnit(const std::string &)
{
    return unavailable();
}

Result<void> Manager::setUnitProperties(const std::string &, const std::vector<Property> &)
{
    return unavailable();
}

} // namespace husk::cgroups::systemd
