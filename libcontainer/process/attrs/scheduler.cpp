#include "libcontainer/process/attrs/scheduler.h"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/text.h"
#include "common/name_table.h"
#include "libcontainer/process/attrs/fields.h"

namespace husk {

namespace {

using attrs::indexField;
using attrs::lookup;

// sched_setattr(2)'s struct, declared here: glibc only gained it in 2.41, and <linux/sched/types.h>
// clashes with <sched.h>. The layout is SCHED_ATTR_SIZE_VER1.
struct SchedAttr {
    uint32_t size;
    uint32_t policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime;
    uint64_t deadline;
    uint64_t period;
    uint32_t utilMin;
    uint32_t utilMax;
};
static_assert(sizeof(SchedAttr) == 56, "SCHED_ATTR_SIZE_VER1");

// From <linux/sched.h> (which redefines <sched.h>'s macros, so it is not included).
constexpr uint32_t kSchedDeadline = 6;
constexpr uint64_t kSchedFlagResetOnFork = 0x01;

constexpr Named<uint32_t> kSchedPolicies[] = {
    {"SCHED_OTHER", SCHED_OTHER}, {"SCHED_FIFO", SCHED_FIFO}, {"SCHED_RR", SCHED_RR},
    {"SCHED_BATCH", SCHED_BATCH}, {"SCHED_IDLE", SCHED_IDLE}, {"SCHED_DEADLINE", kSchedDeadline},
};

constexpr Named<uint64_t> kSchedFlags[] = {
    {"SCHED_FLAG_RESET_ON_FORK", kSchedFlagResetOnFork},
    {"SCHED_FLAG_RECLAIM", 0x02},
    {"SCHED_FLAG_DL_OVERRUN", 0x04},
    {"SCHED_FLAG_KEEP_POLICY", 0x08},
    {"SCHED_FLAG_KEEP_PARAMS", 0x10},
    {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
    {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40},
};

} // namespace

Result<SchedulerPlan> planScheduler(const spec::Scheduler &s)
{
    const std::string field = "process.scheduler";
    SchedulerPlan plan;
    if (s.policy == "SCHED_ISO")
        return fail(field + ".policy: SCHED_ISO is not implemented by Linux");
    auto policy = lookup(kSchedPolicies, s.policy);
    if (!policy)
        return fail(field + ".policy: unknown policy " + inQuotes(s.policy));
    plan.policy = *policy;
    for (size_t i = 0; i < s.flags.size(); ++i) {
        auto flag = lookup(kSchedFlags, s.flags[i]);
        if (!flag)
            return fail(indexField(field + ".flags", i) + ": unknown flag " + inQuotes(s.flags[i]));
        plan.flags |= *flag;
    }
    if (s.nice) {
        if (*s.nice < -20 || *s.nice > 19)
            return fail(field + ".nice: value " + std::to_string(*s.nice) +
                        " out of range [-20, 19]");
        plan.nice = *s.nice;
    }
    const bool realtime = plan.policy == SCHED_FIFO || plan.policy == SCHED_RR;
    const int32_t priority = s.priority.value_or(0);
    if (realtime && (priority < 1 || priority > 99))
        return fail(field + ".priority: " + s.policy + " needs a priority in [1, 99], not " +
                    std::to_string(priority));
    if (!realtime && priority != 0)
        return fail(field + ".priority: only allowed with SCHED_FIFO or SCHED_RR, not " + s.policy);
    plan.priority = static_cast<uint32_t>(priority);
    plan.runtime = s.runtime.value_or(0);
    plan.deadline = s.deadline.value_or(0);
    plan.period = s.period.value_or(0);
    if (plan.policy != kSchedDeadline) {
        if (plan.runtime || plan.deadline || plan.period)
            return fail(field +
                        ": runtime, deadline and period are only allowed with "
                        "SCHED_DEADLINE, not " +
                        s.policy);
        return plan;
    }
    // The kernel's __checkparam_dl(), said in the spec's words: 0 < runtime <= deadline <= period
    // (period 0 means period = deadline), runtime at least 1024 ns.
    if (plan.runtime < 1024)
        return fail(field + ".runtime: SCHED_DEADLINE needs a runtime of at least 1024 ns");
    if (plan.deadline < plan.runtime)
        return fail(field + ".deadline: must not be smaller than runtime");
    if (plan.period != 0 && plan.period < plan.deadline)
        return fail(field + ".period: must not be smaller than deadline");
    if ((plan.deadline | plan.period) & (uint64_t{1} << 63))
        return fail(field + ": deadline and period must be below 2^63 ns");
    return plan;
}

bool schedulerForbidsFork(const SchedulerPlan &plan)
{
    return plan.policy == kSchedDeadline && !(plan.flags & kSchedFlagResetOnFork);
}

Result<void> applyScheduler(const SchedulerPlan &plan)
{
    SchedAttr attr{};
    attr.size = sizeof(attr);
    attr.policy = plan.policy;
    attr.flags = plan.flags;
    attr.nice = plan.nice;
    attr.priority = plan.priority;
    attr.runtime = plan.runtime;
    attr.deadline = plan.deadline;
    attr.period = plan.period;
    if (::syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
        return failErrno("sched_setattr");
    return {};
}

} // namespace husk
