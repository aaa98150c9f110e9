#include "libcontainer/namespaces/namespaces.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>

#include <algorithm>

#include "common/file.h"

namespace husk {

int cloneFlag(spec::NamespaceType t)
{
    using T = spec::NamespaceType;
    switch (t) {
    case T::Pid:
        return CLONE_NEWPID;
    case T::Network:
        return CLONE_NEWNET;
    case T::Mount:
        return CLONE_NEWNS;
    case T::Ipc:
        return CLONE_NEWIPC;
    case T::Uts:
        return CLONE_NEWUTS;
    case T::User:
        return CLONE_NEWUSER;
    case T::Cgroup:
        return CLONE_NEWCGROUP;
    case T::Time:
        return CLONE_NEWTIME;
    }
    return 0;
}

const char *procNamespaceName(spec::NamespaceType t)
{
    using T = spec::NamespaceType;
    switch (t) {
    case T::Network:
        return "net";
    case T::Mount:
        return "mnt";
    default:
        return spec::namespaceTypeName(t); // the others have the spec's name
    }
}

int joinOrder(spec::NamespaceType t)
{
    using T = spec::NamespaceType;
    switch (t) {
    case T::User:
        return 0;
    case T::Mount:
        return 9;
    default:
        return 1;
    }
}

Result<NamespacePlan> planNamespaces(const spec::Config &config)
{
    NamespacePlan plan;
    if (!config.linux)
        return plan;
    const auto &nss = config.linux->namespaces;
    for (size_t i = 0; i < nss.size(); ++i) {
        const spec::Namespace &ns = nss[i];
        std::string field = "linux.namespaces[" + std::to_string(i) + "]";
        if (!ns.path.empty()) {
            UniqueFd owned = HUSK_TRY_CTX(openFd(ns.path, O_RDONLY), field + ".path");
            const int fd = owned.get();
            // A path of another namespace type would make setns join the wrong thing or fail
            // late; check now (linux_ns_path_type).
            int type = ::ioctl(fd, NS_GET_NSTYPE);
            if (type < 0)
                return failErrno(field + ".path: " + ns.path + " is not a namespace");
            if (type != cloneFlag(ns.type))
                return fail(field + ".path: " + ns.path + " is not a " +
                            spec::namespaceTypeName(ns.type) + " namespace");
            plan.joins.push_back({ns.type, std::move(owned)});
            continue;
        }
        switch (ns.type) {
        case spec::NamespaceType::Cgroup:
            plan.unshareCgroup = true;
            break;
        case spec::NamespaceType::Time:
            if (!config.linux->timeOffsets.empty())
                plan.timeOffsets = true;
            else
                plan.cloneFlags |= CLONE_NEWTIME;
            break;
        default:
            plan.cloneFlags |= static_cast<unsigned long>(cloneFlag(ns.type));
        }
        plan.newUser |= ns.type == spec::NamespaceType::User;
        plan.newNet |= ns.type == spec::NamespaceType::Network;
        plan.newUts |= ns.type == spec::NamespaceType::Uts;
    }
    std::stable_sort(plan.joins.begin(), plan.joins.end(),
                     [](const NamespaceJoin &a, const NamespaceJoin &b) {
                         return joinOrder(a.type) < joinOrder(b.type);
                     });
    return plan;
}

} // namespace husk
