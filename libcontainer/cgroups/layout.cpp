#include "libcontainer/cgroups/layout.h"

#include <optional>
#include <sstream>

#include "common/file.h"
#include "common/text.h"

namespace husk::cgroups {

namespace {

// Options that cgroup v1 puts in super options besides controller names.
bool isControllerOption(const std::string &o)
{
    return !(o == "rw" || o == "ro" || o.starts_with("release_agent=") || o == "clone_children" ||
             o == "noprefix" || o == "xattr" || o == "cpuset_v2_mode" || o == "favordynmods" ||
             o == "nsdelegate" || o == "memory_recursiveprot" || o == "memory_localevents" ||
             o == "memory_hugetlb_accounting" || o == "pids_localevents");
}

} // namespace

const Hierarchy *Layout::find(std::string_view controller) const
{
    for (const Hierarchy &h : hierarchies)
        for (const std::string &c : h.controllers)
            if (c == controller)
                return &h;
    return nullptr;
}

const char *modeName(Mode m)
{
    switch (m) {
    case Mode::V1:
        return "v1";
    case Mode::Hybrid:
        return "hybrid";
    case Mode::V2:
        return "v2";
    }
    return "?";
}

Result<Layout> parseLayout(std::string_view mountinfo)
{
    Layout layout;
    std::optional<Hierarchy> unified;
    bool anyV1 = false;
    struct Entry {
        std::string mountPoint, fstype, superOptions;
    };
    std::vector<Entry> entries;
    for (const std::string &line : split(mountinfo, '\n')) {
        // mountinfo: id parent maj:min root mountpoint opts [optional...] - fstype source superopts
        size_t dash = line.find(" - ");
        if (dash == std::string::npos)
            continue;
        std::vector<std::string> left = split(std::string_view(line).substr(0, dash), ' ');
        std::vector<std::string> right = split(std::string_view(line).substr(dash + 3), ' ');
        if (left.size() < 5 || right.size() < 3)
            continue;
        entries.push_back({left[4], right[0], right[2]});
    }
    // Mounts are listed in the order they were made: one made later on the same mountpoint,
    // or on a directory above it, covers it (a tmpfs over /sys/fs/cgroup/unified, as test
    // harnesses and some hosts mount). Only what is on top is what a path opens.
    auto covered = [&entries](size_t i) {
        const std::string &mp = entries[i].mountPoint;
        for (size_t j = i + 1; j < entries.size(); ++j) {
            const std::string &above = entries[j].mountPoint;
            if (mp == above || (mp.starts_with(above) && (above == "/" || mp[above.size()] == '/')))
                return true;
        }
        return false;
    };
    for (size_t i = 0; i < entries.size(); ++i) {
        const std::string &fstype = entries[i].fstype;
        const std::string &mountPoint = entries[i].mountPoint;
        if ((fstype != "cgroup" && fstype != "cgroup2") || covered(i))
            continue;
        if (fstype == "cgroup2") {
            // The first cgroup2 mount wins (a container may bind it again elsewhere).
            if (!unified)
                unified = Hierarchy{"unified", mountPoint, {"unified"}};
        } else if (fstype == "cgroup") {
            Hierarchy h;
            h.mountPoint = mountPoint;
            for (const std::string &o : split(entries[i].superOptions, ','))
                if (isControllerOption(o))
                    h.controllers.push_back(o);
            if (h.controllers.empty())
                continue;
            for (size_t i = 0; i < h.controllers.size(); ++i)
                h.key += (i ? "," : "") + h.controllers[i];
            bool dup = false;
            for (const Hierarchy &e : layout.hierarchies)
                dup |= e.key == h.key;
            if (!dup)
                layout.hierarchies.push_back(std::move(h));
            anyV1 = true;
        }
    }
    if (!anyV1 && !unified)
        return fail("no cgroup filesystem is mounted");
    if (anyV1) {
        layout.mode = unified ? Mode::Hybrid : Mode::V1;
    } else {
        layout.mode = Mode::V2;
    }
    if (unified)
        layout.hierarchies.push_back(*unified);
    return layout;
}

std::map<std::string, std::string> parseProcCgroup(std::string_view text)
{
    std::map<std::string, std::string> out;
    for (const std::string &line : split(text, '\n')) {
        size_t a = line.find(':');
        size_t b = a == std::string::npos ? a : line.find(':', a + 1);
        if (b == std::string::npos)
            continue;
        out[line.substr(a + 1, b - a - 1)] = line.substr(b + 1);
    }
    return out;
}

Result<Layout> detectLayout()
{
    static std::optional<Layout> cached;
    if (cached)
        return *cached;
    std::string text = HUSK_TRY(readFile("/proc/self/mountinfo"));
    cached = HUSK_TRY(parseLayout(text));
    return *cached;
}

} // namespace husk::cgroups
