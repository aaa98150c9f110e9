#include "libcontainer/pod/pod.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <span>

#include "common/crash_point.h"
#include "common/file.h"
#include "common/log.h"
#include "common/unique_fd.h"
#include "libcontainer/container/internal.h"
#include "libcontainer/container/id.h"
#include "libcontainer/container/transaction.h"
#include "libcontainer/network/attach.h"
#include "libcontainer/network/manage.h"
#include "libcontainer/network/store.h"
#include "libcontainer/pod/internal.h"
#include "libcontainer/pod/pod_files.h"
#include "libcontainer/process/pidfd.h"
#include "libcontainer/process/clone.h"
#include "libcontainer/container/state_store.h"
#include "netlink/link.h"
#include "netlink/socket.h"
#include "spec/parse.h"
#include "spec/state.h"

#ifdef HUSK_PAUSE_IMAGE
#include "pause_image.h" // generated: kPauseImage, the bytes of pod/pause/pause.cpp's program
#endif

namespace husk::pod {

std::string podsDir(const GlobalOptions &g)
{
    return g.root + "/pods";
}

// Signals the pause behind a verified pidfd and waits for it (it is not our child).
void killPause(pid_t pid, uint64_t startTime, int sig, int waitMs)
{
    if (pid <= 0)
        return;
    if (auto pidfd = openVerifiedPidfd(pid, startTime))
        (void)killThroughPidfd(pidfd->get(), Reap::NotOurs, waitMs, sig);
}

namespace {

constexpr const char *kPodFile = "pod.json";

const char *modeName(NetworkMode m)
{
    switch (m) {
    case NetworkMode::Bridge:
        return "bridge";
    case NetworkMode::Host:
        return "host";
    case NetworkMode::None:
        return "none";
    }
    return "none";
}

// An open, locked pod directory.
struct PodDir {
    UniqueFd fd;
    std::string path;

    Result<void> save(const PodRecord &r) const
    {
        return writeFileAtomic(fd.get(), kPodFile, podJson(r).dump(2) + "\n", 0600);
    }
    Result<PodRecord> load() const
    {
        auto j = HUSK_TRY_CTX(spec::readJsonFileAt(fd.get(), kPodFile), path);
        return parsePodJson(j);
    }
};

Result<PodDir> openPod(const GlobalOptions &g, const std::string &name)
{
    HUSK_TRY(validateId(name));
    std::string path = podsDir(g) + "/" + name;
    auto fd = openFd(path, O_RDONLY | O_DIRECTORY);
    if (!fd && fd.error().code() == ENOENT)
        return fail("pod \"" + name + "\" does not exist", ENOENT);
    if (!fd)
        return wrap(fd.error(), "pod " + name);
    PodDir d{std::move(*fd), path};
    if (::flock(d.fd.get(), LOCK_EX) < 0)
        return failErrno("lock pod " + name);
    return d;
}

// In the pause child: hostname, lo, a session of its own, nothing of husk's open.
Result<void> preparePause(const PodRecord &r, bool newNet)
{
    if (::sethostname(r.hostname.data(), r.hostname.size()) < 0)
        return failErrno("sethostname");
    if (newNet) {
        netlink::Socket nl = HUSK_TRY(netlink::Socket::open());
        HUSK_TRY(netlink::setLinkUp(nl, "lo", true));
    }
    ::setsid();
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        for (int i = 0; i < 3; ++i)
            ::dup2(null, i);
    }
    if (::chdir("/") < 0)
        return failErrno("chdir /");
    return {};
}

bool waitStopped(const GlobalOptions &g, const std::string &id, int timeoutMs)
{
    for (int waited = 0;; waited += 50) {
        auto st = containerState(g, id);
        if (!st || st->status == "stopped")
            return true;
        if (waited >= timeoutMs)
            return false;
        timespec ts{0, 50'000'000};
        ::nanosleep(&ts, nullptr);
    }
}

// Stops a member that runs: SIGTERM, and SIGKILL to all its processes after timeoutMs.
void stopMember(const GlobalOptions &g, const std::string &id, int timeoutMs)
{
    auto st = containerState(g, id);
    if (!st || st->status == "stopped")
        return;
    (void)killContainer(g, id, SIGTERM, false);
    if (!waitStopped(g, id, timeoutMs)) {
        (void)killContainer(g, id, SIGKILL, true);
        waitStopped(g, id, 5000);
    }
}

// resolv.conf, hosts and hostname in the pod's directory, for the members to mount.
Result<void> writePodFiles(const PodDir &dir, const PodRecord &r,
                           const std::vector<std::string> &servers)
{
    std::string host;
    if (servers.empty()) {
        auto text = readFile("/etc/resolv.conf");
        if (text)
            host = std::move(*text);
        else
            log::warn("pod " + r.name + ": " + text.error().what() +
                      "; its resolv.conf has no nameserver");
    }
    const bool ownNetns = r.mode != NetworkMode::Host;
    std::string resolv = HUSK_TRY_CTX(resolvConf(servers, host, ownNetns), "--dns");
    if (servers.empty() && ownNetns && resolv.find("nameserver") == std::string::npos) {
        // systemd-resolved's stub (127.0.0.53) is on the host's lo, out of the pod's reach; its
        // upstream servers are in a file of their own.
        if (auto upstream = readFile("/run/systemd/resolve/resolv.conf"))
            resolv = HUSK_TRY_CTX(resolvConf({}, *upstream, true), "--dns");
        if (resolv.find("nameserver") == std::string::npos)
            log::warn("pod " + r.name + ": no nameserver the pod can reach (give --dns)");
    }
    for (const auto &[name, text] : {std::pair<const char *, std::string>{"resolv.conf", resolv},
                                     {"hosts", hostsFile(r.hostname, r.address)},
                                     {"hostname", r.hostname + "\n"}})
        HUSK_TRY_CTX(writeFileAtomic(dir.fd.get(), name, text, 0644),
                     "write " + dir.path + "/" + name);
    return {};
}

// Takes a pod off its network (see network::detach).
void disconnectPod(const GlobalOptions &g, const PodRecord &r)
{
    if (r.mode == NetworkMode::Bridge)
        network::detach(g.root, r.network, r.name);
}

} // namespace

