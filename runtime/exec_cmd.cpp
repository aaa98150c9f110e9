// exec.

#include "runtime/cli.h"

namespace husk::cli {

void addExecCommand(CLI::App &app, Context &ctx)
{
    static ExecOptions o;
    CLI::App *e = app.add_subcommand("exec", "run a new process in a running container");
    e->add_option("container-id", o.id, "the container's id")->required();
    e->add_option("command", o.args, "the command and its arguments (unless --process)");
    e->add_option("-p,--process", o.processFile,
                  "a process.json (the runtime-spec's process object) instead of the command");
    e->add_flag("-t,--tty", o.tty, "allocate a pseudo-terminal");
    e->add_option("--console-socket", o.consoleSocket,
                  "AF_UNIX socket that receives the pty master (with --tty)");
    e->add_flag("-d,--detach", o.detach, "return once the process runs");
    e->add_option("--pid-file", o.pidFile, "file to write the process's pid to");
    e->add_option("--cwd", o.cwd, "working directory inside the container");
    e->add_option("-e,--env", o.env, "KEY=VALUE to set (repeatable)")->allow_extra_args(false);
    e->add_option("-u,--user", o.user, "UID[:GID] to run as");
    e->add_option("-g,--additional-gids", o.additionalGids, "additional group (repeatable)")
        ->allow_extra_args(false);
    e->add_option("-c,--cap", o.caps, "add a capability (repeatable)")->allow_extra_args(false);
    e->add_flag("--no-new-privs", o.noNewPrivs, "set no_new_privs");
    e->add_option("--apparmor", o.apparmor, "AppArmor profile for the process");
    e->add_option("--process-label", o.processLabel, "SELinux label for the process");
    e->add_option("--preserve-fds", o.preserveFds,
                  "pass N additional file descriptors (3..3+N-1) to the process")
        ->check(CLI::NonNegativeNumber);
    e->add_option("--cgroup", o.cgroup, "a sub-cgroup of the container's to run the process in");
    e->add_flag("--ignore-paused", o.ignorePaused, "exec even if the container is paused");
    e->add_option("--timeout", o.timeoutSeconds,
                  "kill the process after SECONDS and exit 124 (husk extension)")
        ->check(CLI::PositiveNumber);
    // Everything after the container id belongs to the command, options included.
    e->positionals_at_end();
    e->prefix_command();
    e->callback([&ctx] {
        ctx.action = [&ctx] {
            auto r = execProcess(ctx.global, o);
            if (!r) {
                report("exec " + o.id, r.error());
                return kExecFailure;
            }
            return *r;
        };
    });
}

} // namespace husk::cli
