#include "libcontainer/process/attrs/attrs.h"

#include "libcontainer/process/attrs/fields.h"

namespace husk {

Result<ProcessAttrsPlan> planProcessAttrs(const spec::Process &process,
                                          const spec::Linux *linuxConfig)
{
    ProcessAttrsPlan plan;
    if (process.scheduler)
        plan.scheduler = HUSK_TRY(planScheduler(*process.scheduler));
    if (process.ioPriority)
        plan.ioPriority = HUSK_TRY(planIoPriority(*process.ioPriority));
    if (process.execCpuAffinity) {
        const std::string field = "process.execCPUAffinity";
        const spec::ExecCpuAffinity &a = *process.execCpuAffinity;
        if (!trimBlanks(a.initial).empty())
            plan.initialCpus = HUSK_TRY(parseCpuList(a.initial, field + ".initial"));
        if (!trimBlanks(a.final).empty())
            plan.finalCpus = HUSK_TRY(parseCpuList(a.final, field + ".final"));
    }
    plan.apparmorProfile = process.apparmorProfile.value_or("");
    plan.selinuxLabel = process.selinuxLabel.value_or("");
    if (linuxConfig && linuxConfig->personality)
        plan.personality = HUSK_TRY(planPersonality(*linuxConfig->personality));
    if (linuxConfig && linuxConfig->memoryPolicy)
        plan.memoryPolicy = HUSK_TRY(planMemoryPolicy(*linuxConfig->memoryPolicy));
    return plan;
}

Result<void> checkHostFeatures(const spec::Config &config)
{
    if (config.process) {
        HUSK_TRY(checkApparmor(config.process->apparmorProfile.value_or("")));
        HUSK_TRY(checkSelinuxLabel(config.process->selinuxLabel.value_or("")));
    }
    if (config.linux) {
        HUSK_TRY(checkMountLabel(config.linux->mountLabel));
        if (config.linux->intelRdt)
            HUSK_TRY(checkIntelRdt(*config.linux->intelRdt));
    }
    return {};
}

Result<void> applyInitialAffinity(const ProcessAttrsPlan &plan)
{
    if (plan.initialCpus)
        HUSK_TRY_CTX(applyCpuAffinity(*plan.initialCpus), "process.execCPUAffinity.initial");
    return {};
}

Result<void> applyProcessAttrs(const ProcessAttrsPlan &plan)
{
    if (plan.personality)
        HUSK_TRY_CTX(applyPersonality(*plan.personality), "linux.personality");
    if (plan.memoryPolicy)
        HUSK_TRY_CTX(applyMemoryPolicy(*plan.memoryPolicy), "linux.memoryPolicy");
    if (plan.ioPriority)
        HUSK_TRY_CTX(applyIoPriority(*plan.ioPriority), "process.ioPriority");
    if (plan.scheduler)
        HUSK_TRY_CTX(applyScheduler(*plan.scheduler), "process.scheduler");
    if (!plan.apparmorProfile.empty())
        HUSK_TRY_CTX(applyApparmor(plan.apparmorProfile), "process.apparmorProfile");
    if (!plan.selinuxLabel.empty())
        HUSK_TRY_CTX(applySelinuxLabel(plan.selinuxLabel), "process.selinuxLabel");
    return {};
}

Result<void> applyFinalAffinity(const ProcessAttrsPlan &plan)
{
    if (plan.finalCpus)
        HUSK_TRY_CTX(applyCpuAffinity(*plan.finalCpus), "process.execCPUAffinity.final");
    return {};
}

} // namespace husk
