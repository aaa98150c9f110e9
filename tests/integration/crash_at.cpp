// husk-crashing: husk's own objects with a crashPoint() that SIGKILLs the process at the step
// named by HUSK_CRASH_AT (common/crash_point.h). Built for crash_test only; never installed.

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "common/crash_point.h"

namespace husk {

void crashPoint(const char *step)
{
    const char *at = std::getenv("HUSK_CRASH_AT");
    if (at && std::strcmp(at, step) == 0)
        ::kill(::getpid(), SIGKILL);
}

} // namespace husk
