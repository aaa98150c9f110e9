#include "libcontainer/security/capabilities.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>

#include "common/file.h"
#include "common/log.h"

namespace husk {

namespace {

constexpr std::string_view kNames[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

constexpr int kCount = static_cast<int>(sizeof kNames / sizeof kNames[0]);

Result<uint64_t> maskOf(const std::vector<std::string> &names, const char *set, int lastCap)
{
    uint64_t mask = 0;
    for (const std::string &n : names) {
        auto cap = capabilityFromName(n);
        if (!cap)
            return fail(std::string("process.capabilities.") + set + ": unknown capability \"" + n +
                        "\"");
        if (*cap > lastCap) {
            log::warn("capability " + n + " is not supported by this kernel; ignored");
            continue;
        }
        mask |= uint64_t{1} << *cap;
    }
    return mask;
}

} // namespace

std::optional<int> capabilityFromName(std::string_view name)
{
    for (int i = 0; i < kCount; ++i)
        if (kNames[i] == name)
            return i;
    return std::nullopt;
}

std::string_view capabilityName(int cap)
{
    return cap >= 0 && cap < kCount ? kNames[cap] : std::string_view();
}

int lastKnownCapability()
{
    return kCount - 1;
}

int kernelLastCapability()
{
    static int cached = -1;
    if (cached >= 0)
        return cached;
    auto text = readFile("/proc/sys/kernel/cap_last_cap");
    cached = text ? std::atoi(text->c_str()) : lastKnownCapability();
    return cached;
}

Result<CapSets> capabilitySets(const spec::Capabilities &caps, int lastCap)
{
    CapSets s;
    s.bounding = HUSK_TRY(maskOf(caps.bounding, "bounding", lastCap));
    s.effective = HUSK_TRY(maskOf(caps.effective, "effective", lastCap));
    s.inheritable = HUSK_TRY(maskOf(caps.inheritable, "inheritable", lastCap));
    s.permitted = HUSK_TRY(maskOf(caps.permitted, "permitted", lastCap));
    s.ambient = HUSK_TRY(maskOf(caps.ambient, "ambient", lastCap));
    return s;
}

Result<void> dropBoundingSet(uint64_t bounding, int lastCap)
{
    for (int cap = 0; cap <= lastCap; ++cap) {
        if (bounding & (uint64_t{1} << cap))
            continue;
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            return failErrno("drop " + std::string(capabilityName(cap)) + " from bounding set");
    }
    return {};
}

Result<void> applyCapabilities(const CapSets &caps, int lastCap)
{
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    for (int i = 0; i < 2; ++i) {
        data[i].effective = static_cast<uint32_t>(caps.effective >> (32 * i));
        data[i].permitted = static_cast<uint32_t>(caps.permitted >> (32 * i));
        data[i].inheritable = static_cast<uint32_t>(caps.inheritable >> (32 * i));
    }
    if (::syscall(SYS_capset, &header, data) < 0)
        return failErrno("capset");
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return failErrno("clear ambient capabilities");
    // Raising an ambient capability needs it in permitted and inheritable; runc skips those
    // it cannot raise rather than failing, and so does husk, with one warning naming them all.
    std::string skipped;
    for (int cap = 0; cap <= lastCap; ++cap) {
        if (!(caps.ambient & (uint64_t{1} << cap)))
            continue;
        if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
            skipped += (skipped.empty() ? "" : ", ") + std::string(capabilityName(cap));
    }
    if (!skipped.empty())
        log::warn("ambient capabilities not raised (each needs to be permitted and "
                  "inheritable too): " +
                  skipped);
    return {};
}

} // namespace husk
