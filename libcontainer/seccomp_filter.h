#pragma once

// linux.seccomp compiled to a BPF program in the parent (libseccomp) and loaded in the init
// with one seccomp(2) call, so the child does no allocation or rule parsing.

#include <linux/filter.h>

#include <vector>

#include "common/result.h"
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

/// Compiles linux.seccomp. Unknown syscall names are skipped (debug log), as runc; unknown
/// actions, architectures, operators and flags are errors naming the field.
[[nodiscard]] Result<SeccompProgram> compileSeccomp(const spec::Seccomp &s);

/// Loads a compiled program into the calling process (the init, just before exec).
[[nodiscard]] Result<void> loadSeccomp(const SeccompProgram &p);

} // namespace husk
