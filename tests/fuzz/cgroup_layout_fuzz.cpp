// libFuzzer target: /proc/self/mountinfo text -> cgroup layout, and /proc/<pid>/cgroup text ->
// the process's cgroup paths (the two host files husk's cgroup code parses).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "libcontainer/cgroups/layout.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view text(reinterpret_cast<const char *>(data), size);
    if (auto layout = husk::cgroups::parseLayout(text))
        for (const char *c : {"memory", "cpu", "unified", "pids"})
            (void)layout->find(c);
    (void)husk::cgroups::parseProcCgroup(text);
    return 0;
}
