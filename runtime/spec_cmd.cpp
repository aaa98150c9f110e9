// spec: write a default config.json, as `runc spec`.

#include <fcntl.h>
#include <unistd.h>

#include "common/file.h"
#include "runtime/cli.h"
#include "spec/default_spec.h"

namespace husk::cli {

void addSpecCommand(CLI::App &app, Context &ctx)
{
    static std::string bundle = ".";
    static bool rootless = false;
    CLI::App *s = app.add_subcommand("spec", "write a default config.json into the bundle");
    s->add_option("-b,--bundle", bundle, "directory to write config.json to")
        ->capture_default_str();
    s->add_flag("--rootless", rootless, "a config for running as an unprivileged user");
    s->callback([&ctx] {
        ctx.action = [] {
            std::string path = bundle + "/config.json";
            if (::access(path.c_str(), F_OK) == 0)
                return report("spec", Error("File " + path + " exists. Remove it first"));
            auto dir = openFd(bundle, O_RDONLY | O_DIRECTORY);
            if (!dir)
                return report("spec", dir.error());
            auto r =
                writeFileAtomic(dir->get(), "config.json", spec::defaultSpecText(rootless), 0644);
            return r ? kOk : report("spec", r.error());
        };
    });
}

} // namespace husk::cli
