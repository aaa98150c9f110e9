#pragma once

#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "spec/config.h"

namespace husk {

/// The CLONE_NEW* flag of a namespace type.
int cloneFlag(spec::NamespaceType t);

/// The name of a namespace type's file under /proc/PID/ns ("net" for network, "mnt" for mount).
const char *procNamespaceName(spec::NamespaceType t);

/// A namespace to join by path, opened before clone so a bad path fails early.
struct NamespaceJoin {
    spec::NamespaceType type;
    UniqueFd fd;
};

/// What the clone must do with namespaces.
struct NamespacePlan {
    unsigned long cloneFlags = 0;     // new namespaces created by the init's clone
    bool unshareCgroup = false;       // new cgroup ns: unshared by the init once it is placed
    std::vector<NamespaceJoin> joins; // user first, mount last (see runIntermediate)
    bool newUser = false;
    bool newNet = false;
    bool newUts = false;
    bool timeOffsets = false; // new time ns with offsets: set up in the intermediate

    /// Whether an intermediate process is needed (setns before clone, time offsets).
    bool needsIntermediate() const { return !joins.empty() || timeOffsets; }
};

/// Computes the plan, opening and type-checking every namespace path.
[[nodiscard]] Result<NamespacePlan> planNamespaces(const spec::Config &config);

/// The order joins are done in: user first (it grants the rights for the rest), mount last
/// (it changes how later paths resolve). Pure.
int joinOrder(spec::NamespaceType t);

} // namespace husk
