#pragma once

// OCI hooks (config.md "POSIX-platform Hooks"). Each hook is a program run with the container
// state JSON on stdin, its own args and env, and an optional timeout after which it is killed
// and counts as failed. Where each kind runs is the caller's business:
//   prestart, createRuntime  the parent, runtime namespace, before pivot_root (create)
//   createContainer          the init, container mount namespace, before pivot_root (create)
//   startContainer           the init, after `start`, just before exec
//   poststart                `husk start`, after the process started
//   poststop                 `husk delete`, after the container is gone
// A failing prestart/createRuntime/createContainer/startContainer hook fails the operation;
// a failing poststart/poststop hook is logged as a warning and the operation goes on.

#include <string>
#include <vector>

#include "common/result.h"
#include "spec/config.h"

namespace husk {

/// Runs one hook; `field` names it in errors and logs ("hooks.poststop[1]"). Its stdout and
/// stderr go to husk's log.
[[nodiscard]] Result<void> runHook(const spec::Hook &hook, const std::string &stateJson,
                                   const std::string &field);

/// Runs hooks in order, stopping at the first failure. `kind` is the hooks key ("poststop").
[[nodiscard]] Result<void> runHooks(const std::vector<spec::Hook> &hooks,
                                    const std::string &stateJson, const std::string &kind);

/// Runs hooks in order and logs failures as warnings instead of stopping (poststart, poststop).
void runHooksWarnOnly(const std::vector<spec::Hook> &hooks, const std::string &stateJson,
                      const std::string &kind);

} // namespace husk
