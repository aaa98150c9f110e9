#pragma once

// The integration test harness: runs the runtime under test ($HUSK_RUNTIME, husk or runc) as a
// child process, builds busybox-static bundles with the probe in them, and cleans up every
// container, bundle and network namespace it made, whether the test passed or not.

#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/unique_fd.h"
#include "tests/integration/command.h"

namespace husk::test {

using namespace std::chrono_literals;

/// The runtime under test: $HUSK_RUNTIME, else "husk" next to the build's runtime directory.
const std::string &runtimePath();
/// Whether the runtime under test is runc (the oracle), by its name or `--version`.
bool isRunc();
/// The static probe to copy into bundles: $HUSK_PROBE.
const std::string &probePath();
/// The per-run runtime state directory, /run/husk-test-<pid>, passed as --root.
const std::filesystem::path &rootDir();
/// A fresh container id, husktest-<pid>-<n>.
std::string newContainerId();

/// Runs the runtime with `--root rootDir()` followed by args.
CommandResult runHusk(const std::vector<std::string> &args, const CommandOptions &options = {});

/// Parses the first JSON value in text (the probe prints one object per line; a pty adds \r).
nlohmann::json parseJson(std::string_view text);
/// Parses every non-empty line of text as JSON; lines that don't parse are skipped.
std::vector<nlohmann::json> parseJsonLines(std::string_view text);
/// The text of a file (a cgroup knob, a /proc file) without its trailing newlines and spaces;
/// "" when it can't be read.
std::string readTrimmed(const std::filesystem::path &file);

/// The cgroup v1 hierarchy that holds controller (its own mount, /sys/fs/cgroup/cpu, or a
/// shared one, /sys/fs/cgroup/cpu,cpuacct), from mountinfo; empty when there is none.
std::filesystem::path v1Hierarchy(const std::string &controller);

/// Whether we run in a private network namespace (unshare --net): only `lo` is there.
bool inPrivateNetns();
/// The "net:[inode]"-style link text of /proc/self/ns/<name>.
std::string hostNamespace(const std::string &name);
/// The "type:[inode]" text for a namespace file (a /proc/PID/ns link or an nsfs bind mount).
std::string namespaceId(const std::string &type, const std::filesystem::path &file);

/// Boost precondition: the test asserts a husk-only behaviour, so it is skipped under runc.
boost::test_tools::assertion_result notRunc(boost::unit_test::test_unit_id);

/// A bundle in /tmp/husk-bundle-<pid>-XXXXXX: a copy of the busybox-static rootfs with the probe,
/// and the config.json that `<runtime> spec` generated, with process.terminal set to false.
class Bundle
{
public:
    /// Makes the bundle (copies the cached pristine rootfs, runs `spec`).
    Bundle();
    /// Removes the bundle directory (unmounting anything leaked into it first).
    ~Bundle();
    Bundle(const Bundle &) = delete;
    Bundle &operator=(const Bundle &) = delete;

    /// The bundle directory.
    const std::filesystem::path &path() const { return path_; }
    /// The rootfs directory inside the bundle.
    std::filesystem::path rootfs() const { return path_ / "rootfs"; }
    /// The config, to edit before save().
    nlohmann::json &config() { return config_; }
    /// Writes config() to config.json.
    void save() const;
    /// Writes text to config.json as is (for broken-config tests).
    void writeRawConfig(std::string_view text) const;
    /// Sets process.args to /bin/husk-probe followed by args (does not save).
    void setProbeArgs(const std::vector<std::string> &args);
    /// Adds a namespace of the given type (with a path if not empty) or replaces its entry.
    void setNamespace(const std::string &type, const std::string &path = {});
    /// Removes the namespace of the given type from linux.namespaces.
    void removeNamespace(const std::string &type);

private:
    std::filesystem::path path_;
    nlohmann::json config_;
};

/// Files used as a container's stdin (/dev/null), stdout and stderr, kept outside the rootfs.
class ContainerIo
{
public:
    /// Creates (truncating) dir/<name>.out and dir/<name>.err.
    ContainerIo(const std::filesystem::path &dir, const std::string &name);

    /// Command options that hand these files to the runtime (and so to the container).
    CommandOptions options() const;
    /// What the container wrote to stdout so far.
    std::string out() const;
    /// What the container (or the runtime) wrote to stderr so far.
    std::string err() const;
    /// Empties both files (for reuse by another container).
    void clear();
    /// Polls stdout until it contains needle; false on timeout.
    bool waitForOut(std::string_view needle, std::chrono::milliseconds timeout = 10s) const;

private:
    std::filesystem::path outPath_;
    std::filesystem::path errPath_;
    UniqueFd null_;
    UniqueFd out_;
    UniqueFd err_;
};

/// A network namespace made with `ip netns add husktest-<pid>-<n>`, deleted on destruction.
class NamedNetns
{
public:
    /// Creates the namespace.
    NamedNetns();
    /// Deletes the namespace (`ip netns delete`).
    ~NamedNetns();
    NamedNetns(const NamedNetns &) = delete;
    NamedNetns &operator=(const NamedNetns &) = delete;

