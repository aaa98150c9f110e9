// libcontainer/id.h, status.h, signals.h, namespaces.h and ps.h.

#define BOOST_TEST_MODULE basics
#include "tests/unit/libcontainer_test_helpers.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "libcontainer/container/id.h"
#include "libcontainer/namespaces/namespaces.h"
#include "libcontainer/container/ps.h"
#include "libcontainer/process/signals.h"
#include "libcontainer/container/status.h"

using namespace husk;
using namespace lc_test;

BOOST_AUTO_TEST_SUITE(container_id)

BOOST_AUTO_TEST_CASE(good_ids)
{
    for (const char *id : {"a", "0", "redis", "C1", "my.container_1+x-y", "a.b", "a-", "x+"})
        BOOST_TEST(validateId(id).has_value(), id);
    BOOST_TEST(validateId(std::string(kMaxIdLength, 'a')).has_value());
}

BOOST_AUTO_TEST_CASE(empty)
{
    BOOST_TEST(errorText(validateId("")) == "container id must not be empty");
}

BOOST_AUTO_TEST_CASE(too_long)
{
    BOOST_TEST(errorText(validateId(std::string(kMaxIdLength + 1, 'a'))) ==
               "container id is longer than 1024 bytes");
}

BOOST_AUTO_TEST_CASE(bad_first_character)
{
    BOOST_TEST(errorText(validateId("-abc")) ==
               "invalid container id \"-abc\": must start with a letter or digit");
    BOOST_TEST(errorText(validateId(".hidden")) ==
               "invalid container id \".hidden\": must start with a letter or digit");
    BOOST_TEST(errorText(validateId("_x")) ==
               "invalid container id \"_x\": must start with a letter or digit");
    BOOST_TEST(errorText(validateId("/etc")) ==
               "invalid container id \"/etc\": must start with a letter or digit");
}

BOOST_AUTO_TEST_CASE(bad_characters)
{
    BOOST_TEST(errorText(validateId("a/b")) ==
               "invalid container id \"a/b\": character '/' not allowed (use [A-Za-z0-9_.+-])");
    BOOST_TEST(errorText(validateId("my container")) ==
               "invalid container id \"my container\": character ' ' not allowed (use "
               "[A-Za-z0-9_.+-])");
    BOOST_TEST(contains(errorText(validateId("a:b")), "character ':' not allowed"));
    BOOST_TEST(contains(errorText(validateId("a\nb")), "not allowed"));
}

