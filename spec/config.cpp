#include "spec/config.h"

namespace husk::spec {

const char *namespaceTypeName(NamespaceType t)
{
    switch (t) {
    case NamespaceType::Pid:
        return "pid";
    case NamespaceType::Network:
        return "network";
    case NamespaceType::Mount:
        return "mount";
    case NamespaceType::Ipc:
        return "ipc";
    case NamespaceType::Uts:
        return "uts";
    case NamespaceType::User:
        return "user";
    case NamespaceType::Cgroup:
        return "cgroup";
    case NamespaceType::Time:
        return "time";
    }
    return "unknown";
}

const Namespace *Config::findNamespace(NamespaceType t) const
{
    if (!linux)
        return nullptr;
    for (const Namespace &ns : linux->namespaces)
        if (ns.type == t)
            return &ns;
    return nullptr;
}

} // namespace husk::spec