    /// The namespace's name.
    const std::string &name() const { return name_; }
    /// Its bind mount, /run/netns/<name>.
    std::string path() const { return "/run/netns/" + name_; }

private:
    std::string name_;
};

/// A child process sitting in new namespaces (clone flags) so a container can join them by
/// /proc/<pid>/ns/<type> path; killed and reaped on destruction.
class NamespaceHolder
{
public:
    /// Forks a child that unshares flags (CLONE_NEWNET, CLONE_NEWIPC, ...) and waits.
    explicit NamespaceHolder(int flags);
    /// Kills and reaps the holder.
    ~NamespaceHolder();
    NamespaceHolder(const NamespaceHolder &) = delete;
    NamespaceHolder &operator=(const NamespaceHolder &) = delete;

    /// The /proc/<pid>/ns/<type> path of the holder's namespace.
    std::string path(const std::string &type) const;

private:
    pid_t pid_ = -1;
};

/// Per-test fixture: a bundle, its stdio files, and every container id it hands out, each
/// deleted with `delete --force` on destruction; then any process left over is killed.
/// Fails at once after the runtime has timed out three times in the run.
class Fixture
{
public:
    /// Makes the bundle and the default stdio files.
    Fixture();
    /// Force-deletes every container made through this fixture, kills leftover children,
    /// and removes the bundle.
    ~Fixture();
    Fixture(const Fixture &) = delete;
    Fixture &operator=(const Fixture &) = delete;

    /// A fresh id that will be force-deleted at the end of the test.
    std::string newId();
    /// Registers an id made elsewhere for the end-of-test delete --force.
    void track(const std::string &id);

    /// `create --bundle B [extra...] ID` with io as the container's stdio.
    CommandResult create(const std::string &id, const std::vector<std::string> &extra = {});
    /// As create(), with another bundle and stdio files.
    CommandResult create(const std::string &id, const Bundle &b, ContainerIo &out,
                         const std::vector<std::string> &extra = {},
                         const std::vector<int> &extraFds = {});
    /// `run --bundle B [extra...] ID` in the foreground with io as stdio.
    CommandResult run(const std::string &id, const std::vector<std::string> &extra = {});
    /// `start ID`.
    CommandResult start(const std::string &id);
    /// `kill ID SIGNAL`.
    CommandResult kill(const std::string &id, const std::string &signal);
    /// `delete [--force] ID`.
    CommandResult remove(const std::string &id, bool force = false);
    /// The parsed `state ID`, or nothing when the command fails.
    std::optional<nlohmann::json> state(const std::string &id);
    /// The status field of `state ID`, or "" when there is no state.
    std::string status(const std::string &id);
    /// Polls `state ID` until status matches; false on timeout.
    bool waitForStatus(const std::string &id, const std::string &wanted,
                       std::chrono::milliseconds timeout = 10s);
    /// Runs the probe with args in a fresh container (`run`), requires exit 0 and returns
    /// the first JSON object it printed.
    nlohmann::json probe(const std::vector<std::string> &args);
    /// As probe(), but with create and start (so the container inherits io's files directly,
    /// the way engines run it), extra create flags and fds handed to the runtime as 3, 4, ...
    nlohmann::json probeDetached(const std::vector<std::string> &args,
                                 const std::vector<std::string> &extra = {},
                                 const std::vector<int> &extraFds = {});
    /// Creates and starts a container running the probe's wait-signal, waiting until it is
    /// ready for signals; returns its id.
    std::string startWaiting();
    /// Saves the bundle with the probe's `exit 0`, runs `create` with a fresh id and checks
    /// that it failed the proper way (exit code, no crash, no hang) and left no state; returns
    /// the result, for the caller to check the message.
    CommandResult createMustFail();

    /// The test's bundle.
    Bundle bundle;
    /// The default stdio files for containers of this test.
    ContainerIo io;

private:
    std::vector<std::string> ids_;
};

/// Global fixture for each integration test binary: exits 77 (skip) when the runtime or the
/// probe is missing or we are not root, makes the harness a child subreaper, and turns
/// SIGTERM/SIGINT/SIGHUP into a background cleanup and exit. At the end (or from that
/// cleanup) it force-deletes leftover containers, kills leftover processes, and removes this
/// run's husktest network namespaces, bundles, root directory and cached rootfs.
class RunFixture
{
public:
    /// Sets up the run.
    RunFixture();
    /// Cleans up the run.
    ~RunFixture();
};

/// The link names of the test's own network namespace.
std::set<std::string> links();
/// `nft list ruleset` of the test's own network namespace.
std::string ruleset();
/// Makes network "husk"'s bridge and table, which are shared and stay, with a pod made and
/// removed: what a test compares against afterwards is then the state without any pod.
void warmPodNetwork();

} // namespace husk::test
