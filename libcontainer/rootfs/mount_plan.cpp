#include "libcontainer/rootfs/mount_plan.h"

#include <linux/mount.h>
#include <sys/mount.h>

#include <algorithm>
#include <string_view>

#include "common/name_table.h"

namespace husk::rootfs {

namespace {

struct FlagOption {
    std::string_view name;
    bool clear; // the option turns the flag off
    unsigned long flag;
};

// mount(8) names and their MS_* meaning.
constexpr FlagOption kFlagOptions[] = {
    {"async", true, MS_SYNCHRONOUS},
    {"atime", true, MS_NOATIME},
    {"bind", false, MS_BIND},
    {"defaults", false, 0},
    {"dev", true, MS_NODEV},
    {"diratime", true, MS_NODIRATIME},
    {"dirsync", false, MS_DIRSYNC},
    {"exec", true, MS_NOEXEC},
    {"iversion", false, MS_I_VERSION},
    {"lazytime", false, MS_LAZYTIME},
    {"loud", true, MS_SILENT},
    {"mand", false, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"nodev", false, MS_NODEV},
    {"nodiratime", false, MS_NODIRATIME},
    {"noexec", false, MS_NOEXEC},
    {"noiversion", true, MS_I_VERSION},
    {"nolazytime", true, MS_LAZYTIME},
    {"nomand", true, MS_MANDLOCK},
    {"norelatime", true, MS_RELATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"nosuid", false, MS_NOSUID},
    {"nosymfollow", false, MS_NOSYMFOLLOW},
    {"rbind", false, MS_BIND | MS_REC},
    {"relatime", false, MS_RELATIME},
    {"remount", false, MS_REMOUNT},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"silent", false, MS_SILENT},
    {"strictatime", false, MS_STRICTATIME},
    {"suid", true, MS_NOSUID},
    {"symfollow", true, MS_NOSYMFOLLOW},
    {"sync", false, MS_SYNCHRONOUS},
};

struct PropagationOption {
    std::string_view name;
    unsigned long flags;
};

constexpr PropagationOption kPropagationOptions[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

struct AttrOption {
    std::string_view name;
    bool clear;
    uint64_t attr;
};

// Recursive variants (mount_setattr with AT_RECURSIVE), runtime-spec 1.1 "r" options.
constexpr AttrOption kAttrOptions[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},
    {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},
    {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},
    {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},
    {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rrelatime", false, MOUNT_ATTR_RELATIME},
    {"rnorelatime", true, MOUNT_ATTR_RELATIME},
    {"rnoatime", false, MOUNT_ATTR_NOATIME},
    {"ratime", true, MOUNT_ATTR_NOATIME},
    {"rstrictatime", false, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", true, MOUNT_ATTR_STRICTATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
};

struct ExtensionOption {
    std::string_view name;
    void (*apply)(MountOptions &);
};

// The spec's options that are husk's to act on: never mount(2) flags, never filesystem data.
constexpr ExtensionOption kExtensionOptions[] = {
    {"tmpcopyup", [](MountOptions &o) { o.tmpcopyup = true; }},
    {"idmap", [](MountOptions &o) { o.idmap = true; }},
    {"ridmap", [](MountOptions &o) { o.idmap = o.recursiveIdmap = true; }},
};

} // namespace

bool MountOptions::isBind() const
{
    return (flags & MS_BIND) != 0;
}

bool MountOptions::needsBindRemount() const
{
    // bind(2) ignores every flag but MS_REC; these need a MS_REMOUNT|MS_BIND pass.
    constexpr unsigned long kRemountable = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC |
                                           MS_NOATIME | MS_NODIRATIME | MS_RELATIME |
                                           MS_STRICTATIME | MS_NOSYMFOLLOW;
    return isBind() && (flags & kRemountable) != 0;
}

Result<MountOptions> parseMountOptions(const std::vector<std::string> &options)
{
    MountOptions out;
    for (const std::string &opt : options) {
        if (const FlagOption *f = findByName(kFlagOptions, opt)) {
            if (f->clear) {
                out.flags &= ~f->flag;
                out.cleared |= f->flag;
            } else {
                out.flags |= f->flag;
                out.cleared &= ~f->flag;
            }
        } else if (const PropagationOption *p = findByName(kPropagationOptions, opt)) {
            out.propagation.push_back(p->flags);
        } else if (const AttrOption *a = findByName(kAttrOptions, opt)) {
            // The atime modes are one field, not bits: the last one given is the mode.
            if (opt.ends_with("atime") && !opt.ends_with("diratime")) {
                out.atimeGiven = true;
                out.attrSet &= ~static_cast<uint64_t>(MOUNT_ATTR__ATIME);
                out.attrClear &= ~static_cast<uint64_t>(MOUNT_ATTR__ATIME);
            }
            if (a->clear) {
                out.attrClear |= a->attr;
                out.attrSet &= ~a->attr;
            } else {
                out.attrSet |= a->attr;
                out.attrClear &= ~a->attr;
            }
        } else if (const ExtensionOption *e = findByName(kExtensionOptions, opt)) {
            e->apply(out);
        } else if (opt.empty()) {
            return fail("empty mount option");
        } else {
            if (!out.data.empty())
                out.data += ',';
            out.data += opt;
        }
    }
    return out;
}

std::vector<std::string_view> knownMountOptions()
{
    std::vector<std::string_view> names;
    for (const auto &table : {tableNames(kFlagOptions), tableNames(kPropagationOptions),
                              tableNames(kAttrOptions), tableNames(kExtensionOptions)})
        names.insert(names.end(), table.begin(), table.end());
    std::sort(names.begin(), names.end());
    return names;
}

Result<unsigned long> parseRootPropagation(const std::string &value)
{
    if (value.empty())
        return MS_SLAVE | MS_REC;
    if (const PropagationOption *p = findByName(kPropagationOptions, value))
        return p->flags;
    return fail("linux.rootfsPropagation: unknown propagation \"" + value + "\"");
}

std::string cleanPath(const std::string &path)
{
    std::vector<std::string_view> parts;
    std::string_view rest = path;
    while (!rest.empty()) {
        size_t slash = rest.find('/');
        std::string_view part = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
        if (part.empty() || part == ".")
            continue;
        if (part == "..") {
            if (!parts.empty())
                parts.pop_back();
            continue;
        }
        parts.push_back(part);
    }
    std::string out;
    for (std::string_view p : parts) {
        out += '/';
        out += p;
    }
    return out.empty() ? "/" : out;
}

Result<std::vector<PlannedMount>> planMounts(const spec::Config &config, const std::string &bundle)
{
    std::vector<PlannedMount> plan;
    plan.reserve(config.mounts.size());
    for (size_t i = 0; i < config.mounts.size(); ++i) {
        const spec::Mount &m = config.mounts[i];
        std::string field = "mounts[" + std::to_string(i) + "]";
        PlannedMount p;
        p.options = HUSK_TRY_CTX(parseMountOptions(m.options), field + ".options");
        if (m.destination.empty())
            return fail(field + ".destination: must not be empty");
        p.destination = cleanPath(m.destination);
        p.type = m.type;
        if (p.type == "bind") {
            // "type": "bind" alone means a bind mount even without the option, as runc.
            p.options.flags |= MS_BIND;
        }
        if (p.options.isBind() && p.type.empty())
            p.type = "bind";
        if (p.type.empty())
            return fail(field + ".type: required for a mount that is not a bind mount");
        p.source = m.source;
        if (p.options.isBind()) {
            if (p.source.empty())
                return fail(field + ".source: required for a bind mount");
            if (p.source[0] != '/')
                p.source = bundle + "/" + p.source;
        }
        if (p.options.tmpcopyup && p.type != "tmpfs")
            return fail(field + ".options: tmpcopyup is only valid for tmpfs");
        if (p.options.idmap || !m.uidMappings.empty() || !m.gidMappings.empty()) {
            if (!p.options.isBind())
                return fail(field + ": idmapped mounts are only supported for bind mounts");
            if (m.uidMappings.empty() != m.gidMappings.empty())
                return fail(field + ": uidMappings and gidMappings must be given together");
            p.options.idmap = true;
        }
        p.uidMappings = m.uidMappings;
        p.gidMappings = m.gidMappings;
        if (p.options.idmap && p.uidMappings.empty()) {
            // "idmap" alone: the container's own user namespace mapping (the spec's MAY);
            // without one there is nothing to map with, and the spec says it MUST fail.
            // A joined user namespace (linux.namespaces path) lends its own mapping: the
            // parent sets the idmap with that namespace (prepareBindSources).
            const spec::Linux *lx = config.linux ? &*config.linux : nullptr;
            bool joinsUserns =
                lx && std::any_of(lx->namespaces.begin(), lx->namespaces.end(),
                                  [](const spec::Namespace &n) {
                                      return n.type == spec::NamespaceType::User && !n.path.empty();
                                  });
            if (!joinsUserns &&
                (lx == nullptr || lx->uidMappings.empty() || lx->gidMappings.empty()))
                return fail(field + ".options: idmap needs uidMappings and gidMappings on the "
                                    "mount or a user namespace with linux.uidMappings");
            if (!joinsUserns) {
                p.uidMappings = lx->uidMappings;
                p.gidMappings = lx->gidMappings;
            }
        }
        plan.push_back(std::move(p));
    }
    return plan;
}

bool needsDevSetup(const std::vector<PlannedMount> &plan)
{
    for (const PlannedMount &m : plan)
        if (m.destination == "/dev" && m.options.isBind())
            return false;
    return true;
}

} // namespace husk::rootfs
