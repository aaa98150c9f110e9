#include "spec/template.h"

#include <nlohmann/json.hpp>

#include "spec/default_spec.h"
#include "spec/landlock.h"
#include "spec/seccomp_profiles.h"

namespace husk::spec {

Result<std::string> specTemplateText(const SpecOptions &o)
{
    std::string base = spec::defaultSpecText(o.rootless);
    if (o.seccomp.empty() && o.landlock.empty())
        return base;
    // ordered_json keeps runc's key order of the template.
    nlohmann::ordered_json doc = nlohmann::ordered_json::parse(base, nullptr, false);
    if (doc.is_discarded())
        return fail("spec: default template is not valid JSON");
    if (!o.seccomp.empty()) {
        if (!isSeccompProfileName(o.seccomp))
            return fail("--seccomp: unknown profile \"" + o.seccomp + "\"");
        if (auto profile = seccompProfile(o.seccomp))
            doc["linux"]["seccomp"] = nlohmann::ordered_json::parse(profile->dump());
        else
            doc["linux"].erase("seccomp");
    }
    if (!o.landlock.empty()) {
        auto preset = landlockPreset(o.landlock);
        if (!preset)
            return fail("--landlock: unknown preset \"" + o.landlock + "\"");
        doc["process"]["landlock"] = nlohmann::ordered_json::parse(preset->dump());
        // Landlock is enforced with no_new_privs (the proposal requires it).
        doc["process"]["noNewPrivileges"] = true;
    }
    return doc.dump(1, '\t');
}

} // namespace husk::spec
