#include "libcontainer/network/ipam.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "common/file.h"
#include "libcontainer/network/locked_dir.h"
#include "libcontainer/process/pidfd.h"
#include "spec/parse.h"

namespace husk::network {

using nlohmann::json;

namespace {

constexpr const char *kLeasesFile = "leases.json";

std::optional<IpAddress> leaseAddress(const Lease &l, IpFamily family)
{
    if (family == IpFamily::V4)
        return l.ipv4;
    return l.ipv6;
}

std::string describeLease(const Lease &l)
{
    std::string text = l.container + " (" + l.interface + " " + formatIpAddress(l.ipv4);
    if (l.ipv6) {
        text += ' ';
        text += formatIpAddress(*l.ipv6);
    }
    return text + ")";
}

// The owner's name becomes a path under the state root when liveness is checked.
Result<void> validateOwner(const std::string &id)
{
    if (id.empty() || id == "." || id == ".." || id.find('/') != std::string::npos)
        return fail("\"" + id + "\" is not a valid container id");
    return {};
}

// Hands out wanted if it may be, else the next free address after last (updating last).
Result<IpAddress> pickAddress(const LeaseTable &table, const AddressPool &pool,
                              const std::optional<IpAddress> &wanted,
                              std::optional<IpAddress> &last)
{
    IpFamily family = pool.subnet.network.family;
    std::set<IpAddress> taken{pool.gateway};
    for (const Lease &l : table.leases)
        if (auto a = leaseAddress(l, family))
            taken.insert(*a);
    if (wanted) {
        std::string text = formatIpAddress(*wanted);
        if (wanted->family != family)
            return fail(text + " is not an " + familyName(family) + " address");
        if (!pool.subnet.contains(*wanted))
            return fail(text + " is not inside the subnet " + formatSubnet(pool.subnet));
        if (const char *why = reservedAddressReason(pool, *wanted))
            return fail(text + " is " + why + ", never handed out");
        for (const Lease &l : table.leases)
            if (leaseAddress(l, family) == wanted)
                return fail(text + " is already leased to " + l.container + " (" + l.interface +
                            ")");
        return *wanted;
    }
    AddressRange r = allocatableRange(pool);
    std::string span = formatIpAddress(r.start) + "-" + formatIpAddress(r.end);
    if (r.end < r.start)
        return fail("no " + std::string(familyName(family)) + " address to hand out");
    Uint128 size = r.end.value - r.start.value + 1;
    IpAddress next = last && r.start <= *last && *last < r.end ? addressPlus(*last, 1) : r.start;
    // Among taken.size() + 1 distinct candidates at least one is free, unless the range is
    // smaller than that: so this loop ends quickly even in a /64.
    Uint128 tries = std::min<Uint128>(size, taken.size() + 1);
    for (Uint128 i = 0; i < tries; ++i) {
        if (!taken.contains(next)) {
            last = next;
            return next;
        }
        next = next == r.end ? r.start : addressPlus(next, 1);
    }
    return fail("no free " + std::string(familyName(family)) + " address left in " + span + " (" +
                std::to_string(table.leases.size()) + " leases)");
}

Result<std::optional<IpAddress>> optionalAddress(const json &j, const char *key,
                                                 const std::string &path)
{
    auto it = j.find(key);
    if (it == j.end())
        return std::nullopt;
    if (!it->is_string())
        return fail(path + "." + key + ": must be a string");
    return HUSK_TRY_CTX(parseIpAddress(it->get<std::string>()), path + "." + key);
}

// Only "no such entry" means gone; a directory husk cannot look at (EACCES, EIO) keeps its
// lease, since freeing a held address is the one mistake IPAM must not make.
bool existsAt(int dirFd, const std::string &path)
{
    struct stat st;
    if (::fstatat(dirFd, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
        return S_ISDIR(st.st_mode);
    return errno != ENOENT && errno != ENOTDIR;
}

bool leaseIsLive(int rootFd, const Lease &l)
{
    // A CNI attachment's lease ("cni:ID") lives while its marker does (husk-cni ADD makes it
    // before the lease, DEL removes it after).
    if (l.container.starts_with(kCniLeasePrefix))
        return existsAt(rootFd,
                        cniMarkerPath(l.container.substr(kCniLeasePrefix.size()), l.interface)) ||
               (l.holderPid > 0 && processMatches(l.holderPid, l.holderStartTime));
    if (existsAt(rootFd, l.container) || existsAt(rootFd, "pods/" + l.container))
        return true;
    return l.holderPid > 0 && processMatches(l.holderPid, l.holderStartTime);
}

} // namespace

json leaseToJson(const Lease &l, bool withHolder)
{
    json j{
        {"container", l.container}, {"interface", l.interface}, {"ipv4", formatIpAddress(l.ipv4)}};
    if (l.ipv6)
        j["ipv6"] = formatIpAddress(*l.ipv6);
    if (withHolder) {
        j["holderPid"] = l.holderPid;
        j["holderStartTime"] = l.holderStartTime;
    }
    return j;
}

json leaseTableToJson(const LeaseTable &t)
{
    json j{{"leases", json::array()}};
    for (const Lease &l : t.leases)
        j["leases"].push_back(leaseToJson(l));
    if (t.lastIpv4)
        j["lastIpv4"] = formatIpAddress(*t.lastIpv4);
    if (t.lastIpv6)
        j["lastIpv6"] = formatIpAddress(*t.lastIpv6);
    return j;
}

Result<LeaseTable> leaseTableFromJson(const json &j)
{
    if (!j.is_object() || !j.contains("leases") || !j["leases"].is_array())
        return fail("must be an object with a \"leases\" array");
    LeaseTable t;
    t.lastIpv4 = HUSK_TRY(optionalAddress(j, "lastIpv4", "table"));
    t.lastIpv6 = HUSK_TRY(optionalAddress(j, "lastIpv6", "table"));
    const json &leases = j["leases"];
    for (size_t i = 0; i < leases.size(); ++i) {
        std::string path = "leases[" + std::to_string(i) + "]";
        const json &e = leases[i];
        try {
            Lease l;
            l.container = e.at("container").get<std::string>();
            l.interface = e.at("interface").get<std::string>();
            auto v4 = HUSK_TRY(optionalAddress(e, "ipv4", path));
            if (!v4)
                return fail(path + ".ipv4: missing");
            l.ipv4 = *v4;
            l.ipv6 = HUSK_TRY(optionalAddress(e, "ipv6", path));
            l.holderPid = e.value("holderPid", pid_t(0));
            l.holderStartTime = e.value("holderStartTime", uint64_t(0));
            t.leases.push_back(std::move(l));
        } catch (const json::exception &ex) {
            return fail(path + ": " + ex.what());
        }
    }
    return t;
}

Result<Lease> assignLease(LeaseTable &table, const Network &n, const LeaseRequest &req)
{
    std::string ctx = "network " + n.name;
    HUSK_TRY_CTX(validateOwner(req.container), ctx);
    HUSK_TRY_CTX(validateInterfaceName("interface", req.interface), ctx);
    if (req.ipv6 && !n.ipv6)
        return fail(ctx + ": has no IPv6 subnet for " + formatIpAddress(*req.ipv6));
    auto held = std::find_if(table.leases.begin(), table.leases.end(), [&](const Lease &l) {
        return l.container == req.container && l.interface == req.interface;
    });
    if (held != table.leases.end()) {
        if ((req.ipv4 && *req.ipv4 != held->ipv4) || (req.ipv6 && req.ipv6 != held->ipv6))
            return fail(ctx + ": " + describeLease(*held) +
                        " already holds a lease; release it before asking for other addresses");
        return *held;
    }
    // The cursors move only once both families succeed.
    std::optional<IpAddress> last4 = table.lastIpv4;
    std::optional<IpAddress> last6 = table.lastIpv6;
    Lease l{req.container, req.interface};
    l.ipv4 = HUSK_TRY_CTX(pickAddress(table, n.ipv4, req.ipv4, last4), ctx);
    if (n.ipv6)
        l.ipv6 = HUSK_TRY_CTX(pickAddress(table, *n.ipv6, req.ipv6, last6), ctx);
    table.lastIpv4 = last4;
    table.lastIpv6 = last6;
    table.leases.push_back(l);
    return l;
}

size_t dropLeases(LeaseTable &table, const std::function<bool(const Lease &)> &isLive)
{
    return std::erase_if(table.leases, [&](const Lease &l) { return !isLive(l); });
}

struct Ipam::Locked {
    UniqueFd dir; // holds the flock
    LeaseTable table;
    size_t reclaimed = 0;
};

Ipam::Ipam(std::string root, std::string network)
    : root_(std::move(root)), network_(std::move(network)), dir_(root_ + "/networks/" + network_)
{}

Result<std::optional<Ipam::Locked>> Ipam::lock(bool create)
{
    auto dir = openLockedDir(dir_, LOCK_EX, create, 0700);
    if (!dir && !create && dir.error().code() == ENOENT)
        return std::nullopt;
    if (!dir)
        return wrap(dir.error(), "leases of network " + network_);
    Locked l{std::move(*dir)};
    std::string file = dir_ + "/" + kLeasesFile;
    auto text = readFileAt(l.dir.get(), kLeasesFile, spec::kMaxJsonBytes);
    if (!text && text.error().code() != ENOENT)
        return wrap(text.error(), file);
    if (text) {
        json j = HUSK_TRY_CTX(spec::parseJsonText(*text), file);
        l.table = HUSK_TRY_CTX(leaseTableFromJson(j), file);
    }
    UniqueFd root = HUSK_TRY(openFd(root_, O_RDONLY | O_DIRECTORY));
    l.reclaimed =
        dropLeases(l.table, [&](const Lease &lease) { return leaseIsLive(root.get(), lease); });
    return l;
}

Result<void> Ipam::save(const Locked &l)
{
    HUSK_TRY_CTX(writeFileAtomic(l.dir.get(), kLeasesFile, leaseTableToJson(l.table).dump(), 0600),
                 dir_);
    return {};
}

Result<void> Ipam::update(const std::function<bool(LeaseTable &)> &change)
{
    auto locked = HUSK_TRY(lock(false));
    if (!locked)
        return {};
    bool changed = change(locked->table);
    if (changed || locked->reclaimed > 0)
        HUSK_TRY(save(*locked));
    return {};
}

Result<Lease> Ipam::allocate(const Network &n, const LeaseRequest &req)
{
    if (n.name != network_)
        return fail("network " + n.name + " given to the IPAM of network " + network_);
    auto locked = HUSK_TRY(lock(true));
    LeaseTable &table = locked->table;
    Lease got = HUSK_TRY(assignLease(table, n, req));
    auto it = std::find_if(table.leases.begin(), table.leases.end(), [&](const Lease &l) {
        return l.container == got.container && l.interface == got.interface;
    });
    it->holderPid = ::getpid();
    it->holderStartTime = processStartTime(it->holderPid).value_or(0);
    HUSK_TRY(save(*locked));
    return *it;
}

Result<void> Ipam::release(const std::string &container, const std::string &interface)
{
    return update([&](LeaseTable &t) {
        return std::erase_if(t.leases, [&](const Lease &l) {
                   return l.container == container && l.interface == interface;
               }) > 0;
    });
}

Result<void> Ipam::releaseAll(const std::string &container)
{
    return update([&](LeaseTable &t) {
        return std::erase_if(t.leases, [&](const Lease &l) { return l.container == container; }) >
               0;
    });
}

Result<std::vector<Lease>> Ipam::leases()
{
    auto locked = HUSK_TRY(lock(false));
    if (!locked)
        return std::vector<Lease>{};
    if (locked->reclaimed > 0)
        HUSK_TRY(save(*locked));
    return locked->table.leases;
}

Result<void> Ipam::removeState()
{
    auto locked = HUSK_TRY(lock(false));
    if (!locked)
        return {};
    if (!locked->table.leases.empty()) {
        std::string holders;
        for (const Lease &l : locked->table.leases) {
            if (!holders.empty())
                holders += ", ";
            holders += describeLease(l);
        }
        return fail("network " + network_ + " still has leases: " + holders, EBUSY);
    }
    for (std::string name : {std::string(kLeasesFile), std::string(".") + kLeasesFile + ".tmp"})
        if (::unlinkat(locked->dir.get(), name.c_str(), 0) < 0 && errno != ENOENT)
            return failErrno("remove " + dir_ + "/" + name);
    // Removed while still locked: a waiter then finds the directory unlinked and starts anew.
    if (::rmdir(dir_.c_str()) < 0 && errno != ENOENT)
        return failErrno("remove " + dir_);
    return {};
}

} // namespace husk::network
