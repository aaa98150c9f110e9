#include "libcontainer/support.h"

#include "libcontainer/net_devices.h"

namespace husk {

namespace {

std::unexpected<Error> notYet(const std::string &field)
{
    return fail(field + ": not supported yet");
}

Result<void> checkResources(const spec::Resources &r)
{
    const std::string f = "linux.resources.";
    if (r.memory)
        return notYet(f + "memory");
    if (r.cpu)
        return notYet(f + "cpu");
    if (r.blockIo)
        return notYet(f + "blockIO");
    if (!r.hugepageLimits.empty())
        return notYet(f + "hugepageLimits");
    if (r.network)
        return notYet(f + "network");
    if (!r.rdma.empty())
        return notYet(f + "rdma");
    if (!r.unified.empty())
        return notYet(f + "unified");
    return {};
}

} // namespace

Result<void> checkSupported(const spec::Config &c)
{
    if (c.process) {
        const spec::Process &p = *c.process;
        if (p.commandLine)
            return fail("process.commandLine: only valid on Windows");
    }
    if (!c.linux)
        return {};
    const spec::Linux &l = *c.linux;
    if (l.resources)
        HUSK_TRY(checkResources(*l.resources));
    if (l.intelRdt)
        return notYet("linux.intelRdt");
    if (!l.netDevices.empty()) // spec::validate has checked for a network namespace
        HUSK_TRY(validateNetDevices(l.netDevices));
    return {};
}

} // namespace husk
