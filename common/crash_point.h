#pragma once

// Crash injection, for the tests of what a killed husk leaves behind. Each command calls
// crashPoint("create.cgroups") right after a side effect that a SIGKILL there would leave for
// `delete --force` to clean up. The husk that ships does nothing there (the definition below is
// empty); the test build of the same objects, tests/crash/husk-crashing, links a definition that
// SIGKILLs the process at the step named by HUSK_CRASH_AT. No environment variable can make a
// real husk crash.

namespace husk {

/// A named step of create, start, delete, pod create or pod rm has just taken effect.
void crashPoint(const char *step);

} // namespace husk
