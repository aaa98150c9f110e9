#include "libcontainer/network/net_devices.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>
#include <net/if.h>

#include <cerrno>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "common/file.h"
#include "common/text.h"
#include "common/unique_fd.h"
#include "netlink/link.h"
#include "netlink/socket.h"
#include "spec/json_reader.h"

namespace husk {

namespace {

std::string deviceField(const std::string &hostName)
{
    return spec::detail::memberPath("linux.netDevices", hostName);
}

// Fails with EEXIST when name is a link of socket's namespace; where names which namespace.
Result<void> requireFree(netlink::Socket &socket, const std::string &name, std::string_view where)
{
    auto link = netlink::getLink(socket, name);
    if (link)
        return fail("a device named " + inQuotes(name) + " already exists in " + std::string(where),
                    EEXIST);
    if (link.error().code() != ENODEV)
        return std::unexpected(std::move(link).error());
    return {};
}

// Moves name (in socket's namespace) into targetFd's namespace as newName; no rename when the
// names agree, so nothing needs undoing if the rename would be a no-op.
Result<void> move(netlink::Socket &socket, const std::string &name, int targetFd,
                  const std::string &newName)
{
    return netlink::moveLinkToNetns(socket, name, targetFd, newName == name ? "" : newName);
}

} // namespace

Result<void> validateNetDeviceName(std::string_view name, std::string_view field)
{
    auto bad = [&](std::string_view why) {
        return fail(std::string(field) + ": invalid network device name " + inQuotes(name) + " (" +
                    std::string(why) + ")");
    };
    if (name.empty())
        return bad("empty");
    if (name.size() >= IFNAMSIZ)
        return bad("longer than " + std::to_string(IFNAMSIZ - 1) + " bytes");
    if (name == "." || name == "..")
        return bad("reserved");
    if (name.find_first_of("/: \t\n\r\v\f") != std::string_view::npos)
        return bad("contains '/', ':' or whitespace");
    return {};
}

Result<void> validateNetDevices(const std::map<std::string, spec::NetDevice> &devices)
{
    std::map<std::string, std::string> inside; // container name -> host name
    for (const auto &[host, device] : devices) {
        const std::string field = deviceField(host);
        HUSK_TRY(validateNetDeviceName(host, field));
        if (!device.name.empty())
            HUSK_TRY(validateNetDeviceName(device.name, field + ".name"));
        std::string name = containerDeviceName(host, device);
        auto [it, fresh] = inside.emplace(name, host);
        if (!fresh)
            return fail(field + ": " + inQuotes(host) + " and " + inQuotes(it->second) +
                        " would both be named " + inQuotes(name) + " in the container");
    }
    return {};
}

std::string containerDeviceName(const std::string &hostName, const spec::NetDevice &device)
{
    return device.name.empty() ? hostName : device.name;
}

Result<void> moveNetDevices(const std::map<std::string, spec::NetDevice> &devices,
                            int containerNetnsFd)
{
    if (devices.empty())
        return {};
    HUSK_TRY(validateNetDevices(devices));
    const std::string where = "the container's network namespace";
    netlink::Socket host = HUSK_TRY_CTX(netlink::Socket::open(), "linux.netDevices");
    netlink::Socket container =
        HUSK_TRY_CTX(netlink::Socket::openInNetns(containerNetnsFd), "linux.netDevices");
    // Check everything before moving anything. The kernel moves before it renames, so a name
    // already taken inside would leave the device moved under its host name.
    for (const auto &[name, device] : devices) {
        HUSK_TRY_CTX(netlink::getLink(host, name), deviceField(name));
        HUSK_TRY_CTX(requireFree(container, containerDeviceName(name, device), where),
                     deviceField(name));
    }
    // Undo needs the namespace the devices came from: this thread's.
    UniqueFd self = HUSK_TRY_CTX(openFd("/proc/thread-self/ns/net", O_RDONLY), "linux.netDevices");
    std::vector<std::pair<std::string, std::string>> moved; // host name, container name
    for (const auto &[name, device] : devices) {
        const std::string inside = containerDeviceName(name, device);
        if (auto r = move(host, name, containerNetnsFd, inside); !r) {
            for (const auto &[back, current] : moved)
                (void)move(container, current, self.get(), back); // best effort: report the cause
            return wrap(std::move(r).error(), deviceField(name));
        }
        moved.emplace_back(name, inside);
    }
    return {};
}

Result<void> returnNetDevices(const std::map<std::string, spec::NetDevice> &devices,
                              int containerNetnsFd, int hostNetnsFd)
{
    if (devices.empty())
        return {};
    netlink::Socket container =
        HUSK_TRY_CTX(netlink::Socket::openInNetns(containerNetnsFd), "linux.netDevices");
    netlink::Socket host =
        HUSK_TRY_CTX(netlink::Socket::openInNetns(hostNetnsFd), "linux.netDevices");
    std::optional<Error> first;
    for (const auto &[name, device] : devices) {
        auto r = [&]() -> Result<void> {
            HUSK_TRY(requireFree(host, name, "the host's network namespace"));
            return move(container, containerDeviceName(name, device), hostNetnsFd, name);
        }();
        if (!r && !first)
            first = std::move(r).error().context(deviceField(name) + ": move back");
    }
    if (first)
        return std::unexpected(std::move(*first));
    return {};
}

namespace {

// Unmounts and removes a namespace hold; quiet when it is already gone.
void releaseHold(const std::string &holdPath)
{
    ::umount2(holdPath.c_str(), MNT_DETACH);
    ::unlink(holdPath.c_str());
}

} // namespace

Result<void> attachNetDevices(const std::map<std::string, spec::NetDevice> &devices, pid_t pid,
                              const std::string &holdPath)
{
    if (devices.empty())
        return {};
    std::string nsPath = "/proc/" + std::to_string(pid) + "/ns/net";
    UniqueFd hold(::open(holdPath.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!hold)
        return failErrno("linux.netDevices: create " + holdPath);
    hold.reset();
    if (::mount(nsPath.c_str(), holdPath.c_str(), nullptr, MS_BIND, nullptr) < 0) {
        int e = errno;
        ::unlink(holdPath.c_str());
        errno = e;
        return failErrno("linux.netDevices: hold the network namespace");
    }
    UniqueFd ns(::open(holdPath.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) {
        int e = errno;
        releaseHold(holdPath);
        errno = e;
        return failErrno("linux.netDevices: open " + holdPath);
    }
    if (auto r = moveNetDevices(devices, ns.get()); !r) {
        releaseHold(holdPath);
        return r;
    }
    return {};
}

Result<void> detachNetDevices(const std::map<std::string, spec::NetDevice> &devices,
                              const std::string &holdPath)
{
    UniqueFd ns(::open(holdPath.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) {
        if (errno == ENOENT)
            return {};
        return failErrno("linux.netDevices: open " + holdPath);
    }
    Result<void> result;
    UniqueFd self(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!self)
        result = failErrno("linux.netDevices: open /proc/self/ns/net");
    else
        result = returnNetDevices(devices, ns.get(), self.get());
    ns.reset();
    releaseHold(holdPath);
    return result;
}

} // namespace husk
