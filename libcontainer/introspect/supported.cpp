#include "libcontainer/introspect/supported.h"

#include "libcontainer/cgroups/resources.h"
#include "libcontainer/network/net_devices.h"

namespace husk {

namespace {

std::unexpected<Error> notYet(const std::string &field)
{
    return fail(field + ": not supported yet");
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
    // Every resource is applied (cgroups/resources.h); what can be judged without the host is
    // judged now, before anything is created.
    if (l.resources)
        HUSK_TRY(cgroups::checkResources(*l.resources));
    if (l.intelRdt)
        return notYet("linux.intelRdt");
    if (!l.netDevices.empty()) // spec::validate has checked for a network namespace
        HUSK_TRY(validateNetDevices(l.netDevices));
    return {};
}

} // namespace husk
