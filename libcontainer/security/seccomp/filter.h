#pragma once

// linux.seccomp compiled to a BPF program in the parent (libseccomp) and loaded in the init
// with one seccomp(2) call, so the child does no allocation or rule parsing.

#include <linux/filter.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "spec/config.h"

namespace husk {

/// A compiled filter and the seccomp(2) flags to load it with.
struct SeccompProgram {
    std::vector<sock_filter> instructions;
    unsigned int flags = 0;
    bool listener = false; // SCMP_ACT_NOTIFY rules: load with a listener for the agent
};

/// The action value of a spec action name ("SCMP_ACT_ERRNO") with its errno; nullopt if unknown.
std::optional<uint32_t> seccompAction(const std::string &name, std::optional<uint32_t> errnoRet);

/// The names compileSeccomp recognizes, each list in the order of its parsing table.
struct SeccompNames {
    std::vector<std::string_view> actions;   // syscalls[].action, defaultAction
    std::vector<std::string_view> operators; // syscalls[].args[].op
    std::vector<std::string_view> archs;     // architectures
    std::vector<std::string_view> flags;     // flags
};

/// The vocabulary of linux.seccomp, read from the tables compileSeccomp parses with.
SeccompNames seccompNames();

/// Whether this kernel accepts a filter flag ("SECCOMP_FILTER_FLAG_LOG"); asks seccomp(2)
/// without loading anything. False for a name husk does not know.
bool seccompFlagSupported(std::string_view name);

/// Whether this kernel has an action ("SCMP_ACT_NOTIFY"), by SECCOMP_GET_ACTION_AVAIL. False for a
/// name husk does not know, and on kernels without seccomp filters.
bool seccompActionAvailable(std::string_view name);

/// The version of the libseccomp husk runs with ("2.5.4"), "" when it does not say.
std::string libseccompVersion();

/// Compiles linux.seccomp. Unknown syscall names are skipped (debug log), as runc; unknown
/// actions, architectures, operators and flags are errors naming the field.
[[nodiscard]] Result<SeccompProgram> compileSeccomp(const spec::Seccomp &s);

/// Loads a compiled program into the calling process (the init, just before exec).
[[nodiscard]] Result<void> loadSeccomp(const SeccompProgram &p);
/// Loads p into the calling process with SECCOMP_FILTER_FLAG_NEW_LISTENER; returns the notify
/// fd (close-on-exec, as the kernel creates it).
[[nodiscard]] Result<UniqueFd> loadSeccompWithListener(const SeccompProgram &p);

} // namespace husk
