#pragma once

// SCMP_ACT_NOTIFY: the filter is loaded with SECCOMP_FILTER_FLAG_NEW_LISTENER, which returns a
// notify fd; whoever holds it (a "seccomp agent") answers the notified syscalls on the
// container's behalf. As runc, husk hands the fd to the agent listening on
// linux.seccomp.listenerPath (config-linux.md, "Seccomp"): one AF_UNIX SOCK_STREAM
// connection per container, one message carrying the JSON "container process state" with the
// fd as SCM_RIGHTS, then close.
//
// Order in create (see the lead's wiring): the init loads the filter and at once passes the
// notify fd to the parent over the sync socket (it cannot reach listenerPath itself: it is
// past pivot_root, and the agent wants the host's view of the pid); the parent sends it to
// the agent with sendToSeccompAgent() and only then lets the init go on.

#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/result.h"
#include "common/unique_fd.h"
#include "spec/config.h"

namespace husk {

/// Whether linux.seccomp uses SCMP_ACT_NOTIFY, as its default action or in any rule.
bool seccompUsesNotify(const spec::Seccomp &s);

/// The rules husk needs to honour NOTIFY: listenerPath set (and short enough for sun_path),
/// NOTIFY neither the default action nor on sendmsg/socketcall (the init hands the fd over
/// with sendmsg after loading the filter), listenerMetadata only with listenerPath.
[[nodiscard]] Result<void> validateSeccompNotify(const spec::Seccomp &s);

/// Connects to the agent at listenerPath, sends processState (spec::containerProcessStateText)
/// with notifyFd as SCM_RIGHTS in the first sendmsg, and closes the connection.
[[nodiscard]] Result<void> sendToSeccompAgent(const std::string &listenerPath,
                                              std::string_view processState, int notifyFd);

} // namespace husk
