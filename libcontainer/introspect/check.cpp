#include "libcontainer/introspect/check.h"

#include <linux/netlink.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <sstream>
#include <string_view>

#include "common/file.h"
#include "common/unique_fd.h"
#include "libcontainer/cgroups/systemd_dbus.h"
#include "libcontainer/security/landlock.h"
#include "libcontainer/namespaces/namespaces.h"
#include "libcontainer/process/attrs/attrs.h"
#include "libcontainer/rootfs/rootfs.h"
#include "libcontainer/security/seccomp/filter.h"
#include "netlink/nftables.h"

namespace husk {

namespace {

// ---- probing ----------------------------------------------------------------------------------

std::optional<long> readNumber(const std::string &path)
{
    auto text = readFile(path);
    if (!text)
        return std::nullopt;
    long value = 0;
    const char *begin = text->data();
    if (std::from_chars(begin, begin + text->size(), value).ec != std::errc())
        return std::nullopt;
    return value;
}

// rc and errno of a probe whose arguments make a present syscall fail with `expected` (or
// succeed) before it does anything. Anything else, ENOSYS or a filter's EPERM, means husk
// cannot use it.
SyscallProbe judgeSyscall(long rc, int expected)
{
    if (rc >= 0 || errno == expected)
        return {true, 0};
    return {false, errno};
}

// An idmapped bind mount of a scratch directory, through the same code create uses. The tree
// is detached and never attached anywhere; closing its fd frees it.
Result<void> tryIdmapMount(const std::string &parent)
{
    std::string dir = parent + "/husk-check-XXXXXX";
    if (::mkdtemp(dir.data()) == nullptr)
        return failErrno("mkdtemp in " + parent);
    rootfs::RootfsPlan plan;
    rootfs::PlannedMount m;
    m.source = dir;
    m.destination = "/probe";
    m.type = "bind";
    m.options.flags = MS_BIND;
    m.options.idmap = true;
    m.uidMappings = m.gidMappings = {spec::IdMapping{0, 100000, 65536}};
    plan.mounts.push_back(std::move(m));
    Result<void> result;
    if (auto fds = rootfs::prepareBindSources(plan); !fds)
        result = std::unexpected(std::move(fds).error());
    ::rmdir(dir.c_str());
    return result;
}

Result<void> askNftables()
{
    netlink::Socket socket = HUSK_TRY(netlink::Socket::open(NETLINK_NETFILTER));
    HUSK_TRY_CTX(netlink::probeNftables(socket), "NFT_MSG_GETGEN");
    return {};
}

// ---- judging ----------------------------------------------------------------------------------

HostCheck check(std::string name, bool ok, std::string detail, std::string consequence)
{
    return HostCheck{std::move(name), ok, std::move(detail), ok ? "" : std::move(consequence)};
}

// A check for something the config of a plain `husk spec` cannot do without.
HostCheck required(HostCheck c)
{
    c.required = true;
    return c;
}

std::string errnoName(int e)
{
    const char *name = ::strerrorname_np(e);
    return name ? name : "errno " + std::to_string(e);
}

std::string syscallDetail(const SyscallProbe &p)
{
    if (p.present)
        return "";
    if (p.error == ENOSYS)
        return "ENOSYS: not in this kernel, or hidden by a seccomp filter";
    if (p.error == EPERM)
        return "EPERM: refused, probably by a seccomp filter";
    return errnoName(p.error);
}

// A cgroup controller husk uses, where it can be, and what is lost without it.
struct ControllerUse {
    std::string_view v1;          // the v1 controller
    std::string_view v2;          // the cgroup2 controller, "" when there is none
    std::string_view v2Core;      // how cgroup2 does it without a controller, "" when it cannot
    std::string_view consequence; // without it
};

constexpr ControllerUse kControllers[] = {
    {"cpu", "cpu", "", "linux.resources.cpu (shares, quota, realtime, idle) will fail create"},
    {"cpuacct", "", "cpu.stat", "events --stats will report no CPU usage"},
    {"cpuset", "cpuset", "", "linux.resources.cpu.cpus and .mems will fail create"},
    {"memory", "memory", "", "linux.resources.memory will fail create"},
    {"pids", "pids", "", "linux.resources.pids will fail create"},
    {"blkio", "io", "", "linux.resources.blockIO will fail create"},
    {"hugetlb", "hugetlb", "", "linux.resources.hugepageLimits will fail create"},
    {"devices", "", "eBPF device filter", "linux.resources.devices will fail create"},
    {"freezer", "", "cgroup.freeze", "pause and resume will fail"},
    {"net_cls", "", "", "linux.resources.network.classID will fail create"},
    {"net_prio", "", "", "linux.resources.network.priorities will fail create"},
    {"rdma", "rdma", "", "linux.resources.rdma will fail create"},
};

HostSection cgroupSection(const HostFacts &f)
{
    HostSection s{"cgroups", "Cgroups", {}};
    if (!f.cgroupLayout) {
        s.checks.push_back(
            required(check("layout", false, f.cgroupLayout.error().what(),
                           "husk cannot place containers in cgroups: create fails")));
        return s;
    }
    const cgroups::Layout &layout = *f.cgroupLayout;
    const cgroups::Hierarchy *unified = layout.find("unified");
    std::string detail = cgroups::modeName(layout.mode);
    if (unified)
        detail += ", cgroup2 at " + unified->mountPoint;
    s.checks.push_back(required(check("layout", true, detail, "")));
    auto offered = [&](std::string_view c) {
        for (const std::string &have : f.cgroup2Controllers)
            if (have == c)
                return true;
        return false;
    };
    for (const ControllerUse &c : kControllers) {
        std::string where;
        if (layout.find(c.v1)) // the cgroup2 entry lists only "unified"
            where = "v1";
        else if (unified && !c.v2.empty() && offered(c.v2))
            where = "cgroup2";
        else if (unified && !c.v2Core.empty())
            where = "cgroup2, " + std::string(c.v2Core);
        HostCheck line =
            check(std::string(c.v1), !where.empty(), where, std::string(c.consequence));
        // The default config denies every device but the standard ones.
        line.required = c.v1 == "devices";
        s.checks.push_back(std::move(line));
    }
    return s;
}

HostSection seccompSection(const HostFacts &f)
{
    HostSection s{"seccomp", "Seccomp", {}};
    bool any = false;
    for (const auto &[name, ok] : f.seccompActions)
        any |= ok;
    s.checks.push_back(check("filters", any, any ? "SECCOMP_GET_ACTION_AVAIL answers" : "",
                             "linux.seccomp will fail create"));
    for (const auto &[name, ok] : f.seccompActions)
        s.checks.push_back(
            check(name, ok, "", "linux.seccomp rules using " + name + " will not work"));
    for (const auto &[name, ok] : f.seccompFlags)
        s.checks.push_back(check(name, ok, "", "linux.seccomp.flags with it will fail create"));
    return s;
}

HostSection securitySection(const HostFacts &f)
{
    const bool landlock = f.landlockAbi > 0;
    return {"security",
            "Security modules",
            {check("Landlock", landlock, landlock ? "ABI " + std::to_string(f.landlockAbi) : "",
                   "Landlock policies (process.landlock, run.husk.landlock) are dropped in "
                   "best-effort mode and fail create in strict mode"),
             check("AppArmor", f.apparmor, "", "process.apparmorProfile will fail create"),
             check("SELinux", f.selinux, "",
                   "process.selinuxLabel and linux.mountLabel will fail create")}};
}

HostSection usernsSection(const HostFacts &f)
{
    HostSection s{"userns", "User namespaces", {}};
    const bool any = f.maxUserNamespaces && *f.maxUserNamespaces > 0;
    s.checks.push_back(check("max_user_namespaces", any,
                             f.maxUserNamespaces ? std::to_string(*f.maxUserNamespaces)
                                                 : "no user namespaces in this kernel",
                             "a user namespace (rootless containers, linux.uidMappings) will "
                             "fail create"));
    if (f.unprivilegedUsernsClone)
        s.checks.push_back(check("unprivileged_userns_clone", *f.unprivilegedUsernsClone != 0,
                                 std::to_string(*f.unprivilegedUsernsClone),
                                 "rootless husk fails for unprivileged users (root is not "
                                 "affected)"));
    return s;
}

HostSection mountSection(const HostFacts &f)
{
    // Tried (as root): what the mount did; not tried: as far as the syscall goes.
    const bool idmapOk = f.idmapMount ? f.idmapMount->has_value() : f.mountSetattr.present;
    std::string idmapDetail = !f.idmapMount ? "mount_setattr is there; trying one needs root"
                              : idmapOk     ? "a bind mount in " + f.idmapDir
                                            : f.idmapMount->error().what();
    return {"mounts",
            "Mounts",
            {check("mount_setattr", f.mountSetattr.present, syscallDetail(f.mountSetattr),
                   "the recursive mount options (rro, rnosuid, ...) and idmapped mounts will "
                   "fail create"),
             check("idmapped mounts", idmapOk, idmapDetail,
                   "mounts with uidMappings/gidMappings, idmap or ridmap will fail create")}};
}

HostSection networkSection(const HostFacts &f)
{
    std::string detail;
    if (f.nftables)
        detail = "the kernel answers NFT_MSG_GETGEN";
    else if (f.nftablesModule)
        detail = "/sys/module/nf_tables";
    else if (f.nftables.error().code() == EPERM)
        detail = "unknown: asking the kernel needs CAP_NET_ADMIN";
    else
        detail = f.nftables.error().what();
    return {"network",
            "Networking",
            {check("nftables", f.nftables || f.nftablesModule, detail,
                   "pods on a bridge fail: their masquerade and port forwards are nf_tables "
                   "rules")}};
}

HostSection processSection(const HostFacts &f)
{
    return {"process",
            "Processes",
            {required(check("clone3", f.clone3.present, syscallDetail(f.clone3),
                            "create fails: husk starts every container with clone3")),
             required(check("pidfd_open", f.pidfdOpen.present, syscallDetail(f.pidfdOpen),
                            "create and run fail: husk waits on and signals the init through a "
                            "pidfd"))}};
}

HostSection systemdSection(const HostFacts &f)
{
    std::string detail;
    if (!f.systemdRunning)
        detail = "systemd is not the init here (no /run/systemd/system)";
    else if (!f.systemdBus)
        detail = f.systemdBus.error().what();
    else
        detail = "running; libsystemd can be loaded";
    return {"systemd",
            "systemd",
            {check("--systemd-cgroup", f.systemdRunning && f.systemdBus.has_value(), detail,
                   "--systemd-cgroup fails create; without the flag husk manages cgroups itself")}};
}

} // namespace

HostFacts probeHost()
{
    HostFacts f;
    if (utsname u{}; ::uname(&u) == 0) {
        f.kernelRelease = u.release;
        f.machine = u.machine;
    }
    for (spec::NamespaceType t : spec::kNamespaceTypes) {
        std::string path = std::string("/proc/self/ns/") + procNamespaceName(t);
        f.namespaces.emplace_back(t, ::access(path.c_str(), F_OK) == 0);
    }
    f.cgroupLayout = cgroups::detectLayout();
    if (f.cgroupLayout)
        if (const cgroups::Hierarchy *h = f.cgroupLayout->find("unified"))
            if (auto text = readFile(h->mountPoint + "/cgroup.controllers")) {
                std::istringstream in(*text);
                for (std::string c; in >> c;)
                    f.cgroup2Controllers.push_back(c);
            }
    const SeccompNames seccomp = seccompNames();
    for (std::string_view a : seccomp.actions)
        f.seccompActions.emplace_back(a, seccompActionAvailable(a));
    for (std::string_view flag : seccomp.flags)
        f.seccompFlags.emplace_back(flag, seccompFlagSupported(flag));
    f.landlockAbi = landlockAbi();
    f.apparmor = apparmorEnabled();
    f.selinux = selinuxEnabled();
    f.maxUserNamespaces = readNumber("/proc/sys/user/max_user_namespaces");
    f.unprivilegedUsernsClone = readNumber("/proc/sys/kernel/unprivileged_userns_clone");
    // A size below MOUNT_ATTR_SIZE_VER0 (and clone3's below CLONE_ARGS_SIZE_VER0) is refused
    // with EINVAL before anything is looked at.
    f.mountSetattr = judgeSyscall(::syscall(SYS_mount_setattr, -1, "", 0, nullptr, 0), EINVAL);
    if (f.mountSetattr.present && ::geteuid() == 0) {
        const char *tmp = ::getenv("TMPDIR");
        f.idmapDir = tmp && *tmp == '/' ? tmp : "/tmp";
        f.idmapMount = tryIdmapMount(f.idmapDir);
    }
    f.nftables = askNftables();
    f.nftablesModule = ::access("/sys/module/nf_tables", F_OK) == 0;
    long pidfd = ::syscall(SYS_pidfd_open, ::getpid(), 0);
    UniqueFd own(pidfd >= 0 ? static_cast<int>(pidfd) : -1);
    f.pidfdOpen = judgeSyscall(pidfd, 0); // of ourselves it simply succeeds
    f.clone3 = judgeSyscall(::syscall(SYS_clone3, nullptr, 0), EINVAL);
    f.systemdRunning = cgroups::systemd::running();
    f.systemdBus = cgroups::systemd::busAvailable();
    return f;
}

HostReport assessHost(const HostFacts &f)
{
    HostReport report;
    const bool uname = !f.kernelRelease.empty();
    report.push_back(
        {"kernel",
         "Kernel",
         {required(check("Linux", uname, uname ? f.kernelRelease + " (" + f.machine + ")" : "",
                         "uname(2) failed"))}});
    HostSection ns{"namespaces", "Namespaces", {}};
    for (const auto &[type, ok] : f.namespaces) {
        std::string name = spec::namespaceTypeName(type);
        HostCheck line =
            check(name, ok, "", "linux.namespaces type \"" + name + "\" will fail create");
        // The namespaces a plain `husk spec` config asks for.
        using enum spec::NamespaceType;
        line.required =
            type == Pid || type == Network || type == Ipc || type == Uts || type == Mount;
        ns.checks.push_back(std::move(line));
    }
    report.push_back(std::move(ns));
    report.push_back(cgroupSection(f));
    report.push_back(seccompSection(f));
    report.push_back(securitySection(f));
    report.push_back(usernsSection(f));
    report.push_back(mountSection(f));
    report.push_back(networkSection(f));
    report.push_back(processSection(f));
    report.push_back(systemdSection(f));
    return report;
}

int missingRequired(const HostReport &report)
{
    int n = 0;
    for (const HostSection &s : report)
        for (const HostCheck &c : s.checks)
            n += c.required && !c.ok;
    return n;
}

std::string formatHostReport(const HostReport &report)
{
    std::string out;
    int ok = 0, missing = 0;
    for (const HostSection &s : report) {
        out += s.title + "\n";
        for (const HostCheck &c : s.checks) {
            (c.ok ? ok : missing)++;
            out += c.ok ? "  ✓ " : "  ✗ ";
            out += c.name;
            if (c.ok) {
                if (!c.detail.empty())
                    out += ": " + c.detail;
            } else {
                if (!c.detail.empty())
                    out += " (" + c.detail + ")";
                out += ": " + c.consequence;
                if (c.required)
                    out += " [required]";
            }
            out += "\n";
        }
    }
    out += "\n" + std::to_string(ok) + " available, " + std::to_string(missing) + " missing";
    if (int r = missingRequired(report); r > 0)
        out += ", " + std::to_string(r) + " of them required by a default bundle";
    out += "\n";
    return out;
}

nlohmann::ordered_json hostReportJson(const HostReport &report)
{
    nlohmann::ordered_json out;
    int ok = 0, missing = 0;
    for (const HostSection &s : report) {
        nlohmann::ordered_json section = nlohmann::ordered_json::object();
        for (const HostCheck &c : s.checks) {
            (c.ok ? ok : missing)++;
            nlohmann::ordered_json item{{"available", c.ok}};
            if (c.required)
                item["required"] = true;
            if (!c.detail.empty())
                item["detail"] = c.detail;
            if (!c.ok)
                item["consequence"] = c.consequence;
            section[c.name] = std::move(item);
        }
        out[s.key] = std::move(section);
    }
    out["summary"] = {
        {"available", ok}, {"missing", missing}, {"requiredMissing", missingRequired(report)}};
    return out;
}

} // namespace husk
