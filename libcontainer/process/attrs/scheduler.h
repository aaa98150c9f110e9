#pragma once

// process.scheduler: sched_setattr(2).

#include <cstdint>

#include "common/result.h"
#include "spec/config.h"

namespace husk {

/// sched_setattr(2)'s arguments, resolved from process.scheduler.
struct SchedulerPlan {
    uint32_t policy = 0; // SCHED_OTHER, SCHED_FIFO, ...
    uint64_t flags = 0;  // SCHED_FLAG_*
    int32_t nice = 0;
    uint32_t priority = 0;
    uint64_t runtime = 0; // SCHED_DEADLINE, nanoseconds
    uint64_t deadline = 0;
    uint64_t period = 0;
};

/// Resolves process.scheduler: names to numbers, range and combination checks. Pure.
[[nodiscard]] Result<SchedulerPlan> planScheduler(const spec::Scheduler &scheduler);
/// Whether a task with this plan may not fork (SCHED_DEADLINE without RESET_ON_FORK: fork fails
/// with EAGAIN), so nothing that forks (hooks) may run after it is applied. Pure.
bool schedulerForbidsFork(const SchedulerPlan &plan);
/// sched_setattr() on the calling thread.
[[nodiscard]] Result<void> applyScheduler(const SchedulerPlan &plan);

} // namespace husk
