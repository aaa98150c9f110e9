// `delete` of a container whose state.json cannot be read (removed, emptied, truncated,
// overwritten): the record is the only list of what the container made, so husk derives what it
// can from the system, cleans exactly that, and says what it could not verify.
//
// What can be derived: the cgroups at the id's default paths (/husk/<id> in each hierarchy:
// husk's own naming), and the processes in them that started after the container's state
// directory was made (statx birth time against /proc/<pid>/stat's start time). A process
// that started before is not the container's: it is left alone, and so is the directory that
// would have been the only way back to it.

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "common/file.h"
#include "common/log.h"
#include "common/text.h"
#include "libcontainer/cgroups/layout.h"
#include "libcontainer/cgroups/manager.h"
#include "libcontainer/container/internal.h"
#include "libcontainer/container/salvage.h"
#include "libcontainer/process/pidfd.h"

namespace husk {

namespace {

std::set<pid_t> pidsIn(const std::vector<std::string> &dirs)
{
    std::set<pid_t> out;
    for (const std::string &d : dirs) {
        if (auto text = readFile(d + "/cgroup.procs"))
            for (pid_t pid : cgroups::parsePids(*text))
                out.insert(pid);
    }
    return out;
}

// The id's default cgroup directories (forNew without a cgroupsPath), whether or not they exist.
Result<CgroupRecord> defaultCgroups(const cgroups::Layout &layout, const std::string &id)
{
    return HUSK_TRY(cgroups::CgroupManager::forNew(layout, "", id)).record();
}

bool exists(const std::string &path)
{
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
}

} // namespace

bool madeNothing(const ContainerDir &dir, const std::string &id)
{
    // A create writes config.json just before its first state.json: alone, it is nothing made.
    for (const std::string &name : visibleEntries(dir.fd(), "."))
        if (name != "config.json")
            return false;
    // A record removed by hand from a running container leaves an empty directory too; its
    // cgroups tell the two apart (for the default cgroupsPath).
    auto layout = cgroups::detectLayout();
    if (!layout)
        return false;
    auto derived = defaultCgroups(*layout, id);
    if (!derived)
        return false;
    for (const auto &[key, path] : derived->paths)
        if (exists(path))
            return false;
    return true;
}

Result<DeletedContainer> deleteWithoutRecord(StateStore &store, ContainerDir &dir,
                                             const std::string &id, const Error &why)
{
    // Record before act: a create writes state.json before it makes anything else, so a
    // directory with nothing in it (but config.json) is all a create killed that early made.
    if (why.code() == ENOENT && madeNothing(dir, id)) {
        HUSK_TRY(store.remove(id));
        return DeletedContainer{};
    }

    std::vector<std::string> done, unverified, left;
    // The default cgroups: each hierarchy's /husk/<id> that exists.
    cgroups::Layout layout = HUSK_TRY(cgroups::detectLayout());
    CgroupRecord derived = HUSK_TRY(defaultCgroups(layout, id));
    CgroupRecord found;
    for (const auto &[key, path] : derived.paths) {
        if (exists(path)) {
            found.paths[key] = path;
            found.created.push_back(path);
        }
    }
    found.removeIfEmpty = derived.removeIfEmpty;
    // The default path relative to its hierarchy ("/husk/<id>"), for messages.
    std::string where = "/husk/" + id;
    for (const cgroups::Hierarchy &h : layout.hierarchies)
        if (auto it = derived.paths.find(h.key); it != derived.paths.end())
            where = it->second.substr(h.mountPoint.size());

    std::vector<std::string> dirs;
    for (const auto &[key, path] : found.paths)
        dirs.push_back(path);
    std::vector<pid_t> foreign;
    if (!dirs.empty()) {
        cgroups::CgroupManager cg(found);
        // A paused container's tasks take SIGKILL only once thawed.
        if (auto frozen = cg.isFrozen(); frozen && *frozen)
            (void)cg.thaw();
        bool knowsBirth = true;
        std::vector<std::string> killed;
        for (pid_t pid : pidsIn(dirs)) {
            auto ticks = processStartTime(pid);
            if (!ticks)
                continue; // gone already
            auto after = startedAfterDirectory(*ticks, dir.fd());
            knowsBirth = knowsBirth && after.has_value();
            if (!after.value_or(false)) {
                foreign.push_back(pid);
                continue;
            }
            auto pidfd = openVerifiedPidfd(pid, *ticks);
            if (pidfd && killThroughPidfd(pidfd->get(), Reap::NotOurs, 5000))
                killed.push_back(std::to_string(pid));
        }
        if (!knowsBirth && !foreign.empty())
            unverified.push_back("the processes in " + dirs.front() +
                                 " (this filesystem does not record when the state directory "
                                 "was made, so their start times cannot be checked)");
        if (!killed.empty())
            done.push_back("killed " + joined(killed, " ") + " (in the container's cgroup, " +
                           "started after its state directory)");
        if (foreign.empty()) {
            HUSK_TRY(cg.destroy());
            done.push_back("removed the cgroup " + where + " in " + std::to_string(dirs.size()) +
                           " hierarchies");
        } else {
            std::vector<std::string> pids;
            for (pid_t p : foreign)
                pids.push_back(std::to_string(p));
            left.push_back("processes " + joined(pids, " ") + " in " + dirs.front() +
                           " started before the container's state directory, so they are not "
                           "known to be the container's: left running, with their cgroup");
        }
    }
    // The network namespace hold of linux.netDevices: the mount is husk's, in husk's directory.
    if (::umount2((dir.path() + "/" + kNetnsHoldName).c_str(), MNT_DETACH) == 0)
        done.push_back("released the network namespace hold (linux.netDevices moved into it "
                       "go back to the host as it dies)");

    unverified.push_back("a linux.cgroupsPath of the config");
    unverified.push_back("the poststop hooks (not run)");
    std::string report =
        "state.json of container \"" + id + "\" cannot be read (" + why.what() + ")";
    if (!done.empty())
        report += "; from the system: " + joined(done, "; ");
    if (dirs.empty()) {
        left.push_back("no cgroup at the default path " + where +
                       ", so its processes, if any, could not be found");
    }
    report += "; not verifiable without the record: " + joined(unverified, ", ");
    if (!left.empty()) {
        report += "; " + joined(left, "; ") + "; " + dir.path() +
                  " is kept: remove it by hand once you have checked";
        return fail(report);
    }
    HUSK_TRY(store.remove(id));
    return fail(report + "; the state directory is removed");
}

} // namespace husk
