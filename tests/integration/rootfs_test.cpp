// Integration tests: the container's filesystem: mounts and their flags, bind mounts,
// masked and read-only paths, a read-only root, devices, and path resolution inside the rootfs.

#ifndef BOOST_TEST_DYN_LINK // meson's boost dependency may define it already
#define BOOST_TEST_DYN_LINK
#endif
#define BOOST_TEST_MODULE rootfs
#include <boost/test/unit_test.hpp>

#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <optional>

#include "tests/integration/harness.h"

using namespace husk::test;
using nlohmann::json;
namespace fs = std::filesystem;

BOOST_TEST_GLOBAL_FIXTURE(RunFixture);

namespace {

/// The probe's mount entry for a mount point (the last, i.e. topmost, one), if any.
std::optional<json> findMount(const json &mounts, const std::string &point)
{
    std::optional<json> found;
    for (const json &m : mounts)
        if (m["mountPoint"] == point)
            found = m;
    return found;
}

/// Whether a JSON array of strings holds the value.
bool has(const json &list, const std::string &value)
{
    return std::find(list.begin(), list.end(), value) != list.end();
}

/// Whether a probe read/write result failed with this errno name.
bool failedWith(const json &result, const std::string &errnoName)
{
    return result.value("ok", true) == false && result.value("error", "") == errnoName;
}

/// Adds a mount to the bundle's config.
void addMount(Bundle &b, const std::string &destination, const std::string &type,
              const std::string &source, const std::vector<std::string> &options)
{
    b.config()["mounts"].push_back(
        {{"destination", destination}, {"type", type}, {"source", source}, {"options", options}});
}

/// Writes a file on the host.
void writeHostFile(const fs::path &path, const std::string &text)
{
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

} // namespace

BOOST_AUTO_TEST_SUITE(mounts)

BOOST_FIXTURE_TEST_CASE(default_mounts, Fixture)
{
    json mounts = probe({"mounts"});
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"/", ""},
        {"/proc", "proc"},
        {"/dev", "tmpfs"},
        {"/dev/pts", "devpts"},
        {"/dev/shm", "tmpfs"},
        {"/dev/mqueue", "mqueue"},
        {"/sys", "sysfs"},
    };
    for (const auto &[point, type] : expected) {
        std::optional<json> m = findMount(mounts, point);
        BOOST_TEST(m.has_value(), point << " is not mounted: " << mounts.dump());
        if (m && !type.empty())
            BOOST_TEST((*m)["fsType"] == type, point);
    }
    std::optional<json> sys = findMount(mounts, "/sys");
    BOOST_REQUIRE(sys.has_value());
    BOOST_TEST(has((*sys)["options"], "ro"), sys->dump());
    std::optional<json> shm = findMount(mounts, "/dev/shm");
    BOOST_REQUIRE(shm.has_value());
    for (const char *flag : {"nosuid", "nodev", "noexec"})
        BOOST_TEST(has((*shm)["options"], flag), flag << " " << shm->dump());
}

BOOST_FIXTURE_TEST_CASE(tmpfs_with_flags_and_size, Fixture)
{
    addMount(bundle, "/mnt/scratch", "tmpfs", "tmpfs",
             {"nosuid", "nodev", "noexec", "size=1m", "mode=1770"});
    // First, while /mnt/scratch does not exist in the rootfs yet: runc chmods an existing
    // destination back to the directory's own mode after mounting, overriding mode=.
    json st = probe({"stat", "/mnt/scratch"});
    BOOST_TEST(st["type"] == "dir");
    BOOST_TEST(st["mode"] == 01770, st.dump());

    json mounts = probe({"mounts"});
    std::optional<json> m = findMount(mounts, "/mnt/scratch");
    BOOST_REQUIRE_MESSAGE(m.has_value(), mounts.dump());
    BOOST_TEST((*m)["fsType"] == "tmpfs");
    for (const char *flag : {"nosuid", "nodev", "noexec", "rw"})
        BOOST_TEST(has((*m)["options"], flag), flag << " " << m->dump());
    BOOST_TEST(has((*m)["superOptions"], "size=1024k"), m->dump());
    BOOST_TEST(has((*m)["superOptions"], "mode=1770"), m->dump());
}

