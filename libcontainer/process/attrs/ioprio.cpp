#include "libcontainer/process/attrs/ioprio.h"

#include <sys/syscall.h>
#include <unistd.h>

#include "common/text.h"
#include "common/name_table.h"
#include "libcontainer/process/attrs/fields.h"

namespace husk {

namespace {

using attrs::indexField;
using attrs::lookup;

// From <linux/ioprio.h>.
constexpr int kIoprioClassShift = 13;
constexpr int kIoprioWhoProcess = 1;

constexpr Named<int> kIoprioClasses[] = {
    {"IOPRIO_CLASS_RT", 1}, {"IOPRIO_CLASS_BE", 2}, {"IOPRIO_CLASS_IDLE", 3}};

} // namespace

Result<int> planIoPriority(const spec::IoPriority &io)
{
    auto ioClass = lookup(kIoprioClasses, io.ioClass);
    if (!ioClass)
        return fail("process.ioPriority.class: unknown class " + inQuotes(io.ioClass));
    if (io.priority < 0 || io.priority > 7)
        return fail("process.ioPriority.priority: value " + std::to_string(io.priority) +
                    " out of range [0, 7]");
    return (*ioClass << kIoprioClassShift) | io.priority;
}

Result<void> applyIoPriority(int value)
{
    if (::syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, value) < 0)
        return failErrno("ioprio_set");
    return {};
}

} // namespace husk