BOOST_AUTO_TEST_CASE(dot_dot)
{
    BOOST_TEST(errorText(validateId("a..b")) ==
               "invalid container id \"a..b\": must not contain \"..\"");
    BOOST_TEST(errorText(validateId("a..")) ==
               "invalid container id \"a..\": must not contain \"..\"");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(status)

const Status kAll[] = {Status::Creating, Status::Created, Status::Running, Status::Paused,
                       Status::Stopped};

BOOST_AUTO_TEST_CASE(names)
{
    BOOST_TEST(statusName(Status::Creating) == "creating");
    BOOST_TEST(statusName(Status::Created) == "created");
    BOOST_TEST(statusName(Status::Running) == "running");
    BOOST_TEST(statusName(Status::Paused) == "paused");
    BOOST_TEST(statusName(Status::Stopped) == "stopped");
}

BOOST_AUTO_TEST_CASE(round_trip)
{
    for (Status s : kAll) {
        auto parsed = parseStatus(statusName(s));
        BOOST_REQUIRE(parsed.has_value());
        BOOST_TEST((*parsed == s), statusName(s));
    }
    BOOST_TEST(!parseStatus("").has_value());
    BOOST_TEST(!parseStatus("Running").has_value());
    BOOST_TEST(!parseStatus("unknown").has_value());
}

BOOST_AUTO_TEST_CASE(transitions)
{
    struct Row {
        Status s;
        bool start, kill, del, pause, resume;
    };
    const Row rows[] = {
        {Status::Creating, false, false, false, false, false},
        {Status::Created, true, true, false, true, false},
        {Status::Running, false, true, false, true, false},
        {Status::Paused, false, true, false, false, true},
        {Status::Stopped, false, false, true, false, false},
    };
    for (const Row &r : rows) {
        BOOST_TEST_CONTEXT("status " << statusName(r.s))
        {
            BOOST_TEST(canStart(r.s) == r.start);
            BOOST_TEST(canKill(r.s) == r.kill);
            BOOST_TEST(canDelete(r.s) == r.del);
            BOOST_TEST(canPause(r.s) == r.pause);
            BOOST_TEST(canResume(r.s) == r.resume);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(signals)

BOOST_AUTO_TEST_CASE(names_and_numbers)
{
    BOOST_TEST(require(parseSignal("KILL")) == SIGKILL);
    BOOST_TEST(require(parseSignal("SIGKILL")) == SIGKILL);
    BOOST_TEST(require(parseSignal("9")) == SIGKILL);
    BOOST_TEST(require(parseSignal("TERM")) == SIGTERM);
    BOOST_TEST(require(parseSignal("SIGTERM")) == SIGTERM);
    BOOST_TEST(require(parseSignal("HUP")) == SIGHUP);
    BOOST_TEST(require(parseSignal("USR1")) == SIGUSR1);
    BOOST_TEST(require(parseSignal("WINCH")) == SIGWINCH);
    BOOST_TEST(require(parseSignal("IOT")) == SIGABRT);
    BOOST_TEST(require(parseSignal("POLL")) == SIGIO);
    BOOST_TEST(require(parseSignal("1")) == 1);
    BOOST_TEST(require(parseSignal("64")) == 64);
}

BOOST_AUTO_TEST_CASE(lower_case_accepted)
{
    BOOST_TEST(require(parseSignal("kill")) == SIGKILL);
    BOOST_TEST(require(parseSignal("sigterm")) == SIGTERM);
    BOOST_TEST(require(parseSignal("SigHup")) == SIGHUP);
    BOOST_TEST(require(parseSignal("rtmin+1")) == SIGRTMIN + 1);
    // Errors quote what was given.
    BOOST_TEST(errorText(parseSignal("foo")) == "unknown signal \"foo\"");
}

BOOST_AUTO_TEST_CASE(realtime)
{
    BOOST_TEST(require(parseSignal("RTMIN")) == SIGRTMIN);
    BOOST_TEST(require(parseSignal("SIGRTMIN")) == SIGRTMIN);
    BOOST_TEST(require(parseSignal("RTMIN+2")) == SIGRTMIN + 2);
    BOOST_TEST(require(parseSignal("RTMAX")) == SIGRTMAX);
    BOOST_TEST(require(parseSignal("RTMAX-1")) == SIGRTMAX - 1);
    BOOST_TEST(require(parseSignal("SIGRTMAX-1")) == SIGRTMAX - 1);
    BOOST_TEST(errorText(parseSignal("RTMIN-1")) == "unknown signal \"RTMIN-1\"");
    BOOST_TEST(errorText(parseSignal("RTMAX+1")) == "unknown signal \"RTMAX+1\"");
    BOOST_TEST(errorText(parseSignal("RTMIN+x")) == "unknown signal \"RTMIN+x\"");
    BOOST_TEST(errorText(parseSignal("RTMIN2")) == "unknown signal \"RTMIN2\"");
}

BOOST_AUTO_TEST_CASE(invalid_numbers)
{
    BOOST_TEST(errorText(parseSignal("0")) == "invalid signal \"0\"");
    BOOST_TEST(errorText(parseSignal("65")) == "invalid signal \"65\"");
    BOOST_TEST(errorText(parseSignal("-9")) == "invalid signal \"-9\"");
}

BOOST_AUTO_TEST_CASE(unknown_names)
{
    BOOST_TEST(errorText(parseSignal("FOO")) == "unknown signal \"FOO\"");
    BOOST_TEST(errorText(parseSignal("SIGFOO")) == "unknown signal \"SIGFOO\"");
    BOOST_TEST(errorText(parseSignal("")) == "unknown signal \"\"");
    BOOST_TEST(errorText(parseSignal("9x")) == "unknown signal \"9x\"");
}

BOOST_AUTO_TEST_CASE(signal_name)
{
    BOOST_TEST(signalName(SIGKILL) == "KILL");
    BOOST_TEST(signalName(SIGTERM) == "TERM");
    BOOST_TEST(signalName(SIGABRT) == "ABRT");
    BOOST_TEST(signalName(SIGCHLD) == "CHLD");
    BOOST_TEST(signalName(SIGIO) == "IO");
    BOOST_TEST(signalName(SIGRTMIN) == std::to_string(SIGRTMIN));
    BOOST_TEST(signalName(0) == "0");
    // Every standard signal's name parses back to it.
    for (int sig = 1; sig < 32; ++sig) {
        auto back = parseSignal(signalName(sig));
        BOOST_TEST((back && *back == sig), "signal " << sig << " (" << signalName(sig) << ")");
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(namespaces)

using spec::NamespaceType;

const NamespaceType kAllTypes[] = {
    NamespaceType::Pid, NamespaceType::Network, NamespaceType::Mount,  NamespaceType::Ipc,
    NamespaceType::Uts, NamespaceType::User,    NamespaceType::Cgroup, NamespaceType::Time};

BOOST_AUTO_TEST_CASE(join_order)
{
    for (NamespaceType t : kAllTypes) {
        if (t == NamespaceType::User || t == NamespaceType::Mount)
            continue;
        BOOST_TEST(joinOrder(NamespaceType::User) < joinOrder(t), spec::namespaceTypeName(t));
        BOOST_TEST(joinOrder(t) < joinOrder(NamespaceType::Mount), spec::namespaceTypeName(t));
    }
}

BOOST_AUTO_TEST_CASE(clone_flags)
{
    BOOST_TEST(cloneFlag(NamespaceType::Pid) == CLONE_NEWPID);
    BOOST_TEST(cloneFlag(NamespaceType::Network) == CLONE_NEWNET);
    BOOST_TEST(cloneFlag(NamespaceType::Mount) == CLONE_NEWNS);
    BOOST_TEST(cloneFlag(NamespaceType::Ipc) == CLONE_NEWIPC);
    BOOST_TEST(cloneFlag(NamespaceType::Uts) == CLONE_NEWUTS);
    BOOST_TEST(cloneFlag(NamespaceType::User) == CLONE_NEWUSER);
    BOOST_TEST(cloneFlag(NamespaceType::Cgroup) == CLONE_NEWCGROUP);
    BOOST_TEST(cloneFlag(NamespaceType::Time) == CLONE_NEWTIME);
}

BOOST_AUTO_TEST_CASE(new_namespaces)
{
    spec::Config c = configFromText(R"({
        "ociVersion": "1.2.0", "root": {"path": "rootfs"},
        "linux": {"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "mount"},
                                 {"type": "ipc"}, {"type": "uts"}, {"type": "user"},
                                 {"type": "cgroup"}]}
    })");
    NamespacePlan p = require(planNamespaces(c));
    BOOST_TEST(p.cloneFlags ==
               static_cast<unsigned long>(CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC |
                                          CLONE_NEWUTS | CLONE_NEWUSER));
    BOOST_TEST((p.cloneFlags & CLONE_NEWCGROUP) == 0UL); // unshared by the init instead
    BOOST_TEST(p.unshareCgroup);
    BOOST_TEST(p.newUser);
    BOOST_TEST(p.newNet);
    BOOST_TEST(p.newUts);
    BOOST_TEST(!p.timeOffsets);
    BOOST_TEST(p.joins.empty());
    BOOST_TEST(!p.needsIntermediate());
}

BOOST_AUTO_TEST_CASE(few_namespaces)
{
    spec::Config c = configFromText(R"({
        "ociVersion": "1.2.0", "root": {"path": "rootfs"},
        "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}]}
    })");
    NamespacePlan p = require(planNamespaces(c));
    BOOST_TEST(p.cloneFlags == static_cast<unsigned long>(CLONE_NEWPID | CLONE_NEWNS));
    BOOST_TEST(!p.unshareCgroup);
    BOOST_TEST(!p.newUser);
    BOOST_TEST(!p.newNet);
    BOOST_TEST(!p.newUts);

    spec::Config none = configFromText(R"({"ociVersion": "1.2.0", "root": {"path": "r"}})");
    NamespacePlan empty = require(planNamespaces(none));
    BOOST_TEST(empty.cloneFlags == 0UL);
    BOOST_TEST(!empty.needsIntermediate());
}

BOOST_AUTO_TEST_CASE(time_namespace)
{
    spec::Config plain = configFromText(R"({
        "ociVersion": "1.2.0", "root": {"path": "rootfs"},
        "linux": {"namespaces": [{"type": "pid"}, {"type": "time"}]}
    })");
    NamespacePlan p = require(planNamespaces(plain));
    BOOST_TEST(p.cloneFlags == static_cast<unsigned long>(CLONE_NEWPID | CLONE_NEWTIME));
    BOOST_TEST(!p.timeOffsets);
    BOOST_TEST(!p.needsIntermediate());

    spec::Config offsets = configFromText(R"({
        "ociVersion": "1.2.0", "root": {"path": "rootfs"},
        "linux": {"namespaces": [{"type": "pid"}, {"type": "time"}],
                  "timeOffsets": {"monotonic": {"secs": 3600, "nanosecs": 5}}}
    })");
    NamespacePlan q = require(planNamespaces(offsets));
    BOOST_TEST(q.cloneFlags == static_cast<unsigned long>(CLONE_NEWPID));
    BOOST_TEST(q.timeOffsets);
    BOOST_TEST(q.needsIntermediate());
}

BOOST_AUTO_TEST_CASE(joins_by_path_user_first_mount_last)
{
    spec::Config c = configFromText(R"({
        "ociVersion": "1.2.0", "root": {"path": "rootfs"},
        "linux": {"namespaces": [{"type": "mount", "path": "/proc/self/ns/mnt"},
                                 {"type": "network", "path": "/proc/self/ns/net"},
                                 {"type": "pid"},
                                 {"type": "user", "path": "/proc/self/ns/user"},
                                 {"type": "ipc", "path": "/proc/self/ns/ipc"}]}
    })");
    NamespacePlan p = require(planNamespaces(c));
    BOOST_REQUIRE(p.joins.size() == 4U);
    BOOST_TEST((p.joins[0].type == NamespaceType::User));
    BOOST_TEST((p.joins[1].type == NamespaceType::Network)); // config order kept in between
    BOOST_TEST((p.joins[2].type == NamespaceType::Ipc));
    BOOST_TEST((p.joins[3].type == NamespaceType::Mount));
    for (const NamespaceJoin &j : p.joins)
        BOOST_TEST(::fcntl(j.fd.get(), F_GETFD) >= 0); // opened now, held open
    BOOST_TEST(p.cloneFlags == static_cast<unsigned long>(CLONE_NEWPID));
    BOOST_TEST(!p.newUser); // joined, not created
    BOOST_TEST(!p.newNet);
    BOOST_TEST(p.needsIntermediate());
}