BOOST_FIXTURE_TEST_CASE(tmpfs_keeps_the_mode_of_the_directory_it_covers, Fixture)
{
    // Without mode=, runc leaves the tmpfs with the covered directory's mode, not 1777.
    fs::create_directories(bundle.rootfs() / "mnt/private");
    fs::permissions(bundle.rootfs() / "mnt/private", fs::perms(0710));
    addMount(bundle, "/mnt/private", "tmpfs", "tmpfs", {"nosuid", "size=1m"});
    json st = probe({"stat", "/mnt/private"});
    BOOST_TEST(st["mode"] == 0710, st.dump());
    json mounts = probe({"mounts"});
    std::optional<json> m = findMount(mounts, "/mnt/private");
    BOOST_REQUIRE_MESSAGE(m.has_value(), mounts.dump());
    BOOST_TEST((*m)["fsType"] == "tmpfs");
}

// Not against runc: Debian 12's runc 1.1.5 leaves relatime for rnoatime.
BOOST_FIXTURE_TEST_CASE(recursive_atime_options_apply, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    // ratime, rnorelatime and rnostrictatime clear a mode (the whole atime field must go into
    // attr_clr, or the kernel says EINVAL) and leave relatime; rnoatime sets noatime.
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"rnoatime"}, "noatime"},
        {{"ratime"}, "relatime"},
        {{"rnorelatime"}, "relatime"},
        {{"rnostrictatime"}, "relatime"},
        {{"rstrictatime", "rrelatime"}, "relatime"},
    };
    const json base = bundle.config()["mounts"];
    for (const auto &[options, want] : cases) {
        BOOST_TEST_CONTEXT(options.front() << " -> " << want)
        {
            bundle.config()["mounts"] = base;
            addMount(bundle, "/mnt/atime", "tmpfs", "tmpfs", options);
            json mounts = probe({"mounts"});
            std::optional<json> m = findMount(mounts, "/mnt/atime");
            BOOST_REQUIRE_MESSAGE(m.has_value(), mounts.dump());
            BOOST_TEST(has((*m)["options"], want), m->dump());
        }
    }
}

BOOST_FIXTURE_TEST_CASE(read_only_bind_mount, Fixture)
{
    fs::path host = bundle.path() / "host-ro";
    writeHostFile(host / "file", "from the host\n");
    addMount(bundle, "/mnt/ro", "bind", host.string(), {"rbind", "ro"});
    json mounts = probe({"mounts"});
    std::optional<json> m = findMount(mounts, "/mnt/ro");
    BOOST_REQUIRE_MESSAGE(m.has_value(), mounts.dump());
    BOOST_TEST(has((*m)["options"], "ro"), m->dump());

    json read = probe({"read", "/mnt/ro/file"});
    BOOST_TEST(read["ok"] == true, read.dump());
    BOOST_TEST(read["content"] == "from the host\n");
    json write = probe({"write", "/mnt/ro/new"});
    BOOST_TEST(failedWith(write, "EROFS"), write.dump());
    BOOST_TEST(!fs::exists(host / "new"));
}

BOOST_FIXTURE_TEST_CASE(read_write_bind_mount, Fixture)
{
    fs::path host = bundle.path() / "host-rw";
    fs::create_directories(host);
    addMount(bundle, "/mnt/rw", "none", host.string(), {"bind"});
    json write = probe({"write", "/mnt/rw/from-container", "written inside\n"});
    BOOST_TEST(write["ok"] == true, write.dump());
    std::ifstream in(host / "from-container");
    std::string line;
    std::getline(in, line);
    BOOST_TEST(line == "written inside");
}

BOOST_FIXTURE_TEST_CASE(bind_mount_of_a_file, Fixture)
{
    fs::path host = bundle.path() / "host-file";
    writeHostFile(host, "single file\n");
    addMount(bundle, "/etc/husk-file", "bind", host.string(), {"bind", "ro"});
    json read = probe({"read", "/etc/husk-file"});
    BOOST_TEST(read["content"] == "single file\n", read.dump());
    json st = probe({"stat", "/etc/husk-file"});
    BOOST_TEST(st["type"] == "file");
}