nlohmann::json podJson(const PodRecord &r)
{
    nlohmann::json j = {{"name", r.name},
                        {"created", r.created},
                        {"pausePid", r.pausePid},
                        {"pauseStartTime", r.pauseStartTime},
                        {"sharePid", r.sharePid},
                        {"hostname", r.hostname},
                        {"network", {{"mode", modeName(r.mode)}}},
                        {"members", r.members}};
    if (r.mode == NetworkMode::Bridge) {
        j["network"]["name"] = r.network;
        j["network"]["address"] = r.address;
        j["network"]["gateway"] = r.gateway;
        j["network"]["hostVeth"] = r.hostVeth;
        j["network"]["ports"] = r.ports;
    }
    if (r.pausePid > 0) {
        j["netns"] = "/proc/" + std::to_string(r.pausePid) + "/ns/net";
    }
    if (!r.owner.empty())
        j["owner"] = r.owner;
    return j;
}

Result<PodRecord> parsePodJson(const nlohmann::json &j)
{
    try {
        PodRecord r;
        r.name = j.at("name").get<std::string>();
        r.created = j.value("created", "");
        // A float where an integer belongs would convert with undefined behaviour.
        for (const char *key : {"pausePid", "pauseStartTime"})
            if (j.contains(key) && !j[key].is_number_integer())
                return fail(std::string("pod.json: ") + key + ": not an integer");
        r.pausePid = j.value("pausePid", 0);
        r.pauseStartTime = j.value("pauseStartTime", uint64_t{0});
        r.sharePid = j.value("sharePid", false);
        r.hostname = j.value("hostname", "");
        const nlohmann::json &n = j.at("network");
        auto mode = HUSK_TRY(parseNetworkFlag(n.at("mode").get<std::string>()));
        r.mode = mode.first;
        r.network = n.value("name", "");
        r.address = n.value("address", "");
        r.gateway = n.value("gateway", "");
        r.hostVeth = n.value("hostVeth", "");
        r.ports = n.value("ports", std::vector<std::string>{});
        r.members = j.value("members", std::vector<std::string>{});
        r.owner = j.value("owner", "");
        return r;
    } catch (const nlohmann::json::exception &e) {
        return fail(std::string("pod.json: ") + e.what());
    }
}

