#include "libcontainer/process/attrs/cpus.h"

#include <charconv>
#include <functional>
#include <string>

#include "common/text.h"
#include "libcontainer/process/attrs/fields.h"

namespace husk {

namespace {

std::string fieldError(std::string_view field, std::string_view message)
{
    return std::string(field) + ": " + std::string(message);
}

// The kernel's list format (cpuset.cpus, /sys/devices/system/node/online): comma-separated ids
// and inclusive ranges. The spec's schema also allows spaces, which runc skips.
Result<void> parseIdList(std::string_view list, std::string_view field, std::string_view what,
                         const std::function<void(unsigned)> &add)
{
    auto bad = [&](std::string_view why) {
        return fail(fieldError(field, "invalid " + std::string(what) + " list " + inQuotes(list) +
                                          ": " + std::string(why)));
    };
    auto number = [&](std::string_view text) -> Result<unsigned> {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || ec != std::errc() || end != text.data() + text.size())
            return bad(inQuotes(text) + " is not a number");
        if (value > kMaxListId)
            return bad(std::string(what) + " " + std::string(text) + " is out of range (at most " +
                       std::to_string(kMaxListId) + ")");
        return value;
    };
    if (trimBlanks(list).empty())
        return bad("empty");
    size_t pos = 0;
    while (pos <= list.size()) {
        size_t comma = list.find(',', pos);
        if (comma == std::string_view::npos)
            comma = list.size();
        std::string_view item = trimBlanks(list.substr(pos, comma - pos));
        pos = comma + 1;
        if (item.empty())
            return bad("empty item");
        size_t dash = item.find('-');
        unsigned first = HUSK_TRY(number(trimBlanks(item.substr(0, dash))));
        unsigned last = first;
        if (dash != std::string_view::npos)
            last = HUSK_TRY(number(trimBlanks(item.substr(dash + 1))));
        if (last < first)
            return bad("range " + std::string(item) + " is reversed");
        for (unsigned id = first; id <= last; ++id)
            add(id);
    }
    return {};
}

} // namespace

Result<cpu_set_t> parseCpuList(std::string_view list, std::string_view field)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    HUSK_TRY(parseIdList(list, field, "CPU", [&](unsigned cpu) { CPU_SET(cpu, &set); }));
    return set;
}

Result<std::vector<unsigned long>> parseNodeList(std::string_view list, std::string_view field)
{
    constexpr unsigned kBits = 8 * sizeof(unsigned long);
    std::vector<unsigned long> mask;
    HUSK_TRY(parseIdList(list, field, "node", [&](unsigned node) {
        if (mask.size() <= node / kBits)
            mask.resize(node / kBits + 1, 0);
        mask[node / kBits] |= 1UL << (node % kBits);
    }));
    return mask;
}

Result<void> applyCpuAffinity(const cpu_set_t &cpus)
{
    if (::sched_setaffinity(0, sizeof(cpus), &cpus) < 0)
        return failErrno("sched_setaffinity");
    return {};
}

} // namespace husk
