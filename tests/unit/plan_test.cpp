// libcontainer/container/plan.h (planCreate, planExec) and transaction.h (CreateTransaction):
// what create and exec will do, decided without root, files or processes.

#define BOOST_TEST_MODULE plan
#include "tests/unit/libcontainer_test_helpers.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "libcontainer/container/plan.h"
#include "libcontainer/container/transaction.h"
#include "libcontainer/process/pidfd.h"

using namespace husk;
using namespace lc_test;

namespace {

const char *kConfig = R"({
    "ociVersion": "1.2.0",
    "root": {"path": "rootfs"},
    "process": {"cwd": "/srv", "args": ["sh", "-c", "true"], "env": ["PATH=/bin", "A=1"],
                "user": {"uid": 1000, "gid": 1000},
                "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"],
                                 "permitted": ["CAP_KILL"]}},
    "hostname": "box",
    "annotations": {"org.example": "x"},
    "hooks": {"createRuntime": [{"path": "/bin/true"}],
              "createContainer": [{"path": "/bin/cc"}],
              "startContainer": [{"path": "/bin/sc"}],
              "poststop": [{"path": "/bin/ps"}]},
    "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"}]}
})";

CreateOptions options()
{
    CreateOptions o;
    o.id = "web";
    o.bundle = "b";
    o.preserveFds = 1;
    o.listenFds = 2;
    return o;
}

CreateFacts facts()
{
    CreateFacts f;
    f.bundle = "/bundles/b";
    f.cgroupDirs = {{"memory", "/sys/fs/cgroup/memory/husk/web"}};
    return f;
}

Result<CreatePlan> plan(const spec::Config &c, const CreateOptions &o = options(),
                        const CreateFacts &f = facts())
{
    NamespacePlan ns = require(planNamespaces(c));
    return planCreate(c, ns, o, f);
}

bool has(const std::vector<std::string> &v, const std::string &s)
{
    return std::find(v.begin(), v.end(), s) != v.end();
}

} // namespace

BOOST_AUTO_TEST_SUITE(plan_create)

BOOST_AUTO_TEST_CASE(everything_the_init_needs_is_decided)
{
    CreatePlan p = require(plan(configFromText(kConfig)));
    BOOST_TEST(p.rootfs == "/bundles/b/rootfs"); // root.path against the bundle
    BOOST_TEST(!p.terminal);
    const process::InitPlan &i = p.init;
    BOOST_TEST(i.args == (std::vector<std::string>{"sh", "-c", "true"}));
    BOOST_TEST(i.cwd == "/srv");
    BOOST_TEST(i.uid == 1000u);
    BOOST_TEST(i.hostname == "box");
    BOOST_TEST(i.rootfs.rootfs == "/bundles/b/rootfs");
    BOOST_TEST(i.rootfs.noPivot == false);
    BOOST_TEST(i.rootfs.cgroupDirs.at("memory") == "/sys/fs/cgroup/memory/husk/web");
    // --preserve-fds and the socket-activation fds follow stdio.
    BOOST_TEST(i.preserveFds == 3);
    BOOST_TEST(has(i.env, "LISTEN_FDS=2"));
    BOOST_TEST(has(i.env, "LISTEN_PID=1"));
    // Hooks: the parent runs createRuntime (so the init must ask), the init runs the others.
    BOOST_TEST(i.parentHooks);
    BOOST_TEST(i.createContainerHooks.size() == 1u);
    BOOST_TEST(i.createContainerHooks[0].path == "/bin/cc");
    BOOST_TEST(i.startContainerHooks.size() == 1u);
    BOOST_TEST(i.hookState.id == "web");
    BOOST_TEST(i.hookState.bundle == "/bundles/b");
    BOOST_TEST(i.hookState.annotations.at("org.example") == "x");
    // A session keyring named after the container, as runc's _ses.<id>.
    BOOST_TEST(i.sessionKeyring == "_ses.web");
    BOOST_TEST(!i.unprivilegedParent);
    // Nothing of the state directory is known before it exists.
    BOOST_TEST(i.fifoFd == -1);
    BOOST_TEST(i.stateDirFd == -1);
}

