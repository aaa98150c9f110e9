// OCI state output (spec/state.h) and the default config (spec/default_spec.h).

#include "tests/unit/spec_test_helpers.h"

#include <unistd.h>

#include <string>

#include "spec/config.h"
#include "spec/default_spec.h"
#include "spec/parse.h"
#include "spec/state.h"
#include "spec/validate.h"

using namespace husk;
using namespace husk::spec;
using namespace spec_test;

BOOST_AUTO_TEST_SUITE(state)

BOOST_AUTO_TEST_CASE(state_json_like_runc)
{
    State s;
    s.ociVersion = "1.2.0";
    s.id = "c1";
    s.status = "running";
    s.pid = 4422;
    s.bundle = "/containers/redis";
    s.rootfs = "/containers/redis/rootfs";
    s.created = "2024-05-01T10:20:30.123456789Z";
    s.owner = "";
    BOOST_TEST(stateJson(s) == "{\n"
                               "  \"ociVersion\": \"1.2.0\",\n"
                               "  \"id\": \"c1\",\n"
                               "  \"pid\": 4422,\n"
                               "  \"status\": \"running\",\n"
                               "  \"bundle\": \"/containers/redis\",\n"
                               "  \"rootfs\": \"/containers/redis/rootfs\",\n"
                               "  \"created\": \"2024-05-01T10:20:30.123456789Z\",\n"
                               "  \"owner\": \"\"\n"
                               "}");

    s.annotations = {{"myKey", "myValue"}, {"a", "b"}};
    std::string withAnnotations = stateJson(s);
    BOOST_TEST(withAnnotations.find("  \"created\": \"2024-05-01T10:20:30.123456789Z\",\n"
                                    "  \"annotations\": {\n"
                                    "    \"a\": \"b\",\n"
                                    "    \"myKey\": \"myValue\"\n"
                                    "  },\n"
                                    "  \"owner\": \"\"\n}") != std::string::npos,
               withAnnotations);

    // Invalid UTF-8 must not throw.
    s.annotations = {{"k", std::string("\xff")}};
    BOOST_TEST(stateJson(s).find("\"k\": \"\xef\xbf\xbd\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(state_object_for_hooks)
{
    State s;
    s.ociVersion = "1.2.0";
    s.id = "c1";
    s.status = "created";
    s.pid = 42;
    s.bundle = "/b";
    s.rootfs = "/b/rootfs";
    s.created = "x";
    BOOST_TEST(stateObject(s).dump() ==
               R"({"bundle":"/b","id":"c1","ociVersion":"1.2.0","pid":42,"status":"created"})");
    s.pid = 0;
    s.status = "stopped";
    s.annotations = {{"k", "v"}};
    BOOST_TEST(
        stateObject(s).dump() ==
        R"({"annotations":{"k":"v"},"bundle":"/b","id":"c1","ociVersion":"1.2.0","status":"stopped"})");
}

BOOST_AUTO_TEST_CASE(created_time_format)
{
    BOOST_TEST(formatCreated({0, 0}) == "1970-01-01T00:00:00Z");
    BOOST_TEST(formatCreated({1714558830, 123456789}) == "2024-05-01T10:20:30.123456789Z");
    BOOST_TEST(formatCreated({1714558830, 120000000}) == "2024-05-01T10:20:30.12Z");
    BOOST_TEST(formatCreated({1714558830, 5}) == "2024-05-01T10:20:30.000000005Z");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(default_spec)

BOOST_AUTO_TEST_CASE(default_spec_parses_and_validates)
{
    json d = defaultSpec(false);
    Result<Config> r = parseConfig(d);
    BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
    BOOST_TEST(validate(*r).has_value());
    const Config &c = *r;
    BOOST_TEST(c.ociVersion == "1.2.0");
    BOOST_TEST(c.root.path == "rootfs");
    BOOST_TEST(c.root.readonly);
    BOOST_TEST(c.hostname == "husk");
    BOOST_TEST(c.process->terminal);
    BOOST_TEST(c.process->args == std::vector<std::string>{"sh"}, boost::test_tools::per_element());
    BOOST_TEST(c.process->cwd == "/");
    BOOST_TEST(c.process->env.size() == 2u);
    BOOST_TEST(c.process->noNewPrivileges);
    BOOST_TEST(c.process->capabilities->bounding.size() == 3u);
    BOOST_TEST(c.process->capabilities->ambient.empty());
    BOOST_TEST(c.process->rlimits[0].type == "RLIMIT_NOFILE");
    BOOST_TEST(c.process->rlimits[0].hard == 1024u);
    BOOST_REQUIRE(c.mounts.size() == 7u);
    BOOST_TEST(c.mounts[2].destination == "/dev/pts");
    BOOST_TEST(c.mounts[2].options.back() == "gid=5");
    BOOST_TEST(c.mounts[5].type == "sysfs");
    BOOST_TEST(c.linux->resources->devices.size() == 1u);
    BOOST_TEST(!c.linux->resources->devices[0].allow);
    BOOST_TEST(c.findNamespace(NamespaceType::Network) != nullptr);
    BOOST_TEST(c.findNamespace(NamespaceType::User) == nullptr);
    BOOST_TEST(c.linux->maskedPaths.size() == 10u);
    BOOST_TEST(c.linux->readonlyPaths.size() == 5u);
}

BOOST_AUTO_TEST_CASE(rootless_template)
{
    json d = defaultSpec(
        SpecTemplate{.rootless = true, .cgroupNamespace = true, .uid = 1000, .gid = 100});
    Result<Config> r = parseConfig(d);
    BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
    BOOST_TEST(validate(*r).has_value());
    const Linux &l = *r->linux;
    BOOST_TEST(!l.resources);
    BOOST_REQUIRE(l.uidMappings.size() == 1u);
    BOOST_TEST(l.uidMappings[0].hostId == 1000u);
    BOOST_TEST(l.uidMappings[0].containerId == 0u);
    BOOST_TEST(l.uidMappings[0].size == 1u);
    BOOST_TEST(l.gidMappings[0].hostId == 100u);
    BOOST_REQUIRE(l.namespaces.size() == 6u);
    BOOST_TEST((l.namespaces[4].type == NamespaceType::Cgroup));
    BOOST_TEST((l.namespaces[5].type == NamespaceType::User));
    BOOST_TEST(r->findNamespace(NamespaceType::Network) == nullptr);
    BOOST_TEST(r->mounts[5].type == "none");
    BOOST_TEST(r->mounts[5].source == "/sys");
    BOOST_TEST(r->mounts[5].options.front() == "rbind");
    BOOST_TEST(r->mounts[2].options.back() == "mode=0620");

    Result<Config> host = parseConfig(defaultSpec(true));
    BOOST_REQUIRE(host);
    BOOST_TEST(host->linux->uidMappings[0].hostId == static_cast<uint32_t>(::geteuid()));
}

BOOST_AUTO_TEST_CASE(default_spec_text_like_runc)
{
    std::string text = defaultSpecText(false);
    BOOST_TEST(
        text.starts_with("{\n\t\"ociVersion\": \"1.2.0\",\n\t\"process\": {\n\t\t\"terminal\": "
                         "true,\n\t\t\"user\": {\n\t\t\t\"uid\": 0,\n\t\t\t\"gid\": 0\n\t\t},"),
        text);
    BOOST_TEST(text.back() == '}');
    size_t root = text.find("\n\t\"root\"");
    size_t hostname = text.find("\n\t\"hostname\"");
    size_t mounts = text.find("\n\t\"mounts\"");
    size_t linuxKey = text.find("\n\t\"linux\"");
    BOOST_TEST((root < hostname && hostname < mounts && mounts < linuxKey));
    Result<Config> r = parseConfigText(text);
    BOOST_REQUIRE(r);
    BOOST_TEST(r->raw == defaultSpec(false));
}

BOOST_AUTO_TEST_SUITE_END()