Result<std::pair<NetworkMode, std::string>> parseNetworkFlag(const std::string &s)
{
    if (s == "host")
        return std::pair{NetworkMode::Host, std::string()};
    if (s == "none")
        return std::pair{NetworkMode::None, std::string()};
    if (s == "bridge")
        return std::pair{NetworkMode::Bridge, std::string("husk")};
    if (s.starts_with("bridge:") && s.size() > 7)
        return std::pair{NetworkMode::Bridge, s.substr(7)};
    return fail("--network \"" + s + "\": expected bridge, bridge:NAME, host or none");
}

namespace {

// The pause is a fork of husk and lives as long as the pod: drop the code pages (husk's and
// the libraries' text) it inherited mapped, so its RSS is what it runs from now on; they
// refault from the page cache on use. Only executable file mappings are dropped: read-only
// data such as RELRO holds relocated (private, dirty) pages that must not be lost.
void shedInheritedPages()
{
    int fd = ::open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    static char buf[64 * 1024];
    size_t len = 0;
    for (ssize_t n; len < sizeof buf - 1 && (n = ::read(fd, buf + len, sizeof buf - 1 - len)) > 0;)
        len += static_cast<size_t>(n);
    ::close(fd);
    buf[len] = '\0';
    // Parse everything first: parsing runs libc code that a drop would only fault back in.
    static std::pair<unsigned long, unsigned long> ranges[512];
    size_t count = 0;
    for (char *line = buf; *line != '\0' && count < std::size(ranges);) {
        char *end = std::strchr(line, '\n');
        if (end != nullptr)
            *end = '\0';
        unsigned long lo = 0, hi = 0;
        char perms[5] = {};
        int pathAt = 0;
        if (std::sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &lo, &hi, perms, &pathAt) >= 3 &&
            perms[1] != 'w' && perms[2] == 'x' && pathAt > 0 && line[pathAt] == '/')
            ranges[count++] = {lo, hi};
        if (end == nullptr)
            break;
        line = end + 1;
    }
    for (size_t i = 0; i < count; ++i)
        ::madvise(reinterpret_cast<void *>(ranges[i].first), ranges[i].second - ranges[i].first,
                  MADV_DONTNEED);
}

} // namespace

void execPauseImage()
{
#ifdef HUSK_PAUSE_IMAGE
    UniqueFd fd(::memfd_create("husk-pause", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!fd ||
        !writeAll(fd.get(), {reinterpret_cast<const char *>(kPauseImage), sizeof kPauseImage}) ||
        ::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) <
            0)
        return;
    char arg0[] = "husk-pause";
    char *argv[] = {arg0, nullptr};
    char *envp[] = {nullptr};
    ::syscall(SYS_execveat, fd.get(), "", argv, envp, AT_EMPTY_PATH);
#endif
}

void runPause()
{
    ::prctl(PR_SET_NAME, "husk:pause", 0, 0, 0);
    shedInheritedPages();
    sigset_t all;
    ::sigfillset(&all);
    ::sigprocmask(SIG_BLOCK, &all, nullptr);
    for (;;) {
        siginfo_t info{};
        int sig = ::sigwaitinfo(&all, &info);
        if (sig == SIGTERM || sig == SIGINT)
            ::_exit(0);
        if (sig == SIGCHLD) {
            // PID 1 of a shared PID namespace inherits every orphan: reap them all.
            while (::waitpid(-1, nullptr, WNOHANG) > 0) {
            }
        }
    }
}

