// features and check: what this build implements, and what this host offers it.

#include <iostream>

#include "libcontainer/introspect/features.h"
#include "libcontainer/introspect/check.h"
#include "runtime/cli.h"
#include "runtime/version.h"

namespace husk::cli {

void addInfoCommands(CLI::App &app, Context &ctx)
{
    CLI::App *f = app.add_subcommand(
        "features", "print the features this build implements (runtime-spec features.md) as JSON");
    f->callback([&ctx] {
        ctx.action = [] {
            std::cout << featuresJson({HUSK_VERSION, HUSK_COMMIT}).dump(4) << std::endl;
            return kOk;
        };
    });

    static std::string format = "text";
    CLI::App *c = app.add_subcommand(
        "check", "report what this host offers husk, feature by feature (husk extension)");
    c->add_option("-f,--format", format, "text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    c->callback([&ctx] {
        ctx.action = [] {
            // Optional features missing are the report, not a failure; a feature the config of
            // a plain `husk spec` needs makes the exit status 1, so scripts can gate on it.
            HostReport report = assessHost(probeHost());
            if (format == "json")
                std::cout << hostReportJson(report).dump(4) << std::endl;
            else
                std::cout << formatHostReport(report);
            return missingRequired(report) > 0 ? kFailure : kOk;
        };
    });
}

} // namespace husk::cli
