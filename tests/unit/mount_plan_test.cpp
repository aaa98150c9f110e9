// libcontainer/rootfs/mount_plan.h: mount options, root propagation, cleanPath, planMounts.

#define BOOST_TEST_MODULE mount_plan
#include "tests/unit/libcontainer_test_helpers.h"

#include <linux/mount.h>
#include <sys/mount.h>

#include <bit>
#include <map>
#include <string>
#include <vector>

#include "libcontainer/rootfs/mount_plan.h"
#include "spec/config.h"

using namespace husk;
using namespace husk::rootfs;
using namespace lc_test;

namespace {

MountOptions parse(const std::vector<std::string> &options)
{
    return require(parseMountOptions(options));
}

spec::Mount mount(std::string destination, std::string type, std::string source,
                  std::vector<std::string> options = {})
{
    spec::Mount m;
    m.destination = std::move(destination);
    m.type = std::move(type);
    m.source = std::move(source);
    m.options = std::move(options);
    return m;
}

spec::Config configWith(std::vector<spec::Mount> mounts)
{
    spec::Config c;
    c.mounts = std::move(mounts);
    return c;
}

} // namespace

BOOST_AUTO_TEST_SUITE(mount_options)

// The library's own vocabulary (what `features` advertises), checked for consistency rather
// than against a second copy of its table: every name parses to exactly one effect, every flag
// or attribute an option turns off is one another option turns on, and each recursive "rX"
// agrees with its plain "X" in direction.
BOOST_AUTO_TEST_CASE(every_known_option_has_one_consistent_effect)
{
    unsigned long setFlags = 0, clearedFlags = 0;
    uint64_t setAttrs = 0, clearedAttrs = 0;
    std::map<std::string, bool> clears; // option -> turns its flag or attribute off
    const std::vector<std::string_view> names = knownMountOptions();
    BOOST_TEST(names.size() > 50u);
    for (std::string_view name : names) {
        // MOUNT_ATTR_RELATIME is 0 (relatime is the kernel's default atime mode), so these two
        // carry no bit of their own: only atimeGiven, which makes mounts.cpp replace the whole
        // atime field (attrSet's part of it, here none: relatime).
        if (name == "rrelatime" || name == "rnorelatime") {
            MountOptions o = parse({std::string(name)});
            BOOST_TEST(o.atimeGiven, name);
            BOOST_TEST((o.attrSet | o.attrClear) == 0U, name);
            continue;
        }
        BOOST_TEST_CONTEXT("option " << name)
        {
            MountOptions o = parse({std::string(name)});
            int effects = (o.flags | o.cleared ? 1 : 0) + (o.propagation.empty() ? 0 : 1) +
                          (o.attrSet | o.attrClear ? 1 : 0) + (o.tmpcopyup || o.idmap ? 1 : 0);
            BOOST_TEST(effects == (name == "defaults" ? 0 : 1));
            BOOST_TEST(!(o.flags && o.cleared));
            BOOST_TEST(!(o.attrSet && o.attrClear));
            BOOST_TEST(o.data.empty());
            // One bit each; rbind alone is two (bind, recursively).
            if (name != "rbind") {
                BOOST_TEST(std::popcount(o.flags | o.cleared) <= 1);
                BOOST_TEST(std::popcount(o.attrSet | o.attrClear) <= 1);
            }
            setFlags |= o.flags;
            clearedFlags |= o.cleared;
            setAttrs |= o.attrSet;
            clearedAttrs |= o.attrClear;
            if (o.flags | o.cleared | o.attrSet | o.attrClear)
                clears[std::string(name)] = (o.cleared | o.attrClear) != 0;
        }
    }
    BOOST_TEST((clearedFlags & ~setFlags) == 0UL, "flags only ever turned off");
    BOOST_TEST((clearedAttrs & ~setAttrs) == 0U, "attributes only ever turned off");
    int recursive = 0;
    for (const auto &[name, off] : clears) {
        if (name.size() < 2 || name[0] != 'r' || !clears.contains(name.substr(1)) ||
            name == "rbind" || name == "relatime")
            continue;
        ++recursive;
        BOOST_TEST(off == clears.at(name.substr(1)), name << " and " << name.substr(1));
    }
    BOOST_TEST(recursive >= 16);
    // Anchors in mount(8)'s words, so a consistent but wrong table still fails.
    BOOST_TEST(parse({"ro"}).flags == static_cast<unsigned long>(MS_RDONLY));
    BOOST_TEST(parse({"rw"}).cleared == static_cast<unsigned long>(MS_RDONLY));
    BOOST_TEST(parse({"nosuid"}).flags == static_cast<unsigned long>(MS_NOSUID));
    BOOST_TEST(parse({"exec"}).cleared == static_cast<unsigned long>(MS_NOEXEC));
    BOOST_TEST(parse({"noatime"}).flags == static_cast<unsigned long>(MS_NOATIME));
    BOOST_TEST(parse({"async"}).cleared == static_cast<unsigned long>(MS_SYNCHRONOUS));
    BOOST_TEST(parse({"rbind"}).flags == static_cast<unsigned long>(MS_BIND | MS_REC));
    BOOST_TEST(parse({"rro"}).attrSet == static_cast<uint64_t>(MOUNT_ATTR_RDONLY));
    BOOST_TEST(parse({"rexec"}).attrClear == static_cast<uint64_t>(MOUNT_ATTR_NOEXEC));
    BOOST_TEST(parse({"rnosymfollow"}).attrSet == static_cast<uint64_t>(MOUNT_ATTR_NOSYMFOLLOW));
}

