// libcontainer/network/cni: husk-cni's configuration parsing, error documents and the commands
// that need no root (VERSION, and the refusals before anything is made). The protocol against
// real namespaces is pod_test's husk_cni_add_check_del_gc_over_the_cni_protocol.

#define BOOST_TEST_MODULE cni
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "libcontainer/network/cni.h"

using namespace husk;
BOOST_AUTO_TEST_SUITE(cni)

BOOST_AUTO_TEST_CASE(configuration_is_parsed_and_checked)
{
    auto c = network::parseCniConfig(
        R"({"cniVersion": "1.0.0", "name": "k8s", "type": "husk-cni", "network": "web",
            "root": "/run/h", "someRuntimeKey": {"x": 1},
            "runtimeConfig": {"portMappings": [
                {"hostPort": 8080, "containerPort": 80, "protocol": "tcp"},
                {"hostPort": 5353, "containerPort": 53, "protocol": "udp", "hostIP": "127.0.0.1"}]},
            "cni.dev/valid-attachments": [{"containerID": "a1", "ifname": "eth0"}]})");
    BOOST_REQUIRE(c.has_value());
    BOOST_TEST(c->network == "web");
    BOOST_TEST(c->root == "/run/h");
    BOOST_REQUIRE(c->portMappings.size() == 2U);
    BOOST_TEST(c->portMappings[1].hostPort == 5353);
    BOOST_TEST((c->portMappings[1].proto == network::Protocol::Udp));
    BOOST_TEST(c->portMappings[1].hostIp.has_value());
    BOOST_REQUIRE(c->validAttachments.size() == 1U);
    BOOST_TEST(c->validAttachments[0].ifname == "eth0");
    // The defaults: husk's built-in network under /run/husk.
    auto d = network::parseCniConfig(R"({"cniVersion": "0.4.0", "name": "n"})");
    BOOST_REQUIRE(d.has_value());
    BOOST_TEST(d->network == "husk");
    BOOST_TEST(d->root == "/run/husk");

    // Errors carry the spec's codes.
    auto code = [](std::string_view text) {
        auto r = network::parseCniConfig(text);
        return r ? 0 : r.error().code;
    };
    BOOST_TEST(code("not json") == 6);
    BOOST_TEST(code("[1]") == 6);
    BOOST_TEST(code(std::string(2000, '[') + std::string(2000, ']')) == 6); // depth bound
    BOOST_TEST(code(R"({"name": "n"})") == 7);                              // no cniVersion
    BOOST_TEST(code(R"({"cniVersion": "0.3.1"})") == 1);
    BOOST_TEST(code(R"({"cniVersion": "1.0.0", "network": "a/b"})") == 7);
    BOOST_TEST(code(R"({"cniVersion": "1.0.0", "root": "relative"})") == 7);
    BOOST_TEST(code(R"({"cniVersion": "1.0.0", "runtimeConfig": {"portMappings":
                        [{"hostPort": 70000, "containerPort": 80}]}})") == 7);
    BOOST_TEST(code(R"({"cniVersion": "1.0.0", "runtimeConfig": {"portMappings":
                        [{"hostPort": 80, "containerPort": 80, "protocol": "sctp"}]}})") == 7);
    BOOST_TEST(code(R"({"cniVersion": "1.0.0", "network": 7})") == 7);
}

BOOST_AUTO_TEST_CASE(errors_and_version_are_cni_documents)
{
    nlohmann::json e = network::cniErrorJson({4, "CNI_IFNAME: bad", "why"}, "1.0.0");
    BOOST_TEST(e.dump() ==
               R"({"cniVersion":"1.0.0","code":4,"details":"why","msg":"CNI_IFNAME: bad"})");
    BOOST_TEST(network::cniErrorJson({999, "x", ""}, "")["cniVersion"] == "1.1.0");
    std::string out;
    BOOST_TEST(network::runCniCommand({.command = "VERSION"}, out) == 0);
    BOOST_TEST(out == R"({"cniVersion":"1.1.0","supportedVersions":["0.4.0","1.0.0","1.1.0"]})");
    // An unknown command and a missing environment are errors, before anything is made.
    BOOST_TEST(network::runCniCommand({.command = "FROB", .stdinText = R"({"cniVersion":"1.0.0"})"},
                                      out) == 1);
    BOOST_TEST(nlohmann::json::parse(out)["code"] == 4);
    BOOST_TEST(
        network::runCniCommand({.command = "ADD",
                                .containerId = "",
                                .stdinText = R"({"cniVersion":"1.0.0","root":"/nonexistent/x"})"},
                               out) == 1);
    BOOST_TEST(nlohmann::json::parse(out)["code"] == 4);
    BOOST_TEST(!std::filesystem::exists("/nonexistent/x"));
}

BOOST_AUTO_TEST_SUITE_END()
