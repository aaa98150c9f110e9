#pragma once

// Pure translation of config.json mounts into what the syscalls need: mount(2) flags to set,
// propagation changes, recursive attributes for mount_setattr(2), filesystem data, and husk's
// mount extensions. No syscalls here, so all of it is unit-tested without root.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "spec/config.h"

namespace husk::rootfs {

/// The result of parsing one mount's options list.
struct MountOptions {
    unsigned long flags = 0;                // MS_* to set on mount / remount
    unsigned long cleared = 0;              // MS_* explicitly turned off (rw, suid, dev, exec...)
    std::vector<unsigned long> propagation; // MS_PRIVATE / MS_SHARED / ... (| MS_REC), in order
    uint64_t attrSet = 0;                   // MOUNT_ATTR_* set recursively (rro, rnosuid, ...)
    uint64_t attrClear = 0;                 // MOUNT_ATTR_* cleared recursively (rrw, rsuid, ...)
    bool atimeGiven = false; // a recursive atime option: attrSet's atime field replaces the mount's
    bool tmpcopyup = false;  // copy the image's files into a new tmpfs
    bool idmap = false;      // idmapped mount (option or mappings given)
    bool recursiveIdmap = false;
    std::string data; // filesystem-specific options, comma-joined

    /// Whether this is a bind mount (bind or rbind).
    bool isBind() const;
    /// Whether a remount is needed after a bind to apply flags bind(2) ignores (ro, nosuid...).
    bool needsBindRemount() const;
};

/// Parses a mount options list; an unknown option becomes filesystem data, as in runc.
[[nodiscard]] Result<MountOptions> parseMountOptions(const std::vector<std::string> &options);

/// Every option name parseMountOptions recognizes (the rest become filesystem data), sorted.
std::vector<std::string_view> knownMountOptions();

/// Parses a rootfsPropagation value ("", "private", "rslave", ...) into mount(2) flags;
/// "" gives the default (MS_SLAVE | MS_REC, as runc).
[[nodiscard]] Result<unsigned long> parseRootPropagation(const std::string &value);

/// Normalizes an absolute path inside the container: collapses "//", "." and "..", never
/// climbing above "/". A relative path is taken as relative to "/".
std::string cleanPath(const std::string &path);

/// One mount to perform, fully resolved.
struct PlannedMount {
    std::string source;      // host path for binds (relative ones made absolute to the bundle)
    std::string destination; // clean absolute path inside the container
    std::string type;        // "bind" for binds with no type
    MountOptions options;
    std::vector<spec::IdMapping> uidMappings;
    std::vector<spec::IdMapping> gidMappings;
    int sourceTree = -1; // set by prepareBindSources: the detached source (idmapped if asked)
};

/// Turns config.mounts into a plan; errors name the field ("mounts[2].options").
[[nodiscard]] Result<std::vector<PlannedMount>> planMounts(const spec::Config &config,
                                                           const std::string &bundle);

/// Whether husk must populate /dev itself: true unless the plan bind-mounts the host's /dev.
bool needsDevSetup(const std::vector<PlannedMount> &plan);

} // namespace husk::rootfs