BOOST_AUTO_TEST_CASE(defaults_is_a_no_op)
{
    MountOptions o = parse({"defaults"});
    BOOST_TEST(o.flags == 0UL);
    BOOST_TEST(o.cleared == 0UL);
    BOOST_TEST(o.data.empty());
}

BOOST_AUTO_TEST_CASE(later_option_wins_over_earlier)
{
    MountOptions o = parse({"ro", "nosuid", "nodev", "noexec", "rw", "suid", "dev", "exec"});
    BOOST_TEST(o.flags == 0UL);
    BOOST_TEST(o.cleared == (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));

    o = parse({"rw", "suid", "dev", "exec", "ro", "nosuid", "nodev", "noexec"});
    BOOST_TEST(o.flags == (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
    BOOST_TEST(o.cleared == 0UL);

    o = parse({"rbind", "ro", "noatime", "atime", "relatime"});
    BOOST_TEST(o.flags == (MS_BIND | MS_REC | MS_RDONLY | MS_RELATIME));
    BOOST_TEST(o.cleared == MS_NOATIME);
}

BOOST_AUTO_TEST_CASE(propagation_options_kept_in_order)
{
    MountOptions o = parse({"rprivate", "shared", "rshared", "slave", "rslave", "private",
                            "unbindable", "runbindable"});
    std::vector<unsigned long> expected = {
        MS_PRIVATE | MS_REC, MS_SHARED,  MS_SHARED | MS_REC, MS_SLAVE,
        MS_SLAVE | MS_REC,   MS_PRIVATE, MS_UNBINDABLE,      MS_UNBINDABLE | MS_REC};
    BOOST_TEST(o.propagation == expected, boost::test_tools::per_element());
    BOOST_TEST(o.flags == 0UL);
    BOOST_TEST(o.data.empty());
}

BOOST_AUTO_TEST_CASE(recursive_attributes_later_wins)
{
    MountOptions o = parse({"rro", "rnosuid", "rrw", "ratime", "rnoatime"});
    BOOST_TEST(o.attrSet == (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOATIME));
    BOOST_TEST(o.attrClear == MOUNT_ATTR_RDONLY);

    o = parse({"rrw", "rro"});
    BOOST_TEST(o.attrSet == MOUNT_ATTR_RDONLY);
    BOOST_TEST(o.attrClear == 0U);
}

BOOST_AUTO_TEST_CASE(recursive_atime_is_one_mode_the_last_given)
{
    // Two atime modes in attr_set would be EINVAL; the last one is the mode.
    MountOptions o = parse({"rnoatime", "rstrictatime"});
    BOOST_TEST(o.atimeGiven);
    BOOST_TEST(o.attrSet == static_cast<uint64_t>(MOUNT_ATTR_STRICTATIME));
    BOOST_TEST(o.attrClear == 0U);
    o = parse({"rstrictatime", "ratime"});
    BOOST_TEST(o.atimeGiven);
    BOOST_TEST((o.attrSet & MOUNT_ATTR__ATIME) == 0U);
    // rdiratime is a bit of its own, not an atime mode.
    BOOST_TEST(!parse({"rnodiratime"}).atimeGiven);
}

BOOST_AUTO_TEST_CASE(husk_extensions)
{
    MountOptions o = parse({"tmpcopyup"});
    BOOST_TEST(o.tmpcopyup);
    BOOST_TEST(!o.idmap);
    BOOST_TEST(!o.recursiveIdmap);

    o = parse({"idmap"});
    BOOST_TEST(o.idmap);
    BOOST_TEST(!o.recursiveIdmap);
    BOOST_TEST(!o.tmpcopyup);

    o = parse({"ridmap"});
    BOOST_TEST(o.idmap);
    BOOST_TEST(o.recursiveIdmap);
    BOOST_TEST(o.data.empty());
}

BOOST_AUTO_TEST_CASE(unknown_options_become_data)
{
    MountOptions o = parse({"nosuid", "size=65536k", "strictatime", "mode=755"});
    BOOST_TEST(o.data == "size=65536k,mode=755");
    BOOST_TEST(o.flags == (MS_NOSUID | MS_STRICTATIME));

    o = parse({"newinstance", "ptmxmode=0666", "mode=0620", "gid=5"});
    BOOST_TEST(o.data == "newinstance,ptmxmode=0666,mode=0620,gid=5");
    BOOST_TEST(o.flags == 0UL);
}

BOOST_AUTO_TEST_CASE(empty_option_is_an_error)
{
    BOOST_TEST(errorText(parseMountOptions({"ro", ""})) == "empty mount option");
}

BOOST_AUTO_TEST_CASE(no_options)
{
    MountOptions o = parse({});
    BOOST_TEST(o.flags == 0UL);
    BOOST_TEST(!o.isBind());
    BOOST_TEST(!o.needsBindRemount());
}

BOOST_AUTO_TEST_CASE(bind_and_remount)
{
    BOOST_TEST(parse({"bind"}).isBind());
    BOOST_TEST(parse({"rbind"}).isBind());
    BOOST_TEST(!parse({"ro", "nosuid"}).isBind());

    BOOST_TEST(!parse({"bind"}).needsBindRemount());
    BOOST_TEST(!parse({"rbind", "rw", "suid"}).needsBindRemount());
    BOOST_TEST(!parse({"rbind", "rprivate", "size=1"}).needsBindRemount());
    BOOST_TEST(!parse({"ro", "nosuid"}).needsBindRemount()); // not a bind
    for (const char *flag : {"ro", "nosuid", "nodev", "noexec", "noatime", "nodiratime", "relatime",
                             "strictatime", "nosymfollow"})
        BOOST_TEST(parse({"rbind", flag}).needsBindRemount(), flag);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(root_propagation)

BOOST_AUTO_TEST_CASE(default_is_rslave)
{
    BOOST_TEST(require(parseRootPropagation("")) == (MS_SLAVE | MS_REC));
}

BOOST_AUTO_TEST_CASE(every_value)
{
    BOOST_TEST(require(parseRootPropagation("private")) == MS_PRIVATE);
    BOOST_TEST(require(parseRootPropagation("rprivate")) == (MS_PRIVATE | MS_REC));
    BOOST_TEST(require(parseRootPropagation("shared")) == MS_SHARED);
    BOOST_TEST(require(parseRootPropagation("rshared")) == (MS_SHARED | MS_REC));
    BOOST_TEST(require(parseRootPropagation("slave")) == MS_SLAVE);
    BOOST_TEST(require(parseRootPropagation("rslave")) == (MS_SLAVE | MS_REC));
    BOOST_TEST(require(parseRootPropagation("unbindable")) == MS_UNBINDABLE);
    BOOST_TEST(require(parseRootPropagation("runbindable")) == (MS_UNBINDABLE | MS_REC));
}

BOOST_AUTO_TEST_CASE(unknown_value)
{
    BOOST_TEST(errorText(parseRootPropagation("rbind")) ==
               "linux.rootfsPropagation: unknown propagation \"rbind\"");
    BOOST_TEST(errorText(parseRootPropagation("Private")) ==
               "linux.rootfsPropagation: unknown propagation \"Private\"");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(clean_path)

BOOST_AUTO_TEST_CASE(normalizes)
{
    BOOST_TEST(cleanPath("//a/./b/../c") == "/a/c");
    BOOST_TEST(cleanPath("../../x") == "/x");
    BOOST_TEST(cleanPath("") == "/");
    BOOST_TEST(cleanPath("/") == "/");
    BOOST_TEST(cleanPath("/..") == "/");
    BOOST_TEST(cleanPath("/a/b/..") == "/a");
    BOOST_TEST(cleanPath("/a/b/../..") == "/");
    BOOST_TEST(cleanPath("/dev//shm/") == "/dev/shm");
    BOOST_TEST(cleanPath("a/b/") == "/a/b");
    BOOST_TEST(cleanPath("./.") == "/");
    BOOST_TEST(cleanPath("/a/..b/.c") == "/a/..b/.c");
    BOOST_TEST(cleanPath("/proc/sys/../../etc/passwd") == "/etc/passwd");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(plan_mounts)

BOOST_AUTO_TEST_CASE(resolves_every_mount)
{
    spec::Config c = configWith({
        mount("/proc", "proc", "proc"),
        mount("/data", "", "data", {"rbind", "ro"}),
        mount("/mnt//x/", "bind", "/host/x"),
        mount("/dev/shm", "tmpfs", "shm", {"nosuid", "size=65536k"}),
    });
    auto plan = require(planMounts(c, "/bundles/b1"));
    BOOST_REQUIRE(plan.size() == 4U);

    BOOST_TEST(plan[0].destination == "/proc");
    BOOST_TEST(plan[0].type == "proc");
    BOOST_TEST(plan[0].source == "proc"); // not a bind: the source is not a path
    BOOST_TEST(!plan[0].options.isBind());

    BOOST_TEST(plan[1].destination == "/data");
    BOOST_TEST(plan[1].type == "bind"); // a bind with no type
    BOOST_TEST(plan[1].source == "/bundles/b1/data");
    BOOST_TEST(plan[1].options.flags == (MS_BIND | MS_REC | MS_RDONLY));
    BOOST_TEST(plan[1].options.needsBindRemount());

    BOOST_TEST(plan[2].destination == "/mnt/x");
    BOOST_TEST(plan[2].type == "bind");
    BOOST_TEST(plan[2].source == "/host/x");      // absolute sources are kept
    BOOST_TEST(plan[2].options.flags == MS_BIND); // type "bind" implies MS_BIND

    BOOST_TEST(plan[3].type == "tmpfs");
    BOOST_TEST(plan[3].source == "shm");
    BOOST_TEST(plan[3].options.data == "size=65536k");
    BOOST_TEST(plan[3].options.flags == MS_NOSUID);
}

BOOST_AUTO_TEST_CASE(parsed_config_relative_bind_source)
{
    spec::Config c = configFromText(R"({
        "ociVersion": "1.2.0", "root": {"path": "rootfs"},
        "mounts": [{"destination": "/etc/hosts", "type": "bind", "source": "files/hosts",
                    "options": ["rbind", "rprivate"]}]
    })");
    auto plan = require(planMounts(c, "/run/b"));
    BOOST_REQUIRE(plan.size() == 1U);
    BOOST_TEST(plan[0].source == "/run/b/files/hosts");
    BOOST_TEST(plan[0].options.propagation.size() == 1U);
    BOOST_TEST(plan[0].options.propagation.front() == (MS_PRIVATE | MS_REC));
}

BOOST_AUTO_TEST_CASE(missing_type)
{
    spec::Config c = configWith({mount("/proc", "proc", "proc"), mount("/x", "", "x")});
    BOOST_TEST(errorText(planMounts(c, "/b")) ==
               "mounts[1].type: required for a mount that is not a bind mount");
}

BOOST_AUTO_TEST_CASE(bind_without_source)
{
    spec::Config c = configWith({mount("/x", "", "", {"bind"})});
    BOOST_TEST(errorText(planMounts(c, "/b")) == "mounts[0].source: required for a bind mount");
}

BOOST_AUTO_TEST_CASE(empty_destination)
{
    spec::Config c = configWith({mount("", "tmpfs", "tmpfs")});
    BOOST_TEST(errorText(planMounts(c, "/b")) == "mounts[0].destination: must not be empty");
}

BOOST_AUTO_TEST_CASE(bad_option_names_the_field)
{
    spec::Config c =
        configWith({mount("/a", "tmpfs", "tmpfs"), mount("/b", "tmpfs", "tmpfs", {"ro", ""})});
    BOOST_TEST(errorText(planMounts(c, "/b")) == "mounts[1].options: empty mount option");
}

BOOST_AUTO_TEST_CASE(tmpcopyup_only_on_tmpfs)
{
    spec::Config ok = configWith({mount("/run", "tmpfs", "tmpfs", {"tmpcopyup"})});
    auto plan = require(planMounts(ok, "/b"));
    BOOST_TEST(plan.at(0).options.tmpcopyup);

    spec::Config bad = configWith({mount("/run", "", "/host/run", {"rbind", "tmpcopyup"})});
    BOOST_TEST(errorText(planMounts(bad, "/b")) ==
               "mounts[0].options: tmpcopyup is only valid for tmpfs");
}

BOOST_AUTO_TEST_CASE(idmap_only_on_bind)
{
    spec::Config c = configWith({mount("/t", "tmpfs", "tmpfs", {"idmap"})});
    BOOST_TEST(errorText(planMounts(c, "/b")) ==
               "mounts[0]: idmapped mounts are only supported for bind mounts");

    // Mappings without the option count as well.
    spec::Mount m = mount("/t", "tmpfs", "tmpfs");
    m.uidMappings = {{0, 100000, 65536}};
    m.gidMappings = {{0, 100000, 65536}};
    BOOST_TEST(errorText(planMounts(configWith({m}), "/b")) ==
               "mounts[0]: idmapped mounts are only supported for bind mounts");
}

BOOST_AUTO_TEST_CASE(idmap_mappings_go_together)
{
    spec::Mount m = mount("/data", "bind", "/srv/data", {"ridmap"});
    m.uidMappings = {{0, 100000, 65536}};
    BOOST_TEST(errorText(planMounts(configWith({m}), "/b")) ==
               "mounts[0]: uidMappings and gidMappings must be given together");

    m.gidMappings = {{0, 200000, 1000}};
    auto plan = require(planMounts(configWith({m}), "/b"));
    BOOST_REQUIRE(plan.size() == 1U);
    BOOST_TEST(plan[0].options.idmap);
    BOOST_TEST(plan[0].options.recursiveIdmap);
    BOOST_REQUIRE(plan[0].uidMappings.size() == 1U);
    BOOST_TEST(plan[0].uidMappings[0].hostId == 100000U);
    BOOST_TEST(plan[0].uidMappings[0].size == 65536U);
    BOOST_REQUIRE(plan[0].gidMappings.size() == 1U);
    BOOST_TEST(plan[0].gidMappings[0].hostId == 200000U);
    BOOST_TEST(plan[0].gidMappings[0].size == 1000U);
}

BOOST_AUTO_TEST_CASE(idmap_option_uses_the_container_mapping)
{
    // "idmap" without mappings of its own takes the container's user namespace mapping.
    spec::Config c = configWith({mount("/data", "bind", "/srv/data", {"idmap"})});
    BOOST_TEST(errorText(planMounts(c, "/b")) ==
               "mounts[0].options: idmap needs uidMappings and gidMappings on the mount or a "
               "user namespace with linux.uidMappings");

    c.linux.emplace();
    c.linux->uidMappings = {{0, 300000, 65536}};
    c.linux->gidMappings = {{0, 400000, 65536}};
    auto plan = require(planMounts(c, "/b"));
    BOOST_REQUIRE(plan.size() == 1U);
    BOOST_TEST(plan[0].options.idmap);
    BOOST_TEST(!plan[0].options.recursiveIdmap);
    BOOST_REQUIRE(plan[0].uidMappings.size() == 1U);
    BOOST_TEST(plan[0].uidMappings[0].hostId == 300000U);
    BOOST_REQUIRE(plan[0].gidMappings.size() == 1U);
    BOOST_TEST(plan[0].gidMappings[0].hostId == 400000U);

    // Mappings alone (no option) make an idmapped mount too.
    spec::Mount m = mount("/data", "bind", "/srv/data");
    m.uidMappings = {{0, 1000, 1}};
    m.gidMappings = {{0, 1000, 1}};
    plan = require(planMounts(configWith({m}), "/b"));
    BOOST_TEST(plan.at(0).options.idmap);
}

BOOST_AUTO_TEST_CASE(empty_config)
{
    BOOST_TEST(require(planMounts(spec::Config{}, "/b")).empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(dev_setup)

BOOST_AUTO_TEST_CASE(only_a_bind_of_dev_skips_it)
{
    BOOST_TEST(needsDevSetup({}));

    auto tmpfsDev = require(planMounts(configWith({mount("/dev", "tmpfs", "tmpfs")}), "/b"));
    BOOST_TEST(needsDevSetup(tmpfsDev));

    auto pts = require(planMounts(configWith({mount("/dev/pts", "", "/dev/pts", {"bind"})}), "/b"));
    BOOST_TEST(needsDevSetup(pts));

    auto hostDev = require(planMounts(
        configWith({mount("/proc", "proc", "proc"), mount("/dev/", "", "/dev", {"rbind"})}), "/b"));
    BOOST_TEST(!needsDevSetup(hostDev));

    auto viaType = require(planMounts(configWith({mount("//dev", "bind", "/dev")}), "/b"));
    BOOST_TEST(!needsDevSetup(viaType));
}

BOOST_AUTO_TEST_SUITE_END()