BOOST_AUTO_TEST_CASE(absolute_root_path_and_options_are_kept)
{
    spec::Config c = configFromText(kConfig);
    c.root.path = "/srv/root";
    CreateOptions o = options();
    o.noPivot = true;
    o.noNewKeyring = true;
    CreateFacts f = facts();
    f.unprivileged = true;
    CreatePlan p = require(plan(c, o, f));
    BOOST_TEST(p.rootfs == "/srv/root");
    BOOST_TEST(p.init.rootfs.noPivot);
    BOOST_TEST(p.init.sessionKeyring.empty());
    BOOST_TEST(p.init.unprivilegedParent);
}

BOOST_AUTO_TEST_CASE(no_hooks_means_the_init_never_asks)
{
    spec::Config c = configFromText(kConfig);
    c.hooks.reset();
    CreatePlan p = require(plan(c));
    BOOST_TEST(!p.init.parentHooks);
    BOOST_TEST(p.init.createContainerHooks.empty());
    // Only prestart counts as a parent hook too.
    c.hooks.emplace();
    c.hooks->prestart.push_back(spec::Hook{"/bin/true", {}, {}, std::nullopt});
    BOOST_TEST(require(plan(c)).init.parentHooks);
}

BOOST_AUTO_TEST_CASE(terminal_and_console_socket_must_agree)
{
    spec::Config c = configFromText(kConfig);
    c.process->terminal = true;
    BOOST_TEST(errorText(plan(c)) == "process.terminal is true but no --console-socket was given");
    CreateOptions o = options();
    o.consoleSocket = "/run/console.sock";
    BOOST_TEST(require(plan(c, o)).terminal);
    c.process->terminal = false;
    BOOST_TEST(errorText(plan(c, o)) == "--console-socket given but process.terminal is false");
}

