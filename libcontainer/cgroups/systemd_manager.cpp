// CgroupManager with --systemd-cgroup: the container's cgroup is a transient systemd unit.
// systemd creates it, with the init in it, when the unit starts (a scope cannot start empty,
// so this waits for the init's pid); delete stops the unit. systemd manages only some
// controllers (on v1 not cpuset, freezer, net_cls, perf_event, hugetlb, ...) and has no
// property for many limits, so husk still makes and joins the other hierarchies and writes
// linux.resources to cgroupfs afterwards, with the same values systemd was given.

#include "common/file.h"
#include "common/log.h"
#include "libcontainer/cgroups/manager.h"
#include "libcontainer/cgroups/systemd_dbus.h"

namespace husk::cgroups {

namespace {

// Without /proc/devices whole-major device rules fall back to the class wildcard.
systemd::DeviceNames deviceNames()
{
    auto text = readFile("/proc/devices");
    return text ? systemd::parseProcDevices(*text) : systemd::DeviceNames{};
}

} // namespace

Result<CgroupManager> CgroupManager::forSystemd(const Layout &layout,
                                                const std::string &cgroupsPath,
                                                const std::string &id)
{
    systemd::Unit unit = HUSK_TRY(systemd::parseCgroupsPath(cgroupsPath, id));
    std::string rel = HUSK_TRY(systemd::unitCgroupPath(unit));
    CgroupRecord rec;
    // systemd places a unit at the same path in every hierarchy it manages.
    for (const Hierarchy &h : layout.hierarchies)
        rec.paths[h.key] = h.mountPoint + rel;
    rec.systemdUnit = unit.name;
    CgroupManager m(std::move(rec));
    m.unit_ = std::move(unit);
    m.id_ = id;
    m.unitRequested_ = false;
    return m;
}

Result<void> CgroupManager::startUnit(pid_t pid, const spec::Resources *resources)
{
    if (!systemdOwned() || unit_.name.empty())
        return fail("cgroups: no systemd unit to start");
    Layout layout = HUSK_TRY(detectLayout());
    // Unified (v2) property names only where the controllers are on cgroup2; a hybrid host's
    // controllers are v1 and systemd takes the v1 names there.
    const bool v2 = layout.mode == Mode::V2;
    std::vector<systemd::Property> limits;
    if (resources)
        limits = HUSK_TRY(systemd::resourceProperties(*resources, v2, deviceNames()));
    std::vector<systemd::Property> props =
        systemd::unitProperties(unit_, id_, pid, v2, std::move(limits));
    systemd::Manager bus = HUSK_TRY(systemd::Manager::connect());
    unitRequested_ = true;
    HUSK_TRY(bus.startTransientUnit(unit_.name, props));
    log::debug("systemd: started " + unit_.name + " with pid " + std::to_string(pid));
    // The directories systemd made already exist (and are not recorded as husk's); a slice
    // holds no process of systemd's doing, so its init is moved in here in every hierarchy.
    HUSK_TRY(makeDirs());
    HUSK_TRY(addProcess(pid));
    if (resources)
        HUSK_TRY(applyFiles(*resources));
    return {};
}

Result<void> CgroupManager::setUnitProperties(const spec::Resources &resources)
{
    Layout layout = HUSK_TRY(detectLayout());
    std::vector<systemd::Property> props =
        HUSK_TRY(systemd::resourceProperties(resources, layout.mode == Mode::V2, deviceNames()));
    if (props.empty())
        return {};
    systemd::Manager bus = HUSK_TRY(systemd::Manager::connect());
    return bus.setUnitProperties(record_.systemdUnit, props);
}

Result<void> CgroupManager::stopUnit()
{
    if (!systemdOwned() || !unitRequested_)
        return {};
    auto bus = systemd::Manager::connect();
    if (!bus) {
        // Nobody to ask (the bus is down, or systemd is gone): the unit's processes are
        // killed already, and systemd stops a scope by itself once it is empty. Refusing
        // would leave a container that no delete could ever remove.
        log::warn(bus.error().what() + "; " + record_.systemdUnit + " is not stopped explicitly");
        return {};
    }
    HUSK_TRY(bus->stopUnit(record_.systemdUnit));
    unitRequested_ = false; // destroy() may run twice
    return {};
}

} // namespace husk::cgroups
