// Integration tests: each known class of runtime escape is attempted from a bundle and from
// inside a container, and must fail.
//   CVE-2019-5736   the container executes (and could then rewrite) the host's runtime binary
//   CVE-2024-21626  a host fd or directory survives into the container, or the cwd lands outside
//   CVE-2025-31133  maskedPaths bound from a /dev/null that is not the null device
//   CVE-2021-30465  a mount destination reached through a symlink lands on the host

#ifndef BOOST_TEST_DYN_LINK // meson's boost dependency may define it already
#define BOOST_TEST_DYN_LINK
#endif
#define BOOST_TEST_MODULE escapes
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <fstream>

#include "tests/integration/harness.h"

using namespace husk::test;
using nlohmann::json;
namespace fs = std::filesystem;

BOOST_TEST_GLOBAL_FIXTURE(RunFixture);

namespace {

/// Whether the runtime's root directory holds no container directory for id.
bool leftNothing(const std::string &id)
{
    return !fs::exists(rootDir() / id);
}

} // namespace

BOOST_AUTO_TEST_SUITE(runtime_binary)

BOOST_FIXTURE_TEST_CASE(proc_self_exe_is_not_executed, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    // runc re-executes itself and copes differently; husk refuses the program outright.
    bundle.config()["process"]["args"] = {"/proc/self/exe", "state"};
    bundle.save();
    std::string id = newId();
    CommandResult r = create(id);
    BOOST_TEST(r.failed(), r.describe());
    BOOST_TEST(r.err.find("would execute the host's husk binary") != std::string::npos, r.err);
    BOOST_TEST(leftNothing(id));
}

