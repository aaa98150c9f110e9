// Containers as pod members: the pod layer above the container functions. `create` and `run`
// come here, so that --pod, run.husk.pod and the run.husk.network/ip/ports/dns annotations
// (a pod of the container's own) are handled before and after the container itself is made,
// and container/ never needs to know pods exist.

#include <sys/stat.h>

#include "common/crash_point.h"
#include "common/log.h"
#include "libcontainer/container/container.h"
#include "libcontainer/pod/pod.h"

namespace husk::pod {

namespace {

// A container's own pod (see podFromAnnotations), removed unless create succeeds.
struct OwnPodGuard {
    const GlobalOptions &g;
    std::string id;
    bool armed = false;
    ~OwnPodGuard()
    {
        if (armed)
            removeOwnedPod(g, id);
    }
};

} // namespace

Result<pid_t> createMember(const GlobalOptions &g, const CreateOptions &o)
{
    Bundle bundle = HUSK_TRY(loadBundle(o.bundle));
    spec::Config &config = bundle.config;
    // A member joins the pause process's namespaces (husk's pods; plain namespace paths from
    // an orchestrator are left exactly as given).
    std::string podName = o.pod;
    if (auto a = config.annotations.find("run.husk.pod");
        podName.empty() && a != config.annotations.end())
        podName = a->second;
    // Networking asked for with run.husk.network (and friends) on a plain create: a pod of the
    // container's own, made first and removed with it (on any failure below, by the guard).
    OwnPodGuard ownPod{g, o.id};
    if (auto own = HUSK_TRY(podFromAnnotations(config.annotations, o.id, config.hostname))) {
        if (!podName.empty())
            return fail("annotation run.husk.network/ip/ports/dns: a member of pod \"" + podName +
                        "\" has the pod's networking");
        // Before anything is made: what create would refuse anyway.
        HUSK_TRY(checkCgroupDriver(g, config, o.id));
        struct stat existing;
        if (::stat((g.root + "/" + o.id).c_str(), &existing) == 0)
            return fail("container \"" + o.id + "\" already exists", EEXIST);
        (void)HUSK_TRY_CTX(createPod(g, *own), "annotation run.husk.network");
        ownPod.armed = true;
        podName = o.id;
    }
    if (!podName.empty())
        HUSK_TRY_CTX(joinPodConfig(g, podName, config), "--pod " + podName);
    pid_t pid = HUSK_TRY(createContainer(g, o, std::move(bundle)));
    ownPod.armed = false;
    crashPoint("pod-member.created");
    if (!podName.empty())
        if (auto m = addMember(g, podName, o.id); !m)
            log::warn("pod " + podName + ": " + m.error().what());
    return pid;
}

Result<void> deleteMember(const GlobalOptions &g, const std::string &id, bool force)
{
    DeletedContainer deleted = HUSK_TRY(deleteContainer(g, id, force));
    if (!deleted.recordRead) {
        // A husk killed between making the container's own pod and its state (or before the
        // state named the pod): the pod is found by its owner's id.
        if (force)
            removeOwnedPod(g, id);
        return {};
    }
    if (auto p = deleted.annotations.find("run.husk.pod"); p != deleted.annotations.end()) {
        removeMember(g, p->second, id);
        if (p->second == id) {
            // Its own pod (asked for by its annotations) goes with it, read or not.
            bool owned = false;
            for (const char *key :
                 {"run.husk.network", "run.husk.ip", "run.husk.ports", "run.husk.dns"})
                owned = owned || deleted.annotations.contains(key);
            removeOwnedPod(g, id, owned);
        }
    }
    return {};
}

} // namespace husk::pod
