#include <unistd.h>

#include <cstdlib>
#include <initializer_list>
#include <iostream>
#include <string_view>

#include "common/log.h"
#include "libcontainer/security/seccomp/filter.h"
#include "runtime/cli.h"
#include "runtime/version.h"

namespace husk::cli {

int report(const std::string &what, const Error &e)
{
    std::string msg = what.empty() ? e.what() : what + ": " + e.what();
    log::error(msg);
    // runc prints fatal errors on stderr even when they also go to --log.
    if (log::fd() != 2)
        std::cerr << "husk: " << msg << std::endl;
    return kFailure;
}

} // namespace husk::cli

namespace {

std::string versionText()
{
    std::string text = "husk version " HUSK_VERSION "\ncommit: " HUSK_COMMIT "\nspec: " +
                       std::string(husk::spec::kSpecVersion) + "\n";
    if (std::string v = husk::libseccompVersion(); !v.empty())
        text += "libseccomp: " + v + "\n";
    return text;
}

// The first word that is not a global option, or nullptr. Global options that take a value
// may give it as the next word.
const char *commandWord(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (!a.starts_with("-"))
            return argv[i];
        if ((a == "--root" || a == "--log" || a == "--log-format" || a == "--rootless" ||
             a == "--criu") &&
            i + 1 < argc)
            ++i;
    }
    return nullptr;
}

// Which registration function makes which commands (aliases included). Only the one for the
// command given is built: CLI11 builds every option of every command it is told about before
// it parses, which was 28 % of `husk state`'s instructions (the hot path's commands have a
// function each; building the whole query group was still 15 %). --help, `help` and an unknown or
// missing command build them all, so the help, the man pages and the completions (checked
// against --help by tests/docs/check_cli_docs.sh) still come from one source.
struct CommandGroup {
    std::initializer_list<std::string_view> names;
    void (*add)(CLI::App &, husk::cli::Context &);
};

const CommandGroup kCommandGroups[] = {
    {{"create"}, husk::cli::addCreateCommand},
    {{"start"}, husk::cli::addStartCommand},
    {{"run"}, husk::cli::addRunCommand},
    {{"delete"}, husk::cli::addDeleteCommand},
    {{"exec"}, husk::cli::addExecCommand},
    {{"pause", "resume", "update", "events"}, husk::cli::addManageCommands},
    {{"pod"}, husk::cli::addPodCommands},
    {{"network"}, husk::cli::addNetworkCommands},
    {{"state"}, husk::cli::addStateCommand},
    {{"list", "ls"}, husk::cli::addListCommand},
    {{"kill"}, husk::cli::addKillCommand},
    {{"ps"}, husk::cli::addPsCommand},
    {{"spec"}, husk::cli::addSpecCommand},
    {{"features", "check"}, husk::cli::addInfoCommands},
};

// Registers the group that makes cmd; every group when cmd is null or in none of them.
void addCommands(CLI::App &app, husk::cli::Context &ctx, const char *cmd, bool everything)
{
    if (cmd != nullptr && !everything)
        for (const CommandGroup &g : kCommandGroups)
            for (std::string_view name : g.names)
                if (name == cmd) {
                    g.add(app, ctx);
                    return;
                }
    for (const CommandGroup &g : kCommandGroups)
        g.add(app, ctx);
}

} // namespace