BOOST_FIXTURE_TEST_CASE(script_naming_proc_self_exe_is_not_executed, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    // The attack's usual shape: the image's own binary is a "#!/proc/self/exe" script.
    fs::path script = bundle.rootfs() / "bin/evil";
    std::ofstream(script) << "#!/proc/self/exe\n";
    fs::permissions(script, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    bundle.config()["process"]["args"] = {"evil"};
    bundle.save();
    std::string id = newId();
    CommandResult r = create(id);
    BOOST_TEST(r.failed(), r.describe());
    BOOST_TEST(r.err.find("through \"/proc/self/exe\"") != std::string::npos, r.err);
    BOOST_TEST(leftNothing(id));
}

BOOST_FIXTURE_TEST_CASE(waiting_init_exe_is_unreachable, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    // (runc's init runs from a sealed memfd copy of runc, which may be read but not written.)
    // Until `start` the init is a copy of the runtime. A second container in its PID
    // namespace must not reach the runtime binary through /proc/1/exe.
    bundle.setProbeArgs({"info"});
    bundle.save();
    std::string first = newId();
    BOOST_REQUIRE(create(first).ok());
    std::optional<json> st = state(first);
    BOOST_REQUIRE(st.has_value());
    std::string pidNs = "/proc/" + std::to_string((*st)["pid"].get<int>()) + "/ns/pid";

    Bundle other;
    ContainerIo otherIo(other.path(), "other");
    other.setNamespace("pid", pidNs);
    other.setProbeArgs({"read", "/proc/1/exe"});
    other.save();
    std::string second = newId();
    CommandResult c = create(second, other, otherIo);
    BOOST_REQUIRE_MESSAGE(c.ok(), c.describe());
    BOOST_REQUIRE(start(second).ok());
    BOOST_REQUIRE(waitForStatus(second, "stopped"));
    json out = parseJson(otherIo.out());
    out.erase("content"); // the binary itself, if it was readable
    BOOST_TEST(out["ok"] == false, out.dump());
    BOOST_TEST((out["error"] == "EACCES" || out["error"] == "EPERM"), out.dump());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(host_fds)

BOOST_FIXTURE_TEST_CASE(cwd_through_proc_fd_never_leaves_the_root, Fixture)
{
    // CVE-2024-21626: a cwd of /proc/self/fd/N named one of the runtime's host directory fds.
    // Whatever the runtime holds at chdir time, the container's cwd must be inside its root.
    for (int n = 3; n <= 12; ++n) {
        bundle.config()["process"]["cwd"] = "/proc/self/fd/" + std::to_string(n);
        bundle.setProbeArgs({"info"});
        bundle.save();
        io.clear();
        CommandResult r = run(newId());
        if (!r.ok()) {
            BOOST_TEST(r.failed(), r.describe());
            continue;
        }
        json info = parseJson(io.out());
        std::string cwd = info["cwd"].get<std::string>();
        BOOST_TEST((!cwd.empty() && cwd[0] == '/'), "fd " << n << ": cwd " << cwd);
    }
}

BOOST_FIXTURE_TEST_CASE(no_host_fd_in_the_container, Fixture)
{
    // Every fd the container starts with is stdio, and none is a directory.
    json info = probeDetached({"info"});
    for (const json &fd : info["fds"]) {
        BOOST_TEST(fd["fd"].get<int>() <= 2, fd.dump());
        BOOST_TEST(fd["target"].get<std::string>().find(rootDir().string()) == std::string::npos,
                   fd.dump());
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(mounts)

BOOST_FIXTURE_TEST_CASE(masking_needs_the_real_dev_null, Fixture,
                        *boost::unit_test::precondition(notRunc))
{
    // CVE-2025-31133: a /dev/null that is not the null device (here a config device that
    // puts /dev/zero's numbers there) must not be what maskedPaths are bound from.
    bundle.config()["linux"]["devices"] = {
        {{"path", "/dev/null"}, {"type", "c"}, {"major", 1}, {"minor", 5}, {"fileMode", 0666}}};
    bundle.config()["linux"]["maskedPaths"] = {"/proc/kcore", "/proc/timer_list"};
    bundle.setProbeArgs({"read", "/proc/timer_list"});
    bundle.save();
    std::string id = newId();
    CommandResult r = create(id);
    BOOST_TEST(r.failed(), r.describe());
    BOOST_TEST(r.err.find("not the null device") != std::string::npos, r.err);
    BOOST_TEST(leftNothing(id));
}

BOOST_FIXTURE_TEST_CASE(no_pivot_leaves_no_host_proc_or_sysfs_to_a_nested_user_namespace, Fixture)
{
    // A process in a new user namespace may mount proc or sysfs only where a fully visible one
    // is in its mount namespace; the container's own are masked (their masks are locked in
    // the nested namespace), so that is refused. With --no-pivot the host's /proc and /sys
    // would still sit beneath the container's root, unmasked, and make the mount legal
    // (MS_MOVE + chroot does not count as chrooted, so the nested namespace is allowed),
    // unless husk detaches them first, as runc does.
    bundle.config()["linux"]["maskedPaths"] = {"/proc/kcore", "/sys/firmware"};
    for (bool noPivot : {false, true}) {
        for (const std::string fsType : {"proc", "sysfs"}) {
            bundle.setProbeArgs({"mount", fsType, "/tmp", "userns"});
            bundle.save();
            io.clear();
            std::vector<std::string> extra;
            if (noPivot)
                extra.push_back("--no-pivot");
            CommandResult r = run(newId(), extra);
            BOOST_REQUIRE_MESSAGE(r.ok(), r.describe());
            json out = parseJson(io.out());
            BOOST_TEST(out["ok"] == false, fsType << (noPivot ? " --no-pivot: " : ": ") << out);
            BOOST_TEST(out.value("step", "") == "mount", out.dump());
            BOOST_TEST(out.value("error", "") == "EPERM", out.dump());
        }
    }
}

BOOST_FIXTURE_TEST_CASE(relative_symlink_cannot_climb_out, Fixture)
{
    // CVE-2021-30465 class with a relative link: ../../../.. from inside the rootfs must stop
    // at the container's root.
    std::string unique = "husktest-climb-" + std::to_string(::getpid());
    fs::create_symlink("../../../../../../../../tmp", bundle.rootfs() / "mnt/up");
    fs::create_directories(bundle.rootfs() / "tmp");
    bundle.config()["mounts"].push_back({{"destination", "/mnt/up/" + unique},
                                         {"type", "tmpfs"},
                                         {"source", "tmpfs"},
                                         {"options", {"size=64k"}}});
    bundle.setProbeArgs({"stat", "/tmp/" + unique});
    bundle.save();
    CommandResult r = run(newId());
    BOOST_TEST(!fs::exists("/tmp/" + unique), "the mount escaped to the host's /tmp");
    std::error_code ec;
    fs::remove("/tmp/" + unique, ec);
    BOOST_REQUIRE_MESSAGE(r.ok(), r.describe());
    json st = parseJson(io.out());
    BOOST_TEST(st["exists"] == true, st.dump());
    BOOST_TEST(fs::exists(bundle.rootfs() / "tmp" / unique));
}

BOOST_AUTO_TEST_SUITE_END()
