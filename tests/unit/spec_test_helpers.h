#pragma once

// Shared by the spec_test sources: a minimal valid config and error-capturing helpers.

// meson's boost dependency already passes -DBOOST_TEST_DYN_LINK=1.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "spec/config.h"
#include "spec/parse.h"
#include "spec/validate.h"

namespace spec_test {

using husk::Result;
using husk::spec::Config;
using nlohmann::json;

// A small config that parses and validates; tests change one thing in it.
inline json minimal()
{
    return json::parse(R"({
        "ociVersion": "1.2.0",
        "root": {"path": "rootfs"},
        "process": {"cwd": "/", "args": ["sh"],
                    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]},
        "hostname": "h",
        "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
        "linux": {"namespaces": [{"type": "pid"}, {"type": "uts"}, {"type": "mount"}]}
    })");
}

inline std::string parseError(const json &doc)
{
    Result<Config> r = husk::spec::parseConfig(doc);
    BOOST_REQUIRE_MESSAGE(!r, "expected a parse error for " + doc.dump());
    return r.error().what();
}

inline std::string parseTextError(std::string_view text)
{
    Result<Config> r = husk::spec::parseConfigText(text);
    BOOST_REQUIRE_MESSAGE(!r, "expected a parse error");
    return r.error().what();
}

inline std::string validateError(const json &doc)
{
    Result<Config> r = husk::spec::parseConfig(doc);
    BOOST_REQUIRE_MESSAGE(r, "parse failed: " + (r ? std::string() : r.error().what()));
    Result<void> v = husk::spec::validate(*r);
    BOOST_REQUIRE_MESSAGE(!v, "expected a validation error for " + doc.dump());
    return v.error().what();
}

inline void expectValid(const json &doc)
{
    Result<Config> r = husk::spec::parseConfig(doc);
    BOOST_REQUIRE_MESSAGE(r, "parse failed: " + (r ? std::string() : r.error().what()));
    Result<void> v = husk::spec::validate(*r);
    BOOST_CHECK_MESSAGE(v, "validate failed: " + (v ? std::string() : v.error().what()));
}

} // namespace spec_test
