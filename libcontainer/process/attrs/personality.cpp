#include "libcontainer/process/attrs/personality.h"

#include <sys/personality.h>

#include "common/text.h"
#include "common/name_table.h"
#include "libcontainer/process/attrs/fields.h"

namespace husk {

namespace {

using attrs::indexField;
using attrs::lookup;

constexpr Named<unsigned long> kPersonalityDomains[] = {{"LINUX", PER_LINUX},
                                                        {"LINUX32", PER_LINUX32}};

constexpr Named<unsigned long> kPersonalityFlags[] = {
    {"ADDR_COMPAT_LAYOUT", ADDR_COMPAT_LAYOUT}, {"ADDR_LIMIT_32BIT", ADDR_LIMIT_32BIT},
    {"ADDR_LIMIT_3GB", ADDR_LIMIT_3GB},         {"ADDR_NO_RANDOMIZE", ADDR_NO_RANDOMIZE},
    {"FDPIC_FUNCPTRS", FDPIC_FUNCPTRS},         {"MMAP_PAGE_ZERO", MMAP_PAGE_ZERO},
    {"READ_IMPLIES_EXEC", READ_IMPLIES_EXEC},   {"SHORT_INODE", SHORT_INODE},
    {"STICKY_TIMEOUTS", STICKY_TIMEOUTS},       {"UNAME26", UNAME26},
    {"WHOLE_SECONDS", WHOLE_SECONDS},
};

} // namespace

Result<unsigned long> planPersonality(const spec::Personality &p)
{
    auto domain = lookup(kPersonalityDomains, p.domain);
    if (!domain)
        return fail("linux.personality.domain: unknown domain " + inQuotes(p.domain) +
                    " (LINUX or LINUX32)");
    unsigned long persona = *domain;
    for (size_t i = 0; i < p.flags.size(); ++i) {
        auto flag = lookup(kPersonalityFlags, p.flags[i]);
        if (!flag)
            return fail(indexField("linux.personality.flags", i) + ": unknown flag " +
                        inQuotes(p.flags[i]));
        persona |= *flag;
    }
    return persona;
}

Result<void> applyPersonality(unsigned long persona)
{
    if (::personality(persona) < 0)
        return failErrno("personality");
    return {};
}

} // namespace husk
