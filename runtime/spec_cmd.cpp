// spec: write a default config.json, as `runc spec`, optionally with a built-in seccomp profile
// or Landlock preset.

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/file.h"
#include "spec/template.h"
#include "runtime/cli.h"

namespace husk::cli {

void addSpecCommand(CLI::App &app, Context &ctx)
{
    static std::string bundle = ".";
    static spec::SpecOptions opts;
    CLI::App *s = app.add_subcommand("spec", "write a default config.json into the bundle");
    s->add_option("-b,--bundle", bundle, "directory to write config.json to")
        ->capture_default_str();
    s->add_flag("--rootless", opts.rootless, "a config for running as an unprivileged user");
    s->add_option("--seccomp", opts.seccomp,
                  "built-in seccomp profile: default, strict, audit (log what default would deny) "
                  "or unconfined")
        ->check(CLI::IsMember({"default", "strict", "audit", "unconfined"}));
    s->add_option("--landlock", opts.landlock, "Landlock preset: server or desktop")
        ->check(CLI::IsMember({"server", "desktop"}));
    s->callback([&ctx] {
        ctx.action = [] {
            std::string path = bundle + "/config.json";
            if (::access(path.c_str(), F_OK) == 0)
                return report("spec", Error("File " + path + " exists. Remove it first"));
            auto text = spec::specTemplateText(opts);
            if (!text)
                return report("spec", text.error());
            auto dir = openFd(bundle, O_RDONLY | O_DIRECTORY);
            if (!dir)
                return report("spec", dir.error());
            auto r = writeFileAtomic(dir->get(), "config.json", *text, 0644);
            return r ? kOk : report("spec", r.error());
        };
    });
}

} // namespace husk::cli