int main(int argc, char **argv)
{
    using namespace husk::cli;
    // Started as husk-cni (a symlink in a CNI bin dir): the CNI plugin, no command line.
    if (std::string_view self = argv[0]; self.substr(self.rfind('/') + 1) == "husk-cni")
        return runCniPlugin();
    CLI::App app{"husk: an OCI container runtime (runc-compatible)", "husk"};
    app.require_subcommand(1);
    app.fallthrough();
    Context ctx;
    // As runc: an unprivileged user keeps state under $XDG_RUNTIME_DIR, which is theirs.
    if (::geteuid() != 0)
        if (const char *xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && *xdg == '/')
            ctx.global.root = std::string(xdg) + "/husk";
    app.set_version_flag("-v,--version", versionText());
    CLI::Option *rootOption =
        app.add_option("--root", ctx.global.root,
                       "root directory for storage of container state ($XDG_RUNTIME_DIR/husk "
                       "for an unprivileged user)")
            ->capture_default_str();
    app.add_option("--log", ctx.log, "log file path (default: stderr)");
    app.add_option("--log-format", ctx.logFormat, "log format: text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    app.add_flag("--debug", ctx.debug, "enable debug logging");
    app.add_option("--rootless", ctx.global.rootless,
                   "true, false or auto (as runc): when rootless, a cgroup husk may not make is "
                   "a warning and the container runs in the caller's; auto: when not root")
        ->check(CLI::IsMember({"true", "false", "auto"}))
        ->capture_default_str();
    app.add_option("--criu", ctx.global.criu,
                   "path to criu, for checkpoint and restore (runc's flag; husk has neither "
                   "command yet)")
        ->capture_default_str();
    app.add_flag("--systemd-cgroup", ctx.global.systemdCgroup,
                 "make the container's cgroup a transient systemd unit (create/run; "
                 "refused where systemd or libsystemd is missing; see husk check)");

    const char *cmd = commandWord(argc, argv);
    // `husk --help` lists every command; `husk CMD --help` needs only CMD's.
    bool topLevelHelp = false;
    for (int i = 1; i < argc && (cmd == nullptr || argv[i] != cmd); ++i)
        topLevelHelp |= std::string_view(argv[i]) == "-h" || std::string_view(argv[i]) == "--help";
    bool versionOnly = false; // `husk --version` needs no command at all
    for (int i = 1; i < argc && cmd == nullptr; ++i)
        versionOnly |=
            std::string_view(argv[i]) == "-v" || std::string_view(argv[i]) == "--version";
    if (!versionOnly || topLevelHelp)
        addCommands(app, ctx, cmd, topLevelHelp);

    // `husk help [COMMAND]`, as runc has it; -h and --help work on every command too.
    static std::string helpFor;
    CLI::App *help = app.add_subcommand("help", "show the help of husk or of a command");
    help->add_option("command", helpFor, "the command");
    help->callback([&app, &ctx] {
        ctx.action = [&app] {
            // app.help() would show the selected subcommand's (help's own) text.
            if (helpFor.empty()) {
                std::cout << app.get_formatter()->make_help(&app, "husk",
                                                            CLI::AppFormatMode::Normal);
                return kOk;
            }
            for (CLI::App *sub : app.get_subcommands([](CLI::App *) { return true; }))
                if (sub->check_name(helpFor)) {
                    std::cout << sub->help("husk");
                    return kOk;
                }
            std::cerr << "husk: help: unknown command \"" << helpFor << "\"" << std::endl;
            return kUsage;
        };
    });

    // An unknown command must fail even with --help after it: podman probes `checkpoint --help`
    // to learn whether a runtime can checkpoint.
    bool known = false;
    for (CLI::App *sub : app.get_subcommands([](CLI::App *) { return true; }))
        known |= cmd && sub->check_name(cmd);
    if (cmd && !known) {
        std::cerr << "husk: unknown command \"" << cmd << "\" (see husk --help)" << std::endl;
        return kUsage;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp &e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp &e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion &e) {
        std::cout << versionText();
        return kOk;
    } catch (const CLI::ParseError &e) {
        app.exit(e);
        return kUsage;
    }
    ctx.global.rootGiven = rootOption->count() > 0;
    auto level = ctx.debug ? husk::log::Level::Debug : husk::log::Level::Warning;
    auto format = ctx.logFormat == "json" ? husk::log::Format::Json : husk::log::Format::Text;
    if (!husk::log::configure(level, format, ctx.log)) {
        std::cerr << "husk: cannot open log file " << ctx.log << std::endl;
        return kFailure;
    }
    if (!ctx.action)
        return kUsage;
    return ctx.action();
}
