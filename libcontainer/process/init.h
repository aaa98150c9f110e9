#pragma once

// The container's init between clone and exec. It runs in the cloned child only, never
// throws and never returns: a failure is reported over the sync socket and the child _exit()s.

#include <sys/resource.h>
#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "libcontainer/security/capabilities.h"
#include "libcontainer/process/sync.h"
#include "libcontainer/rootfs/rootfs.h"
#include "libcontainer/security/landlock.h"
#include "libcontainer/process/attrs/attrs.h"
#include "libcontainer/security/seccomp/filter.h"
#include "spec/config.h"
#include "spec/state.h"

namespace husk::process {

/// One resolved rlimit.
struct RlimitSetting {
    int resource;
    rlimit value;
    std::string name;
};

/// The process itself, what the init and `exec` set up alike (prepareProcess): computed in the
/// parent before clone (the child gets a copy of the parent's memory, so nothing is
/// serialized).
struct ProcessPlan {
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string cwd;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> additionalGids;
    std::optional<mode_t> umask;
    std::vector<RlimitSetting> rlimits;
    std::optional<CapSets> caps; // absent: capabilities untouched
    int lastCap = 0;
    bool noNewPrivileges = false;
    std::optional<SeccompProgram> seccomp;
    ProcessAttrsPlan attrs;               // scheduler, ioprio, affinity, personality, mempolicy
    std::optional<LandlockPlan> landlock; // fitted to the kernel's ABI by the parent
    std::optional<int> oomScoreAdj;
    bool terminal = false;
    std::optional<spec::ConsoleSize> consoleSize;
    int preserveFds = 0; // fds 3..3+n-1 stay open across exec
};

/// The container's init: its process and the container it builds around it.
struct InitPlan : ProcessPlan {
    std::string hostname;
    std::string domainname;
    bool setHostname = false;
    bool setDomainname = false;
    bool newUser = false;
    bool inUserNs = false;           // a new or joined user namespace: become its root first
    bool unprivilegedParent = false; // rootless: stay dumpable until the id maps are written
    bool newNet = false;
    bool unshareCgroup = false;
    bool mountNs = true;
    std::map<std::string, std::string> sysctl;
    rootfs::RootfsPlan rootfs;

    int fifoFd = -1;          // O_PATH of the exec fifo, reopened for writing after setup
    int stateDirFd = -1;      // fallback when /proc is not mounted in the container
    bool parentHooks = false; // prestart/createRuntime: ask the parent before pivot_root
    std::vector<spec::Hook> createContainerHooks;
    std::vector<spec::Hook> startContainerHooks;
    spec::State hookState;      // id, bundle, annotations; status and pid are filled in by the init
    std::string sessionKeyring; // joined as a new session keyring unless --no-new-keyring
};

/// A process `exec` starts in a running container: its process and how it joins.
struct ExecPlan : ProcessPlan {
    int joinPidfd = -1; // the container init's pidfd, for setns
    int joinFlags = 0;  // CLONE_NEW* the process joins itself (not pid/time)
};

/// Runs the init steps and execs the container process; never returns.
[[noreturn]] void runInit(const InitPlan &plan, SyncSocket &sock);

/// For `exec`: joins the container (plan.joinPidfd/joinFlags), sets up the process as the
/// init's would be (terminal, rlimits, cwd, attributes, seccomp, user, capabilities,
/// Landlock) and execs it; never returns. Errors go to the parent over sock.
[[noreturn]] void runExecProcess(const ExecPlan &plan, SyncSocket &sock);

/// Resolves an executable as execvp would, with PATH from the container's env (or the
/// default PATH). Fails with "executable file not found in $PATH", worded as runc's.
[[nodiscard]] Result<std::string> lookPath(const std::string &file,
                                           const std::vector<std::string> &env);

} // namespace husk::process