Result<PodRecord> createPod(const GlobalOptions &g, const PodCreateOptions &o)
{
    HUSK_TRY(validateId(o.name));
    auto [mode, network] = HUSK_TRY(parseNetworkFlag(o.network));
    std::string portList;
    for (const std::string &p : o.ports)
        portList += (portList.empty() ? "" : ",") + p;
    std::vector<network::PortForward> forwards =
        HUSK_TRY_CTX(network::parsePortForwards(portList), "--publish");
    if (mode != NetworkMode::Bridge && !forwards.empty())
        return fail("--publish needs --network bridge");
    for (const std::string &d : o.dns)
        (void)HUSK_TRY_CTX(network::parseIpAddress(d), "--dns " + d);
    if (mode != NetworkMode::Bridge && !o.ip.empty())
        return fail("--ip needs --network bridge");

    (void)HUSK_TRY(StateStore::open(g.root)); // makes the root
    if (::mkdir(podsDir(g).c_str(), 0700) < 0 && errno != EEXIST)
        return failErrno("create " + podsDir(g));
    std::string path = podsDir(g) + "/" + o.name;
    if (::mkdir(path.c_str(), 0700) < 0) {
        if (errno == EEXIST)
            return fail("pod \"" + o.name + "\" already exists", EEXIST);
        return failErrno("create " + path);
    }
    // Each step made is undone, last first, unless the pod is complete.
    CreateTransaction tx;
    tx.onUndo([&] {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    });
    PodDir dir = HUSK_TRY(openPod(g, o.name));

    PodRecord r;
    r.name = o.name;
    r.created = nowRfc3339();
    r.sharePid = o.sharePid;
    r.hostname = o.hostname.empty() ? o.name : o.hostname;
    r.mode = mode;
    r.network = network;
    r.owner = o.owner;
    // Saved before anything runs: a husk killed from here on leaves what `pod rm` needs (the
    // network is detached by the pod's name, which keys the lease, the veth and the rules).
    HUSK_TRY(dir.save(r));
    crashPoint("pod.recorded");

    uint64_t flags = CLONE_NEWIPC | CLONE_NEWUTS;
    if (mode != NetworkMode::Host)
        flags |= CLONE_NEWNET;
    if (o.sharePid)
        flags |= CLONE_NEWPID;
    // The pause reports over the sync protocol: Ready once its namespaces are set up, or Error.
    auto [parentEnd, childEnd] = HUSK_TRY(process::SyncSocket::pair());
    int pidfdRaw = -1;
    pid_t pid = HUSK_TRY(process::cloneProcess(flags, &pidfdRaw));
    if (pid == 0) {
        parentEnd.close();
        if (auto prepared = preparePause(r, mode != NetworkMode::Host); !prepared) {
            childEnd.sendError(prepared.error());
            ::_exit(1);
        }
        if (!childEnd.send(process::SyncMsg::Ready))
            ::_exit(1);
        // Lives on only once pod.json names it: a husk killed before that closes the socket.
        if (!childEnd.expect(process::SyncMsg::Go))
            ::_exit(1);
        // Nothing of husk's may stay open in a process that lives as long as the pod, but for
        // a descriptor of the pod's directory (O_PATH, so no lock comes with it): what finds the
        // pause if pod.json is lost (pausesHolding).
        ::syscall(SYS_close_range, 3, ~0U, 0);
        (void)::open(path.c_str(), O_PATH | O_DIRECTORY);
        execPauseImage();
        runPause();
    }
    tx.ownProcess(pid, UniqueFd(pidfdRaw));
    childEnd.close();
    HUSK_TRY_CTX(parentEnd.expect(process::SyncMsg::Ready), "pause process");
    r.pausePid = pid;
    r.pauseStartTime = processStartTime(r.pausePid).value_or(0);
    HUSK_TRY(dir.save(r));
    crashPoint("pod.pause");
    HUSK_TRY_CTX(parentEnd.send(process::SyncMsg::Go), "pause process");
    std::vector<std::string> servers = o.dns;
    if (mode == NetworkMode::Bridge) {
        tx.onUndo([&] { disconnectPod(g, r); });
        network::AttachRequest req{.owner = r.name,
                                   .network = r.network,
                                   .netnsPath = "/proc/" + std::to_string(r.pausePid) + "/ns/net",
                                   .ip = o.ip,
                                   .forwards = forwards};
        network::Attachment a =
            HUSK_TRY(network::attach(network::NetworkPaths{g.root, network::networkDir()}, req));
        r.address = a.address;
        r.gateway = a.gateway;
        r.hostVeth = a.hostVeth;
        r.ports = a.ports;
        crashPoint("pod.network");
        if (servers.empty())
            for (const network::IpAddress &dns : a.network.dns)
                servers.push_back(network::formatIpAddress(dns));
    }
    HUSK_TRY(writePodFiles(dir, r, servers));
    HUSK_TRY(dir.save(r));
    crashPoint("pod.saved");
    tx.commit();
    return r;
}

Result<std::vector<std::pair<PodRecord, bool>>> listPods(const GlobalOptions &g)
{
    std::vector<std::pair<PodRecord, bool>> out;
    std::error_code ec;
    if (!std::filesystem::is_directory(podsDir(g), ec))
        return out;
    for (const auto &e : std::filesystem::directory_iterator(podsDir(g), ec)) {
        auto dir = openPod(g, e.path().filename().string());
        if (!dir)
            continue;
        auto r = dir->load();
        if (!r)
            continue;
        bool alive = r->pausePid > 0 && processMatches(r->pausePid, r->pauseStartTime);
        out.emplace_back(std::move(*r), alive);
    }
    std::sort(out.begin(), out.end(),
              [](const auto &a, const auto &b) { return a.first.name < b.first.name; });
    return out;
}

