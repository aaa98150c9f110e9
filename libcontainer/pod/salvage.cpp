// `pod rm --force` of a pod whose pod.json cannot be read (removed, emptied, truncated,
// overwritten): the record lists what the pod made, so husk finds it in the system instead,
// removes exactly that and says what it did, as container/salvage.cpp does for a container.

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "common/file.h"
#include "common/text.h"
#include "libcontainer/container/state_store.h"
#include "libcontainer/network/attach.h"
#include "libcontainer/network/ipam.h"
#include "libcontainer/pod/internal.h"
#include "libcontainer/pod/pod.h"
#include "libcontainer/process/pidfd.h"
#include "netlink/link.h"
#include "netlink/socket.h"

namespace husk::pod {

namespace {

// The pause processes of the pod whose directory is dirfd, found without pod.json: processes
// named husk:pause, started after the directory was made, that hold it open (a pause keeps a
// descriptor of its pod's directory, mode 0700 under husk's root, for exactly this).
std::vector<std::pair<pid_t, uint64_t>> pausesHolding(int dirfd)
{
    std::vector<std::pair<pid_t, uint64_t>> out;
    struct stat pod;
    if (::fstat(dirfd, &pod) < 0)
        return out;
    for (const std::string &entry : visibleEntries(AT_FDCWD, "/proc")) {
        if (entry.find_first_not_of("0123456789") != std::string::npos)
            continue;
        const std::string proc = "/proc/" + entry;
        auto comm = readFile(proc + "/comm", 64);
        if (!comm || *comm != "husk:pause\n")
            continue;
        const pid_t pid = std::stoi(entry);
        auto ticks = processStartTime(pid);
        if (!ticks || !startedAfterDirectory(*ticks, dirfd).value_or(true))
            continue;
        for (const std::string &fd : visibleEntries(AT_FDCWD, (proc + "/fd").c_str())) {
            struct stat st;
            if (::stat((proc + "/fd/" + fd).c_str(), &st) == 0 && st.st_dev == pod.st_dev &&
                st.st_ino == pod.st_ino) {
                out.emplace_back(pid, *ticks);
                break;
            }
        }
    }
    return out;
}

} // namespace

// The containers whose state names pod `name` (run.husk.pod): pod.json's members and any a
// husk killed between a member's create and its addMember left unlisted.
std::vector<std::string> annotatedMembers(const GlobalOptions &g, const std::string &name)
{
    std::vector<std::string> out;
    auto store = StateStore::open(g.root);
    auto ids = store ? store->list() : Result<std::vector<std::string>>{};
    if (!ids)
        return out;
    for (const std::string &id : *ids) {
        auto dir = store->openContainer(id);
        auto rec = dir ? dir->load() : Result<StateRecord>(std::unexpected(dir.error()));
        if (!rec)
            continue;
        if (auto a = rec->annotations.find("run.husk.pod");
            a != rec->annotations.end() && a->second == name)
            out.push_back(id);
    }
    return out;
}

// What the record would have listed is found in the system:
// the members by their state's run.husk.pod, the pause by the directory it holds open, the
// network by the pod's name (its leases on every network, its veth, its port forwards). A
// directory that shows nothing (a create killed before its first record) is removed quietly;
// otherwise what was done is reported and the command fails, as for a container.
Result<void> removeWithoutRecord(const GlobalOptions &g, int dirfd, const std::string &dirPath,
                                 const std::string &name, const Error &why)
{
    std::vector<std::string> done, left;
    for (const std::string &id : annotatedMembers(g, name)) {
        if (auto d = deleteMember(g, id, true); d)
            done.push_back("deleted its member " + id);
        else
            left.push_back("member " + id + ": " + d.error().what());
    }
    for (auto [pid, ticks] : pausesHolding(dirfd)) {
        killPause(pid, ticks, SIGKILL, 5000);
        if (processMatches(pid, ticks))
            left.push_back("its pause process " + std::to_string(pid) + " did not die");
        else
            done.push_back("killed its pause process " + std::to_string(pid));
    }
    for (const std::string &network : visibleEntries(AT_FDCWD, (g.root + "/networks").c_str())) {
        auto leases = network::Ipam(g.root, network).leases();
        if (!leases)
            continue;
        for (const network::Lease &l : *leases)
            if (l.container == name) {
                network::detach(g.root, network, name);
                done.push_back("released its lease of " + network::formatIpAddress(l.ipv4) +
                               " on network " + network);
            }
    }
    const std::string veth = network::hostVethName(name);
    bool hadVeth = false;
    if (auto nl = netlink::Socket::open())
        hadVeth = netlink::getLink(*nl, veth).has_value();
    network::detach(g.root, "", name); // the veth and the port forwards, by name
    if (hadVeth)
        done.push_back("removed its veth " + veth);
    if (why.code() == ENOENT && done.empty() && left.empty())
        return {}; // the directory is all a create killed before its first record made
    std::string report = "pod.json of pod \"" + name + "\" cannot be read (" + why.what() + ")";
    if (!done.empty())
        report += "; from the system: " + joined(done, "; ");
    report += "; not verifiable without the record: members whose own state cannot be read";
    if (!left.empty())
        return fail(report + "; " + joined(left, "; ") + "; " + dirPath +
                    " is kept: remove it by hand once you have checked");
    std::error_code ec;
    std::filesystem::remove_all(dirPath, ec);
    ::rmdir(podsDir(g).c_str());
    return fail(report + "; the pod directory is removed");
}

} // namespace husk::pod