BOOST_AUTO_TEST_CASE(path_not_a_namespace)
{
    TempDir dir;
    std::string file = dir / "not-a-ns";
    std::ofstream(file) << "x";
    spec::Config c = configFromText(R"({"ociVersion": "1.2.0", "root": {"path": "rootfs"},
        "linux": {"namespaces": [{"type": "pid"}, {"type": "network", "path": ")" +
                                    file + R"("}]}})");
    std::string err = errorText(planNamespaces(c));
    BOOST_TEST(contains(err, "linux.namespaces[1].path: " + file + " is not a namespace"), err);
}

BOOST_AUTO_TEST_CASE(path_of_wrong_type)
{
    spec::Config c = configFromText(R"({"ociVersion": "1.2.0", "root": {"path": "rootfs"},
        "linux": {"namespaces": [{"type": "pid", "path": "/proc/self/ns/net"}]}})");
    BOOST_TEST(errorText(planNamespaces(c)) ==
               "linux.namespaces[0].path: /proc/self/ns/net is not a pid namespace");

    spec::Config m = configFromText(R"({"ociVersion": "1.2.0", "root": {"path": "rootfs"},
        "linux": {"namespaces": [{"type": "uts"}, {"type": "mount", "path": "/proc/self/ns/uts"}]}})");
    BOOST_TEST(errorText(planNamespaces(m)) ==
               "linux.namespaces[1].path: /proc/self/ns/uts is not a mount namespace");
}