BOOST_FIXTURE_TEST_CASE(mount_through_symlink_stays_in_rootfs, Fixture)
{
    // A destination reached through an absolute symlink in the rootfs must resolve inside the
    // rootfs (CVE-2021-30465 and friends), never on the host.
    std::string unique = "husktest-escape-" + std::to_string(::getpid());
    fs::create_symlink("/etc", bundle.rootfs() / "mnt/escape");
    addMount(bundle, "/mnt/escape/" + unique, "tmpfs", "tmpfs", {"size=64k"});
    json mounts = probe({"mounts"});
    BOOST_TEST(!fs::exists("/etc/" + unique), "the mount escaped to the host's /etc");
    std::error_code ec;
    fs::remove("/etc/" + unique, ec);
    BOOST_TEST(fs::exists(bundle.rootfs() / "etc" / unique));
    BOOST_TEST(findMount(mounts, "/etc/" + unique).has_value(), mounts.dump());
}

BOOST_FIXTURE_TEST_CASE(a_dangling_symlink_destination_is_made_inside_the_rootfs, Fixture)
{
    // /mnt/dangling -> /husktest-made/dir (absolute, missing) and /etc/husk-link ->
    // ../husktest-file (relative, missing): runc and crun follow both inside the rootfs and
    // create what they point at; a plain mkdir/open of the link fails with ELOOP.
    std::string unique = "husktest-made-" + std::to_string(::getpid());
    fs::create_symlink("/" + unique + "/dir", bundle.rootfs() / "mnt/dangling");
    fs::create_symlink("../" + unique + "-file", bundle.rootfs() / "etc/husk-link");
    addMount(bundle, "/mnt/dangling", "tmpfs", "tmpfs", {"size=64k"});
    fs::path host = bundle.path() / "host-file";
    writeHostFile(host, "through a dangling link\n");
    addMount(bundle, "/etc/husk-link", "bind", host.string(), {"bind"});
    json mounts = probe({"mounts"});
    BOOST_TEST(findMount(mounts, "/" + unique + "/dir").has_value(), mounts.dump());
    BOOST_TEST(findMount(mounts, "/" + unique + "-file").has_value(), mounts.dump());
    BOOST_TEST(fs::is_directory(bundle.rootfs() / unique / "dir"));
    BOOST_TEST(!fs::exists("/" + unique), "the target was made on the host");
    json read = probe({"read", "/etc/husk-link"});
    BOOST_TEST(read["content"] == "through a dangling link\n", read.dump());
}

BOOST_FIXTURE_TEST_CASE(a_symlink_loop_destination_is_an_error, Fixture)
{
    fs::create_symlink("/mnt/loop-b", bundle.rootfs() / "mnt/loop-a");
    fs::create_symlink("/mnt/loop-a", bundle.rootfs() / "mnt/loop-b");
    addMount(bundle, "/mnt/loop-a", "tmpfs", "tmpfs", {"size=64k"});
    CommandResult r = createMustFail();
    BOOST_TEST(r.err.find("symbolic links") != std::string::npos, r.err);
}

