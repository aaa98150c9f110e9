#include "common/crash_point.h"

namespace husk {

// Weak, so the crash-injecting test binary's own definition replaces it at link time.
__attribute__((weak)) void crashPoint(const char *) {}

} // namespace husk
