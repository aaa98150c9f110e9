#include "spec/default_spec.h"

#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <vector>

#include "spec/config.h"

namespace husk::spec {

namespace {

using OJson = nlohmann::ordered_json;

// runc adds a cgroup namespace only where cgroup v2 is the unified hierarchy: with v1 the
// namespace root would hide the controllers' mounts the container may need.
bool cgroup2Unified()
{
    struct statfs fs {};
    return ::statfs("/sys/fs/cgroup", &fs) == 0 &&
           static_cast<unsigned long>(fs.f_type) == CGROUP2_SUPER_MAGIC;
}

OJson mount(const char *destination, const char *type, const char *source,
            std::vector<std::string> options)
{
    OJson m;
    m["destination"] = destination;
    m["type"] = type;
    m["source"] = source;
    if (!options.empty())
        m["options"] = std::move(options);
    return m;
}

OJson idMapping(uint32_t hostId)
{
    OJson m;
    m["containerID"] = 0;
    m["hostID"] = hostId;
    m["size"] = 1;
    return m;
}

OJson process()
{
    const std::vector<std::string> caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
    OJson p;
    p["terminal"] = true;
    p["user"] = OJson{{"uid", 0}, {"gid", 0}};
    p["args"] = OJson::array({"sh"});
    p["env"] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"};
    p["cwd"] = "/";
    p["capabilities"] = OJson{{"bounding", caps}, {"effective", caps}, {"permitted", caps}};
    OJson nofile;
    nofile["type"] = "RLIMIT_NOFILE";
    nofile["hard"] = 1024;
    nofile["soft"] = 1024;
    p["rlimits"] = OJson::array({nofile});
    p["noNewPrivileges"] = true;
    return p;
}

OJson mounts(bool rootless)
{
    OJson m = OJson::array();
    m.push_back(mount("/proc", "proc", "proc", {}));
    m.push_back(
        mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
    std::vector<std::string> pts = {"nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                    "mode=0620"};
    // gid=5 is the tty group of the host's view; an unprivileged user namespace maps only the
    // caller's own gid, so the option would make the mount fail.
    if (!rootless)
        pts.push_back("gid=5");
    m.push_back(mount("/dev/pts", "devpts", "devpts", pts));
    m.push_back(mount("/dev/shm", "tmpfs", "shm",
                      {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
    m.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
    // A fresh sysfs needs a network namespace owned by the container's user namespace; a
    // rootless container keeps the host's network, so it gets a recursive bind instead.
    if (rootless)
        m.push_back(mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}));
    else
        m.push_back(mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
    m.push_back(mount("/sys/fs/cgroup", "cgroup", "cgroup",
                      {"nosuid", "noexec", "nodev", "relatime", "ro"}));
    return m;
}

OJson linuxSection(const SpecTemplate &t)
{
    OJson l;
    if (t.rootless) {
        l["uidMappings"] = OJson::array({idMapping(t.uid)});
        l["gidMappings"] = OJson::array({idMapping(t.gid)});
    } else {
        // Deny every device; libcontainer re-allows the default devices of config-linux.md.
        l["resources"] =
            OJson{{"devices", OJson::array({OJson{{"allow", false}, {"access", "rwm"}}})}};
    }
    OJson ns = OJson::array();
    auto add = [&ns](const char *type) { ns.push_back(OJson{{"type", type}}); };
    add("pid");
    if (!t.rootless)
        add("network");
    add("ipc");
    add("uts");
    add("mount");
    if (t.cgroupNamespace)
        add("cgroup");
    if (t.rootless)
        add("user");
    l["namespaces"] = std::move(ns);
    l["maskedPaths"] = {"/proc/acpi",        "/proc/asound",        "/proc/kcore",
                        "/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
                        "/proc/timer_stats", "/proc/sched_debug",   "/sys/firmware",
                        "/proc/scsi"};
    l["readonlyPaths"] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
    return l;
}

OJson orderedSpec(const SpecTemplate &t)
{
    OJson s;
    s["ociVersion"] = kSpecVersion;
    s["process"] = process();
    s["root"] = OJson{{"path", "rootfs"}, {"readonly", true}};
    s["hostname"] = "husk";
    s["mounts"] = mounts(t.rootless);
    s["linux"] = linuxSection(t);
    return s;
}

SpecTemplate hostTemplate(bool rootless)
{
    SpecTemplate t;
    t.rootless = rootless;
    t.cgroupNamespace = cgroup2Unified();
    t.uid = static_cast<uint32_t>(::geteuid());
    t.gid = static_cast<uint32_t>(::getegid());
    return t;
}

} // namespace

nlohmann::json defaultSpec(const SpecTemplate &t)
{
    return nlohmann::json(orderedSpec(t));
}

nlohmann::json defaultSpec(bool rootless)
{
    return defaultSpec(hostTemplate(rootless));
}

std::string defaultSpecText(bool rootless)
{
    // runc writes json.MarshalIndent(spec, "", "\t"): tabs, struct field order, no newline.
    return orderedSpec(hostTemplate(rootless)).dump(1, '\t');
}

} // namespace husk::spec