BOOST_FIXTURE_TEST_CASE(proc_on_a_symlink_is_refused, Fixture)
{
    // CVE-2019-19921: a /proc that is a symlink (to a volume another container can swap)
    // would put procfs wherever it points. runc refuses proc and sysfs on anything but a
    // directory.
    for (const std::string fsType : {"proc", "sysfs"}) {
        Bundle b;
        fs::path dir = b.rootfs() / (fsType == "proc" ? "proc" : "sys");
        fs::remove_all(dir);
        fs::create_directories(b.rootfs() / "husk-elsewhere");
        fs::create_symlink("/husk-elsewhere", dir);
        b.setProbeArgs({"exit", "0"});
        b.save();
        ContainerIo out(b.path(), "out");
        std::string id = newId();
        CommandResult r = create(id, b, out);
        BOOST_TEST(r.failed(), fsType << ": " << r.describe());
        BOOST_TEST(r.err.find("directory") != std::string::npos, r.describe());
        BOOST_TEST(!state(id).has_value());
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(propagation)

/// Makes dir a shared mount point of its own for the test (the host's / may be private, as it
/// is without systemd), undone on destruction.
class SharedMount
{
public:
    explicit SharedMount(const fs::path &dir) : dir_(dir)
    {
        BOOST_REQUIRE(::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) == 0);
        BOOST_REQUIRE(::mount(nullptr, dir.c_str(), nullptr, MS_SHARED, nullptr) == 0);
    }
    ~SharedMount() { ::umount2(dir_.c_str(), MNT_DETACH); }
    SharedMount(const SharedMount &) = delete;
    SharedMount &operator=(const SharedMount &) = delete;

private:
    fs::path dir_;
};

BOOST_FIXTURE_TEST_CASE(a_slave_root_receives_the_hosts_later_mounts, Fixture)
{
    // With rootfsPropagation rslave (the default) a mount the host makes inside the rootfs
    // after start shows up in the container: runc makes the rootfs's parent private only when
    // it is shared, which a slave never is. (A plain "slave" is the same path, but it leaves
    // the bundle's own shared mount here shared, so that one is made private, as in runc.)
    for (const std::string propagation : {"rslave", ""}) {
        Bundle b;
        fs::create_directories(b.rootfs() / "mnt/later");
        SharedMount shared(b.path());
        if (!propagation.empty())
            b.config()["linux"]["rootfsPropagation"] = propagation;
        b.setProbeArgs({"sleep", "30"});
        b.save();
        ContainerIo out(b.path(), "out");
        std::string id = newId();
        CommandResult c = create(id, b, out);
        BOOST_REQUIRE_MESSAGE(c.ok(), c.describe());
        BOOST_REQUIRE(start(id).ok());
        fs::path later = b.rootfs() / "mnt/later";
        BOOST_REQUIRE(::mount("tmpfs", later.c_str(), "tmpfs", 0, "size=16k") == 0);
        CommandResult e = runHusk({"exec", id, "/bin/husk-probe", "mounts"});
        ::umount2(later.c_str(), MNT_DETACH);
        BOOST_REQUIRE_MESSAGE(e.ok(), e.describe());
        json mounts = parseJson(e.out);
        BOOST_TEST(findMount(mounts, "/mnt/later").has_value(),
                   "rootfsPropagation \"" << propagation << "\": " << mounts.dump());
        std::optional<json> root = findMount(mounts, "/");
        BOOST_REQUIRE(root.has_value());
        bool master = false;
        for (const json &tag : (*root)["propagation"])
            master |= tag.get<std::string>().starts_with("master:");
        BOOST_TEST(master, "rootfsPropagation \"" << propagation << "\": " << root->dump());
        remove(id, true);
    }
}

BOOST_FIXTURE_TEST_CASE(a_private_root_does_not, Fixture)
{
    fs::create_directories(bundle.rootfs() / "mnt/later");
    SharedMount shared(bundle.path());
    bundle.config()["linux"]["rootfsPropagation"] = "private";
    bundle.setProbeArgs({"sleep", "30"});
    bundle.save();
    std::string id = newId();
    BOOST_REQUIRE(create(id).ok());
    BOOST_REQUIRE(start(id).ok());
    fs::path later = bundle.rootfs() / "mnt/later";
    BOOST_REQUIRE(::mount("tmpfs", later.c_str(), "tmpfs", 0, "size=16k") == 0);
    CommandResult e = runHusk({"exec", id, "/bin/husk-probe", "mounts"});
    ::umount2(later.c_str(), MNT_DETACH);
    BOOST_REQUIRE_MESSAGE(e.ok(), e.describe());
    json mounts = parseJson(e.out);
    BOOST_TEST(!findMount(mounts, "/mnt/later").has_value(), mounts.dump());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(masked_and_readonly)

BOOST_FIXTURE_TEST_CASE(masked_files_read_empty, Fixture)
{
    // /proc/kcore is in the default list but this kernel has none; keys and timer_list exist.
    writeHostFile(bundle.rootfs() / "etc/secret", "do not read\n");
    bundle.config()["linux"]["maskedPaths"].push_back("/etc/secret");
    for (const std::string path : {"/proc/keys", "/proc/timer_list", "/etc/secret"}) {
        BOOST_TEST_CONTEXT(path)
        {
            json read = probe({"read", path});
            BOOST_TEST(read["ok"] == true, read.dump());
            BOOST_TEST(read["bytes"] == 0, read.dump());
            json st = probe({"stat", path});
            BOOST_TEST(st["type"] == "char", st.dump());
            BOOST_TEST(st["rdevMajor"] == 1);
            BOOST_TEST(st["rdevMinor"] == 3);
        }
    }
}

// Not against runc: Debian 12's runc 1.1.5 mounts it twice.
BOOST_FIXTURE_TEST_CASE(a_path_masked_twice_is_mounted_once, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    writeHostFile(bundle.rootfs() / "etc/secret", "do not read\n");
    bundle.config()["linux"]["maskedPaths"].push_back("/etc/secret");
    bundle.config()["linux"]["maskedPaths"].push_back("/etc//secret");
    json mounts = probe({"mounts"});
    int n = 0;
    for (const json &m : mounts)
        n += m["mountPoint"] == "/etc/secret";
    BOOST_TEST(n == 1, mounts.dump());
}

BOOST_FIXTURE_TEST_CASE(masked_directory_is_empty, Fixture)
{
    writeHostFile(bundle.rootfs() / "secrets/key", "do not read\n");
    bundle.config()["linux"]["maskedPaths"].push_back("/secrets");
    json read = probe({"read", "/secrets/key"});
    BOOST_TEST(failedWith(read, "ENOENT"), read.dump());
    json write = probe({"write", "/secrets/new"});
    BOOST_TEST(write["ok"] == false, write.dump());
}

BOOST_FIXTURE_TEST_CASE(masked_path_missing_is_ignored, Fixture)
{
    bundle.config()["linux"]["maskedPaths"].push_back("/no/such/path");
    json info = probe({"info"});
    BOOST_TEST(info["pid"] == 1);
}

BOOST_FIXTURE_TEST_CASE(readonly_paths_are_erofs, Fixture)
{
    json sys = probe({"write", "/proc/sys/kernel/hostname", "changed"});
    BOOST_TEST(failedWith(sys, "EROFS"), sys.dump());

    bundle.config()["root"]["readonly"] = false;
    fs::create_directories(bundle.rootfs() / "data");
    bundle.config()["linux"]["readonlyPaths"].push_back("/data");
    json data = probe({"write", "/data/new"});
    BOOST_TEST(failedWith(data, "EROFS"), data.dump());
    json tmp = probe({"write", "/tmp/new"});
    BOOST_TEST(tmp["ok"] == true, tmp.dump());
}

BOOST_FIXTURE_TEST_CASE(readonly_root, Fixture)
{
    bundle.config()["root"]["readonly"] = true;
    json ro = probe({"write", "/newfile"});
    BOOST_TEST(failedWith(ro, "EROFS"), ro.dump());
    json mounts = probe({"mounts"});
    std::optional<json> root = findMount(mounts, "/");
    BOOST_REQUIRE(root.has_value());
    BOOST_TEST(has((*root)["options"], "ro"), root->dump());
    // Mounts on top of a read-only root stay writable.
    json shm = probe({"write", "/dev/shm/ok"});
    BOOST_TEST(shm["ok"] == true, shm.dump());

    bundle.config()["root"]["readonly"] = false;
    json rw = probe({"write", "/newfile"});
    BOOST_TEST(rw["ok"] == true, rw.dump());
    BOOST_TEST(fs::exists(bundle.rootfs() / "newfile"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(devices)

BOOST_FIXTURE_TEST_CASE(default_devices, Fixture)
{
    const std::vector<std::tuple<std::string, unsigned, unsigned>> nodes = {
        {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
        {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
    };
    for (const auto &[path, major, minor] : nodes) {
        BOOST_TEST_CONTEXT(path)
        {
            json st = probe({"stat", path});
            BOOST_TEST(st["type"] == "char", st.dump());
            BOOST_TEST(st["rdevMajor"] == major);
            BOOST_TEST(st["rdevMinor"] == minor);
            BOOST_TEST(st["mode"] == 0666, st.dump());
        }
    }
    const std::vector<std::pair<std::string, std::string>> links = {
        {"/dev/fd", "/proc/self/fd"},
        {"/dev/stdin", "/proc/self/fd/0"},
        {"/dev/stdout", "/proc/self/fd/1"},
        {"/dev/stderr", "/proc/self/fd/2"},
    };
    for (const auto &[path, target] : links) {
        json st = probe({"stat", path});
        BOOST_TEST(st["type"] == "symlink", path << " " << st.dump());
        BOOST_TEST(st.value("target", "") == target, path << " " << st.dump());
    }
    json ptmx = probe({"stat", "/dev/ptmx"});
    BOOST_TEST(ptmx["exists"] == true, ptmx.dump());
    if (ptmx["type"] == "symlink")
        BOOST_TEST(ptmx["target"] == "pts/ptmx");
    else
        BOOST_TEST((ptmx["rdevMajor"] == 5 && ptmx["rdevMinor"] == 2), ptmx.dump());
}

BOOST_FIXTURE_TEST_CASE(default_devices_work, Fixture)
{
    json null = probe({"write", "/dev/null"});
    BOOST_TEST(null["ok"] == true, null.dump());
    json full = probe({"write", "/dev/full"});
    BOOST_TEST(failedWith(full, "ENOSPC"), full.dump());
}

BOOST_FIXTURE_TEST_CASE(config_devices_created, Fixture)
{
    bundle.config()["linux"]["devices"] = {
        {{"path", "/dev/husk-char"},
         {"type", "c"},
         {"major", 1},
         {"minor", 3},
         {"fileMode", 0640},
         {"uid", 0},
         {"gid", 0}},
        {{"path", "/dev/husk-block"},
         {"type", "b"},
         {"major", 7},
         {"minor", 0},
         {"fileMode", 0600},
         {"uid", 1000},
         {"gid", 1000}},
        {{"path", "/dev/husk-fifo"}, {"type", "p"}, {"fileMode", 0620}},
    };
    json c = probe({"stat", "/dev/husk-char"});
    BOOST_TEST(c["type"] == "char", c.dump());
    BOOST_TEST(c["rdevMajor"] == 1);
    BOOST_TEST(c["rdevMinor"] == 3);
    BOOST_TEST(c["mode"] == 0640);
    json b = probe({"stat", "/dev/husk-block"});
    BOOST_TEST(b["type"] == "block", b.dump());
    BOOST_TEST(b["rdevMajor"] == 7);
    BOOST_TEST(b["rdevMinor"] == 0);
    BOOST_TEST(b["mode"] == 0600);
    BOOST_TEST(b["uid"] == 1000);
    BOOST_TEST(b["gid"] == 1000);
    json p = probe({"stat", "/dev/husk-fifo"});
    BOOST_TEST(p["type"] == "fifo", p.dump());
    BOOST_TEST(p["mode"] == 0620);
}

BOOST_FIXTURE_TEST_CASE(devices_bound_into_a_user_namespace_are_nosuid_noexec, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    // (runc 1.1 binds them without the two flags; crun sets them, and so does husk.)
    // No mknod in a user namespace: the host's node is bind-mounted, and that bind of a host
    // file carries nosuid and noexec, as crun makes it.
    bundle.setNamespace("user");
    bundle.config()["linux"]["uidMappings"] = {
        {{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    bundle.config()["linux"]["gidMappings"] = {
        {{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    bundle.config()["linux"]["devices"] = {
        {{"path", "/dev/full"}, {"type", "c"}, {"major", 1}, {"minor", 7}, {"fileMode", 0666}}};
    json mounts = probe({"mounts"});
    for (const std::string dev : {"/dev/null", "/dev/full", "/dev/urandom"}) {
        std::optional<json> m = findMount(mounts, dev);
        BOOST_REQUIRE_MESSAGE(m.has_value(), dev << ": " << mounts.dump());
        BOOST_TEST(has((*m)["options"], "nosuid"), dev << ": " << m->dump());
        BOOST_TEST(has((*m)["options"], "noexec"), dev << ": " << m->dump());
    }
}

BOOST_FIXTURE_TEST_CASE(devices_in_subdirectories_and_outside_dev, Fixture)
{
    // The spec asks only for a path in the container; runc and crun make it anywhere, with
    // the directories it needs.
    for (const std::string path : {"/dev/husk/sub/null", "/husk-devices/null"})
        bundle.config()["linux"]["devices"].push_back(
            {{"path", path}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"fileMode", 0666}});
    for (const std::string path : {"/dev/husk/sub/null", "/husk-devices/null"}) {
        json st = probe({"stat", path});
        BOOST_TEST(st["type"] == "char", path << ": " << st.dump());
        BOOST_TEST(st["rdevMinor"] == 3, path);
    }
}

BOOST_AUTO_TEST_SUITE_END()
