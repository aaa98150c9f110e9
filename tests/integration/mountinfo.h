#pragma once

// The mounts of /proc/self/mountinfo, for the tests and for husk-fake-systemd (which links no
// harness, hence a header of its own).

#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace husk::test {

/// One line of /proc/self/mountinfo: the fields the tests look at, as the kernel writes them
/// (a space in a mount point stays \040).
struct MountInfo {
    std::string mountPoint;
    std::string fstype;
    std::string superOptions;
};

/// The mounts this process sees, in /proc/self/mountinfo's order.
inline std::vector<MountInfo> readMountInfo()
{
    std::vector<MountInfo> out;
    std::ifstream in("/proc/self/mountinfo");
    for (std::string line; std::getline(in, line);) {
        // The optional fields before " - " vary in number; the mount point is the fifth field.
        size_t dash = line.find(" - ");
        if (dash == std::string::npos)
            continue;
        std::istringstream left(line.substr(0, dash));
        std::istringstream right(line.substr(dash + 3));
        std::string id, parent, dev, root, source;
        MountInfo m;
        left >> id >> parent >> dev >> root >> m.mountPoint;
        right >> m.fstype >> source >> m.superOptions;
        out.push_back(std::move(m));
    }
    return out;
}

} // namespace husk::test
