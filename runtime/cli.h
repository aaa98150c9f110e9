#pragma once

// The CLI: flags in, one libcontainer call, exit code out. No syscalls here.

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "common/result.h"
#include "libcontainer/container/container.h"

namespace husk::cli {

/// Exit codes, as runc: success, runtime error, usage error.
constexpr int kOk = 0;
constexpr int kFailure = 1;
constexpr int kUsage = 2;
/// `exec` when husk itself fails (not the process): runc's 255, so a caller can tell it from
/// any status of the process's own.
constexpr int kExecFailure = 255;

/// State shared by every command: the global flags and the command's result.
struct Context {
    GlobalOptions global;
    std::string log;
    std::string logFormat = "text";
    bool debug = false;
    int exitCode = kOk;
    /// The command that ran, to run after parsing (CLI11 callbacks only record it).
    std::function<int()> action;
};

/// husk-cni: the CNI plugin protocol on the environment and stdin (libcontainer/network/cni.h).
int runCniPlugin();

/// Reports a failed command ("husk: <what>: <error>") and returns kFailure.
int report(const std::string &what, const Error &e);

// One function per command of the hot path: only the command given is built (main.cpp).
void addCreateCommand(CLI::App &app, Context &ctx);
void addStartCommand(CLI::App &app, Context &ctx);
void addRunCommand(CLI::App &app, Context &ctx);
void addDeleteCommand(CLI::App &app, Context &ctx);
void addStateCommand(CLI::App &app, Context &ctx);
void addListCommand(CLI::App &app, Context &ctx);
void addKillCommand(CLI::App &app, Context &ctx);
void addPsCommand(CLI::App &app, Context &ctx);
/// Registers exec.
void addExecCommand(CLI::App &app, Context &ctx);
/// Registers pause, resume, update, events.
void addManageCommands(CLI::App &app, Context &ctx);
/// Registers pod create|ls|inspect|stop|rm.
void addPodCommands(CLI::App &app, Context &ctx);
/// Registers network ls|inspect|create|rm.
void addNetworkCommands(CLI::App &app, Context &ctx);
/// Registers spec.
void addSpecCommand(CLI::App &app, Context &ctx);
/// Registers features and check.
void addInfoCommands(CLI::App &app, Context &ctx);

} // namespace husk::cli