Result<PodRecord> inspectPod(const GlobalOptions &g, const std::string &name)
{
    PodDir dir = HUSK_TRY(openPod(g, name));
    return dir.load();
}

Result<void> stopPod(const GlobalOptions &g, const std::string &name, int timeoutSeconds)
{
    PodRecord r = HUSK_TRY(inspectPod(g, name));
    const int timeoutMs = std::max(0, timeoutSeconds) * 1000;
    for (auto it = r.members.rbegin(); it != r.members.rend(); ++it)
        stopMember(g, *it, timeoutMs);
    killPause(r.pausePid, r.pauseStartTime, SIGTERM, timeoutMs > 0 ? timeoutMs : 1000);
    killPause(r.pausePid, r.pauseStartTime, SIGKILL, 5000);
    return {};
}

Result<pid_t> restartMember(const GlobalOptions &g, const std::string &name, const std::string &id,
                            int timeoutSeconds)
{
    PodRecord r = HUSK_TRY(inspectPod(g, name));
    if (std::find(r.members.begin(), r.members.end(), id) == r.members.end())
        return fail("container \"" + id + "\" is not a member of pod \"" + name + "\"");
    if (r.owner == id)
        return fail("pod \"" + name + "\" is container " + id +
                    "'s own (its run.husk.network annotation): delete and create the container");
    if (r.pausePid <= 0 || !processMatches(r.pausePid, r.pauseStartTime))
        return fail("pod \"" + name + "\" is not running (its pause process is gone)");
    spec::State st = HUSK_TRY(containerState(g, id));
    stopMember(g, id, std::max(0, timeoutSeconds) * 1000);
    HUSK_TRY(deleteMember(g, id, true));
    CreateOptions co;
    co.id = id;
    co.bundle = st.bundle;
    co.pod = name;
    pid_t pid = HUSK_TRY_CTX(createMember(g, co), "recreate " + id + " from " + st.bundle);
    if (auto started = startContainer(g, id); !started) {
        (void)deleteMember(g, id, true);
        return std::unexpected(started.error());
    }
    return pid;
}

Result<void> removePod(const GlobalOptions &g, const std::string &name, bool force)
{
    auto opened = openPod(g, name);
    if (!opened) {
        if (force && opened.error().code() == ENOENT)
            return {};
        return std::unexpected(opened.error());
    }
    PodDir dir = std::move(*opened);
    auto loaded = dir.load();
    // Unlocked for the members' deletes: each one forgets itself in pod.json (removeMember).
    ::flock(dir.fd.get(), LOCK_UN);
    if (loaded) {
        PodRecord r = std::move(*loaded);
        // The listed members, last first; then any whose create was killed before it listed it.
        std::vector<std::string> members(r.members.rbegin(), r.members.rend());
        for (std::string &id : annotatedMembers(g, name))
            if (std::find(members.begin(), members.end(), id) == members.end())
                members.push_back(std::move(id));
        for (const std::string &id : members) {
            auto d = deleteMember(g, id, force);
            if (!d)
                return wrap(d.error(),
                            "pod \"" + name + "\": member " + id + (force ? "" : " (use --force)"));
        }
        crashPoint("pod-rm.members");
        killPause(r.pausePid, r.pauseStartTime, SIGKILL, 5000);
        crashPoint("pod-rm.pause");
        disconnectPod(g, r);
        crashPoint("pod-rm.network");
    } else if (!force) {
        return wrap(loaded.error(), "pod \"" + name + "\" has no readable state (use --force)");
    } else {
        return removeWithoutRecord(g, dir.fd.get(), dir.path, name, loaded.error());
    }
    std::error_code ec;
    std::filesystem::remove_all(dir.path, ec);
    if (ec)
        return fail("remove " + dir.path + ": " + ec.message());
    ::rmdir(podsDir(g).c_str()); // the last pod takes the pods directory with it
    return {};
}

