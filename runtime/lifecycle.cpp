// create, start, run, delete.

#include <iostream>

#include "libcontainer/pod/pod.h"
#include "runtime/cli.h"

namespace husk::cli {

namespace {

struct CreateFlags {
    CreateOptions opts;
    RunOptions run;
};

void addCreateFlags(CLI::App *cmd, CreateFlags &f)
{
    cmd->add_option("container-id", f.opts.id, "the container's id")->required();
    cmd->add_option("-b,--bundle", f.opts.bundle,
                    "path to the bundle directory (default: current directory)");
    cmd->add_option("--pid-file", f.opts.pidFile, "file to write the init's pid to");
    cmd->add_option("--console-socket", f.opts.consoleSocket,
                    "AF_UNIX socket that receives the pty master when process.terminal is true");
    cmd->add_option("--preserve-fds", f.opts.preserveFds,
                    "pass N additional file descriptors (3..3+N-1) to the container")
        ->check(CLI::NonNegativeNumber);
    cmd->add_flag("--no-pivot", f.opts.noPivot,
                  "do not use pivot_root (for a rootfs on ramfs; chroot after MS_MOVE)");
    cmd->add_flag("--no-new-keyring", f.opts.noNewKeyring,
                  "do not create a new session keyring for the container");
    cmd->add_option("--pod", f.opts.pod,
                    "join the network, IPC and UTS namespaces of this husk pod (husk extension)");
}

// runc passes systemd's socket activation fds through to the container.
// Only a well-formed count is honoured; anything else passes no extra fds.
int listenFds()
{
    const char *n = std::getenv("LISTEN_FDS");
    if (!n || !*n)
        return 0;
    char *end = nullptr;
    long v = std::strtol(n, &end, 10);
    return (*end == '\0' && v > 0 && v < 1024) ? static_cast<int>(v) : 0;
}

} // namespace

void addCreateCommand(CLI::App &app, Context &ctx)
{
    static CreateFlags create;
    CLI::App *c = app.add_subcommand("create", "create a container (its init waits for start)");
    addCreateFlags(c, create);
    c->callback([&ctx] {
        ctx.action = [&ctx] {
            create.opts.listenFds = listenFds();
            auto r = pod::createMember(ctx.global, create.opts);
            return r ? kOk : report("create " + create.opts.id, r.error());
        };
    });
}

void addStartCommand(CLI::App &app, Context &ctx)
{
    static std::string startId;
    CLI::App *s = app.add_subcommand("start", "run the user process of a created container");
    s->add_option("container-id", startId, "the container's id")->required();
    s->callback([&ctx] {
        ctx.action = [&ctx] {
            auto r = startContainer(ctx.global, startId);
            return r ? kOk : report("start " + startId, r.error());
        };
    });
}

void addRunCommand(CLI::App &app, Context &ctx)
{
    static CreateFlags run;
    CLI::App *r = app.add_subcommand("run", "create and start a container, wait for it, delete it");
    addCreateFlags(r, run);
    r->add_flag("-d,--detach", run.run.detach, "return after start instead of waiting");
    r->add_flag("--keep", run.run.keep, "do not delete the container after it exits");
    r->callback([&ctx] {
        ctx.action = [&ctx] {
            run.opts.listenFds = listenFds();
            auto res =
                runContainer(ctx.global, run.opts, run.run, pod::createMember, pod::deleteMember);
            return res ? *res : report("run " + run.opts.id, res.error());
        };
    });
}

void addDeleteCommand(CLI::App &app, Context &ctx)
{
    static std::string deleteId;
    static bool force = false;
    CLI::App *d = app.add_subcommand("delete", "delete a stopped container and its resources");
    d->add_option("container-id", deleteId, "the container's id")->required();
    d->add_flag("-f,--force", force, "kill the container first if it is still running");
    d->callback([&ctx] {
        ctx.action = [&ctx] {
            auto res = pod::deleteMember(ctx.global, deleteId, force);
            return res ? kOk : report("delete " + deleteId, res.error());
        };
    });
}

} // namespace husk::cli
