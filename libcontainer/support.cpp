#include "libcontainer/support.h"

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
    for (size_t i = 0; i < c.mounts.size(); ++i) {
        const spec::Mount &m = c.mounts[i];
        if (!m.uidMappings.empty() || !m.gidMappings.empty())
            return notYet("mounts[" + std::to_string(i) + "].uidMappings");
        for (const std::string &o : m.options)
            if (o == "idmap" || o == "ridmap")
                return notYet("mounts[" + std::to_string(i) + "].options \"" + o + "\"");
    }
    if (!c.linux)
        return {};
    const spec::Linux &l = *c.linux;
    if (l.resources)
        HUSK_TRY(checkResources(*l.resources));
    if (!l.mountLabel.empty())
        return notYet("linux.mountLabel");
    if (l.intelRdt)
        return notYet("linux.intelRdt");
    if (!l.netDevices.empty())
        return notYet("linux.netDevices");
    return {};
}

} // namespace husk