Result<void> joinPodConfig(const GlobalOptions &g, const std::string &name, spec::Config &config)
{
    PodRecord r = HUSK_TRY(inspectPod(g, name));
    if (r.pausePid <= 0 || !processMatches(r.pausePid, r.pauseStartTime))
        return fail("pod \"" + name + "\" is not running (its pause process is gone)");
    if (!config.linux)
        config.linux.emplace();
    std::vector<spec::Namespace> &ns = config.linux->namespaces;
    std::string proc = "/proc/" + std::to_string(r.pausePid) + "/ns/";
    auto join = [&](spec::NamespaceType type, const char *file) {
        std::erase_if(ns, [&](const spec::Namespace &n) { return n.type == type; });
        ns.push_back({type, proc + file});
    };
    if (r.mode == NetworkMode::Host)
        std::erase_if(
            ns, [](const spec::Namespace &n) { return n.type == spec::NamespaceType::Network; });
    else
        join(spec::NamespaceType::Network, "net");
    join(spec::NamespaceType::Ipc, "ipc");
    join(spec::NamespaceType::Uts, "uts");
    if (r.sharePid)
        join(spec::NamespaceType::Pid, "pid");
    if (!config.hostname.empty())
        log::debug("pod " + name + ": the pod's hostname replaces the config's \"" +
                   config.hostname + "\"");
    config.hostname.clear();
    config.domainname.clear();
    addPodFileMounts(config, podsDir(g) + "/" + name);
    config.annotations["run.husk.pod"] = name;
    return {};
}

Result<std::optional<PodCreateOptions>>
podFromAnnotations(const std::map<std::string, std::string> &annotations, const std::string &id,
                   const std::string &hostname)
{
    auto get = [&](const char *key) -> const std::string * {
        auto it = annotations.find(key);
        return it == annotations.end() ? nullptr : &it->second;
    };
    auto list = [](const std::string &text) {
        std::vector<std::string> out;
        for (size_t start = 0; start <= text.size();) {
            size_t end = std::min(text.find(',', start), text.size());
            std::string item = text.substr(start, end - start);
            item.erase(0, item.find_first_not_of(" \t"));
            item.erase(item.find_last_not_of(" \t") + 1);
            if (!item.empty())
                out.push_back(item);
            start = end + 1;
        }
        return out;
    };
    const std::string *net = get("run.husk.network");
    const std::string *ip = get("run.husk.ip");
    const std::string *ports = get("run.husk.ports");
    const std::string *dns = get("run.husk.dns");
    if (net == nullptr && ip == nullptr && ports == nullptr && dns == nullptr)
        return std::nullopt;
    if (annotations.contains("run.husk.pod"))
        return fail("annotation run.husk.network/ip/ports/dns: a member of a pod (run.husk.pod) "
                    "has the pod's networking");
    PodCreateOptions o;
    o.name = id;
    o.owner = id;
    o.hostname = hostname;
    if (net != nullptr) {
        (void)HUSK_TRY_CTX(parseNetworkFlag(*net), "annotation run.husk.network");
        o.network = *net;
    }
    if (ip != nullptr)
        o.ip = *ip;
    if (ports != nullptr)
        o.ports = list(*ports);
    if (dns != nullptr)
        o.dns = list(*dns);
    return o;
}

void removeOwnedPod(const GlobalOptions &g, const std::string &id, bool ownerKnown)
{
    // removePod deletes the pod's members, and the owner's own delete comes back here: with
    // the owner's state already gone (a husk killed mid-delete) that would recurse for ever.
    static std::string removing;
    if (removing == id)
        return;
    auto r = inspectPod(g, id);
    struct stat st;
    if (r ? r->owner != id : !ownerKnown || ::stat((podsDir(g) + "/" + id).c_str(), &st) < 0)
        return;
    removing = id;
    auto rm = removePod(g, id, true);
    removing.clear();
    if (!rm)
        log::warn("container " + id + ": its pod: " + rm.error().what());
}

Result<void> addMember(const GlobalOptions &g, const std::string &name, const std::string &id)
{
    PodDir dir = HUSK_TRY(openPod(g, name));
    PodRecord r = HUSK_TRY(dir.load());
    if (std::find(r.members.begin(), r.members.end(), id) == r.members.end())
        r.members.push_back(id);
    return dir.save(r);
}

void removeMember(const GlobalOptions &g, const std::string &name, const std::string &id)
{
    auto dir = openPod(g, name);
    if (!dir)
        return;
    auto r = dir->load();
    if (!r)
        return;
    std::erase(r->members, id);
    if (auto s = dir->save(*r); !s)
        log::warn("pod " + name + ": " + s.error().what());
}

} // namespace husk::pod