BOOST_AUTO_TEST_CASE(path_missing)
{
    spec::Config c = configFromText(R"({"ociVersion": "1.2.0", "root": {"path": "rootfs"},
        "linux": {"namespaces": [{"type": "network", "path": "/nonexistent/ns/net"}]}})");
    auto r = planNamespaces(c);
    BOOST_TEST(errorCode(r) == ENOENT);
    BOOST_TEST(errorMessage(r) == "linux.namespaces[0].path: open /nonexistent/ns/net");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ps_output)

BOOST_AUTO_TEST_CASE(keeps_header_and_container_pids)
{
    const char *out = "UID          PID    PPID  C STIME TTY          TIME CMD\n"
                      "root           1       0  0 09:00 ?        00:00:01 /sbin/init\n"
                      "root         412       1  0 09:01 ?        00:00:00 sleep 412\n"
                      "root        4120       1  0 09:01 ?        00:00:00 sleep 4120\n"
                      "root        5000     412  0 09:02 ?        00:00:00 sh\n";
    std::string t = require(filterPsOutput(out, {412, 5000}));
    BOOST_TEST(t == "UID          PID    PPID  C STIME TTY          TIME CMD\n"
                    "root         412       1  0 09:01 ?        00:00:00 sleep 412\n"
                    "root        5000     412  0 09:02 ?        00:00:00 sh\n");
    // The PID column is found wherever -o puts it; a PPID equal to a pid is no match.
    std::string o = require(filterPsOutput("COMMAND PID\nsh 5000\nsleep 9\n", {5000, 412}));
    BOOST_TEST(o == "COMMAND PID\nsh 5000\n");
    BOOST_TEST(require(filterPsOutput("PID\n", {1})) == "PID\n");
}

BOOST_AUTO_TEST_CASE(no_pid_column)
{
    BOOST_TEST(errorText(filterPsOutput("COMMAND\nsh\n", {1})) ==
               "ps: no PID column in the output header \"COMMAND\"");
}

BOOST_AUTO_TEST_SUITE_END()
