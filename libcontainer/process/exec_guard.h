#pragma once

// Keeps a container from executing the host's husk binary (CVE-2019-5736 class).
//
// husk never re-executes itself: the init is a clone of the `husk create` process and runs
// husk's code only until it execs the container's program. But until that exec its
// /proc/self/exe *is* the host binary, so a config whose program is /proc/self/exe, a script
// whose "#!" line names it, or an ELF whose PT_INTERP names it, would start the host binary
// inside the container, dumpable, where another container process could open it through
// /proc/PID/exe and rewrite it once it exits. The init therefore (1) is non-dumpable until its
// exec, so /proc/PID/exe of a waiting init needs CAP_SYS_PTRACE, and (2) refuses to exec any
// chain that resolves to the runtime binary: the program, each "#!" interpreter (up to the
// kernel's four levels) and the ELF interpreter are compared by device and inode with
// /proc/self/exe. That costs a stat and one or two small reads per container and no copy of
// the binary (runc's sealed memfd) or re-exec (runc's bind-mount trick).

#include <sys/stat.h>

#include <string>

#include "common/result.h"

namespace husk {

/// The identity (st_dev, st_ino) of the running husk binary: stat("/proc/self/exe").
[[nodiscard]] Result<struct stat> runtimeBinaryId();

/// Fails when executing path would run the file identified by runtime: path itself, a "#!"
/// interpreter chain, or an ELF interpreter. Files it cannot read are judged by stat alone.
[[nodiscard]] Result<void> refuseRuntimeBinary(const std::string &path, const struct stat &runtime);

} // namespace husk