BOOST_AUTO_TEST_CASE(config_errors_name_their_field)
{
    spec::Config c = configFromText(kConfig);
    c.process->args.clear();
    BOOST_TEST(errorText(plan(c)) == "process.args: must not be empty");
    c = configFromText(kConfig);
    c.linux->namespaces.erase(c.linux->namespaces.begin() + 2); // no uts
    BOOST_TEST(errorText(plan(c)) == "hostname: needs a uts namespace");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(plan_exec)

BOOST_AUTO_TEST_CASE(flags_change_the_containers_process)
{
    spec::Config c = configFromText(kConfig);
    ExecOptions o;
    o.id = "web";
    o.args = {"ls", "-l"};
    o.env = {"A=2", "B=3"};
    o.cwd = "/tmp";
    o.user = "7:8";
    o.additionalGids = {9};
    o.preserveFds = 2;
    o.noNewPrivs = true;
    ExecPlanned e = require(planExec(c, o));
    BOOST_TEST(e.process.args == (std::vector<std::string>{"ls", "-l"}));
    // --env replaces a variable of the same name and adds the others.
    BOOST_TEST(e.plan.env == (std::vector<std::string>{"PATH=/bin", "A=2", "B=3"}));
    BOOST_TEST(e.plan.cwd == "/tmp");
    BOOST_TEST(e.plan.uid == 7u);
    BOOST_TEST(e.plan.gid == 8u);
    BOOST_TEST(e.plan.additionalGids == (std::vector<gid_t>{9}));
    BOOST_TEST(e.plan.preserveFds == 2);
    BOOST_TEST(e.plan.noNewPrivileges);
    BOOST_TEST(!e.plan.terminal);
    // The capabilities are the container's.
    BOOST_REQUIRE(e.plan.caps);
    BOOST_TEST(e.plan.caps->effective == (uint64_t{1} << 5)); // CAP_KILL
    // exec joins; it never sets up a container: no join target is known yet.
    BOOST_TEST(e.plan.joinPidfd == -1);
    BOOST_TEST(e.plan.joinFlags == 0);
}

BOOST_AUTO_TEST_CASE(process_file_replaces_the_flags)
{
    spec::Config c = configFromText(kConfig);
    ExecOptions o;
    o.processFile = "process.json";
    o.args = {"ignored"};
    ExecPlanned e = require(planExec(
        c, o, R"({"cwd": "/", "args": ["top"], "terminal": true, "user": {"uid": 0, "gid": 0}})"));
    BOOST_TEST(e.process.args == (std::vector<std::string>{"top"}));
    BOOST_TEST(e.plan.terminal);
    BOOST_TEST(e.plan.uid == 0u);
}

BOOST_AUTO_TEST_CASE(bad_options_are_refused_with_their_flag)
{
    spec::Config c = configFromText(kConfig);
    ExecOptions o;
    BOOST_TEST(errorText(planExec(c, o)) == "exec needs a command (or --process)");
    o.args = {"sh"};
    o.env = {"NOVALUE"};
    BOOST_TEST(errorText(planExec(c, o)) == "--env \"NOVALUE\": expected KEY=VALUE");
    o.env.clear();
    o.user = "root";
    BOOST_TEST(errorText(planExec(c, o)) == "--user \"root\": expected UID[:GID] as numbers");
    o.user.clear();
    o.consoleSocket = "/run/c.sock";
    BOOST_TEST(errorText(planExec(c, o)) ==
               "--console-socket given but the process has no terminal");
    o.consoleSocket.clear();
    o.tty = true;
    o.detach = true;
    BOOST_TEST(errorText(planExec(c, o)) == "a terminal with --detach needs --console-socket");
    o.processFile = "p.json";
    BOOST_TEST(errorText(planExec(c, o, "{")).starts_with("--process p.json"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(create_transaction)

BOOST_AUTO_TEST_CASE(undoes_last_first_unless_committed)
{
    std::vector<int> order;
    {
        CreateTransaction tx;
        tx.onUndo([&] { order.push_back(1); });
        tx.onUndo([&] { order.push_back(2); });
        tx.onUndo([&] { order.push_back(3); });
    }
    BOOST_TEST(order == (std::vector<int>{3, 2, 1}));
    order.clear();
    {
        CreateTransaction tx;
        tx.onUndo([&] { order.push_back(1); });
        tx.commit();
    }
    BOOST_TEST(order.empty());
}

BOOST_AUTO_TEST_CASE(owned_process_is_killed_and_reaped_in_its_place)
{
    int pidfd = -1;
    pid_t pid = 0;
    std::vector<std::string> order;
    {
        CreateTransaction tx;
        tx.onUndo([&] {
            // Made before the process (its cgroup, say): undone after it is gone and reaped.
            siginfo_t info{};
            int r = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG);
            order.push_back(r < 0 && errno == ECHILD ? "before: reaped" : "before: still there");
        });
        pid = ::fork();
        BOOST_REQUIRE(pid >= 0);
        if (pid == 0) {
            ::pause();
            ::_exit(0);
        }
        pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
        BOOST_REQUIRE(pidfd >= 0);
        tx.ownProcess(pid, UniqueFd(pidfd));
        BOOST_TEST(tx.spawned());
        BOOST_TEST(tx.pidfd() == pidfd);
        tx.onUndo([&] {
            // Made after the process (netDevices in its namespace): undone while it lives.
            order.push_back(processStartTime(pid) ? "after: alive" : "after: gone");
        });
    }
    BOOST_TEST(order == (std::vector<std::string>{"after: alive", "before: reaped"}));
    // The pidfd was the transaction's and is closed with it.
    BOOST_TEST(::fcntl(pidfd, F_GETFD) == -1);
}

BOOST_AUTO_TEST_SUITE_END()
