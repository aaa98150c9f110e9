// spec/landlock.h (parsing: every field and error path, the presets) and
// libcontainer/security/landlock.h (fitting to ABIs 1..7, one real enforcement check in a forked
// child: Landlock needs no root).

#define BOOST_TEST_MODULE landlock
// meson's boost dependency already passes -DBOOST_TEST_DYN_LINK=1.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "libcontainer/security/landlock.h"

using namespace husk;
using namespace husk::spec;
using Json = nlohmann::json;

namespace {

constexpr uint64_t kAbi1Fs = (1ULL << 13) - 1;

Json parseText(const char *text)
{
    return Json::parse(text);
}

/// The plan of a Landlock object that must parse and restrict something.
LandlockPlan plan(const Json &obj, const std::string &path = "linux.landlock")
{
    auto r = parseLandlock(obj, path);
    BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
    BOOST_REQUIRE(r->has_value());
    return **r;
}

/// The error of a Landlock object that must fail to parse.
std::string parseError(const Json &obj, const std::string &path = "linux.landlock")
{
    auto r = parseLandlock(obj, path);
    BOOST_REQUIRE_MESSAGE(!r, "expected an error, got success");
    return r.error().what();
}

/// The error of a plan that must fail to fit.
std::string fitError(const LandlockPlan &p, int abi)
{
    auto r = fitToAbi(p, abi);
    BOOST_REQUIRE_MESSAGE(!r, "expected an error, got success");
    return r.error().what();
}

LandlockPlan fitted(const LandlockPlan &p, int abi)
{
    auto r = fitToAbi(p, abi);
    BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
    return *r;
}

/// The proposal's own config.md example (runtime-spec PR #1241).
const char *kProposalExample = R"({
    "handledAccess": {
        "handledAccessFS": ["execute", "write_file", "read_file", "read_dir", "remove_dir",
            "remove_file", "make_char", "make_dir", "make_reg", "make_sock", "make_fifo",
            "make_block", "make_sym", "refer", "truncate"],
        "handledAccessNetwork": ["bind", "connect"]
    },
    "rules": {
        "pathBeneath": [
            {"allowedAccess": ["execute", "read_file", "read_dir"], "paths": ["/usr", "/bin"]},
            {"allowedAccess": ["execute", "write_file", "read_file", "read_dir", "remove_dir",
                "remove_file", "make_char", "make_dir", "make_reg", "make_sock", "make_fifo",
                "make_block", "make_sym"], "paths": ["/tmp"]}
        ],
        "networkPort": [{"allowedAccess": ["bind", "connect"], "ports": [80, 443]}]
    },
    "enableBestEffort": true
})";

/// A plan that handles one right of every ABI generation.
LandlockPlan everyGeneration(bool bestEffort)
{
    LandlockPlan p;
    p.handledFs =
        kLandlockFsReadFile | kLandlockFsRefer | kLandlockFsTruncate | kLandlockFsIoctlDev;
    p.handledNet = kLandlockNetConnectTcp;
    p.scoped = kLandlockScopeSignal;
    p.pathRules.push_back({p.handledFs, {"/a"}});
    p.portRules.push_back({kLandlockNetConnectTcp, {443}});
    p.bestEffort = bestEffort;
    return p;
}

/// A fresh directory under $TMPDIR, removed at scope exit.
struct TempDir {
    std::filesystem::path path;
    TempDir()
    {
        std::string tmpl = (std::filesystem::temp_directory_path() / "husk-landlock-XXXXXX");
        BOOST_REQUIRE(mkdtemp(tmpl.data()));
        path = tmpl;
    }
    ~TempDir()
    {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(parse)

BOOST_AUTO_TEST_CASE(proposal_example)
{
    LandlockPlan p = plan(parseText(kProposalExample), "process.landlock");
    BOOST_TEST(p.handledFs == (1ULL << 15) - 1); // execute..truncate
    BOOST_TEST(p.handledNet == (kLandlockNetBindTcp | kLandlockNetConnectTcp));
    BOOST_TEST(p.scoped == 0U);
    BOOST_TEST(p.bestEffort);
    BOOST_REQUIRE(p.pathRules.size() == 2U);
    BOOST_TEST(p.pathRules[0].access ==
               (kLandlockFsExecute | kLandlockFsReadFile | kLandlockFsReadDir));
    BOOST_TEST(p.pathRules[0].paths == (std::vector<std::string>{"/usr", "/bin"}));
    BOOST_TEST(p.pathRules[1].access == kAbi1Fs);
    BOOST_TEST(p.pathRules[1].paths == std::vector<std::string>{"/tmp"});
    BOOST_REQUIRE(p.portRules.size() == 1U);
    BOOST_TEST(p.portRules[0].access == (kLandlockNetBindTcp | kLandlockNetConnectTcp));
    BOOST_TEST(p.portRules[0].ports == (std::vector<uint16_t>{80, 443}));
    BOOST_TEST(p.droppedRights.empty());
}

BOOST_AUTO_TEST_CASE(every_fs_right_has_its_bit)
{
    const std::pair<const char *, uint64_t> all[] = {
        {"execute", kLandlockFsExecute},      {"write_file", kLandlockFsWriteFile},
        {"read_file", kLandlockFsReadFile},   {"read_dir", kLandlockFsReadDir},
        {"remove_dir", kLandlockFsRemoveDir}, {"remove_file", kLandlockFsRemoveFile},
        {"make_char", kLandlockFsMakeChar},   {"make_dir", kLandlockFsMakeDir},
        {"make_reg", kLandlockFsMakeReg},     {"make_sock", kLandlockFsMakeSock},
        {"make_fifo", kLandlockFsMakeFifo},   {"make_block", kLandlockFsMakeBlock},
        {"make_sym", kLandlockFsMakeSym},     {"refer", kLandlockFsRefer},
        {"truncate", kLandlockFsTruncate},    {"ioctl_dev", kLandlockFsIoctlDev},
    };
    for (auto [name, bit] : all) {
        BOOST_TEST_CONTEXT(name)
        {
            LandlockPlan p = plan({{"handledAccess", {{"handledAccessFS", Json::array({name})}}}});
            BOOST_TEST(p.handledFs == bit);
            BOOST_TEST(landlockRightName("fs", bit) == name);
        }
    }
}

BOOST_AUTO_TEST_CASE(network_names_and_kernel_aliases)
{
    LandlockPlan a = plan({{"handledAccess", {{"handledAccessNetwork", Json::array({"bind"})}}}});
    BOOST_TEST(a.handledNet == kLandlockNetBindTcp);
    LandlockPlan b =
        plan({{"handledAccess", {{"handledAccessNetwork", Json::array({"connect_tcp"})}}}});
    BOOST_TEST(b.handledNet == kLandlockNetConnectTcp);
    LandlockPlan c = plan({{"handledAccess", {{"handledAccessNetwork", {"bind_tcp", "connect"}}}}});
    BOOST_TEST(c.handledNet == (kLandlockNetBindTcp | kLandlockNetConnectTcp));
    BOOST_TEST(landlockRightName("net", kLandlockNetBindTcp) == "bind");
    BOOST_TEST(landlockRightName("net", kLandlockNetConnectTcp) == "connect");
}

BOOST_AUTO_TEST_CASE(scopes)
{
    LandlockPlan p = plan({{"handledAccess", {{"scoped", {"abstract_unix_socket", "signal"}}}}});
    BOOST_TEST(p.scoped == (kLandlockScopeAbstractUnixSocket | kLandlockScopeSignal));
    BOOST_TEST(p.handledFs == 0U);
    BOOST_TEST(landlockRightName("scope", kLandlockScopeSignal) == "signal");
    BOOST_TEST(landlockRightName("bogus", 1).empty());
    BOOST_TEST(landlockRightName("fs", 1ULL << 40).empty());
}

BOOST_AUTO_TEST_CASE(older_proposal_names)
{
    // runtime-spec PR #1111: "ruleset" and "disableBestEffort".
    LandlockPlan p = plan(parseText(R"({"ruleset": {"handledAccessFS": ["read_file"]},
        "rules": {"pathBeneath": [{"allowedAccess": ["read_file"], "paths": ["/etc"]}]},
        "disableBestEffort": true})"));
    BOOST_TEST(p.handledFs == kLandlockFsReadFile);
    BOOST_TEST(!p.bestEffort);
    LandlockPlan q = plan(parseText(
        R"({"ruleset": {"handledAccessFS": ["read_file"]}, "disableBestEffort": false})"));
    BOOST_TEST(q.bestEffort);
}

BOOST_AUTO_TEST_CASE(best_effort_flag)
{
    Json base = {{"handledAccess", {{"handledAccessFS", Json::array({"execute"})}}}};
    BOOST_TEST(plan(base).bestEffort); // default
    Json on = base;
    on["enableBestEffort"] = true;
    BOOST_TEST(plan(on).bestEffort);
    Json off = base;
    off["enableBestEffort"] = false;
    BOOST_TEST(!plan(off).bestEffort);
    Json null = base;
    null["enableBestEffort"] = nullptr;
    BOOST_TEST(plan(null).bestEffort);
}

BOOST_AUTO_TEST_CASE(ports_as_integers_and_strings)
{
    LandlockPlan p = plan(parseText(R"({"handledAccess": {"handledAccessNetwork": ["connect"]},
        "rules": {"networkPort": [{"allowedAccess": ["connect"],
                                   "ports": [0, "8080", 65535]}]}})"));
    BOOST_REQUIRE(p.portRules.size() == 1U);
    BOOST_TEST(p.portRules[0].ports == (std::vector<uint16_t>{0, 8080, 65535}));
}

BOOST_AUTO_TEST_CASE(nothing_restricted_is_nullopt)
{
    for (const char *text :
         {"null", "{}", R"({"handledAccess": {}})",
          R"({"handledAccess": {"handledAccessFS": []}, "rules": {}})",
          R"({"rules": {"pathBeneath": [{"paths": ["/x"]}]}})",
          R"({"handledAccess": null, "rules": null, "enableBestEffort": null})"}) {
        BOOST_TEST_CONTEXT(text)
        {
            auto r = parseLandlock(parseText(text), "linux.landlock");
            BOOST_REQUIRE(r);
            BOOST_TEST(!r->has_value());
        }
    }
}

BOOST_AUTO_TEST_CASE(empty_rules_are_kept_for_fit_to_drop)
{
    LandlockPlan p = plan(parseText(R"({"handledAccess": {"handledAccessFS": ["read_file"]},
        "rules": {"pathBeneath": [{"paths": ["/a"]}, {"allowedAccess": ["read_file"]}],
                  "networkPort": [{"ports": [1]}]}})"));
    BOOST_TEST(p.pathRules.size() == 2U);
    BOOST_TEST(p.portRules.size() == 1U);
    LandlockPlan f = fitted(p, 7);
    BOOST_TEST(f.pathRules.empty());
    BOOST_TEST(f.portRules.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(parse_errors)

struct ErrorCase {
    const char *json;
    const char *error;
};

const ErrorCase kErrors[] = {
    {R"("x")", "linux.landlock: expected object, got string"},
    {R"([])", "linux.landlock: expected object, got array"},
    {R"({"handledAcess": {}})", "linux.landlock.handledAcess: unknown field"},
    {R"({"handledAccess": []})", "linux.landlock.handledAccess: expected object, got array"},
    {R"({"ruleset": 1})", "linux.landlock.ruleset: expected object, got number"},
    {R"({"handledAccess": {}, "ruleset": {}})",
     "linux.landlock: \"handledAccess\" and \"ruleset\" (its older name) are both set"},
    {R"({"handledAccess": {"handledAccessFs": []}})",
     "linux.landlock.handledAccess.handledAccessFs: unknown field"},
    {R"({"handledAccess": {"handledAccessFS": "read_file"}})",
     "linux.landlock.handledAccess.handledAccessFS: expected array, got string"},
    {R"({"handledAccess": {"handledAccessFS": ["read_file", 3]}})",
     "linux.landlock.handledAccess.handledAccessFS[1]: expected string, got number"},
    {R"({"handledAccess": {"handledAccessFS": ["read_file", "wrte_file"]}})",
     "linux.landlock.handledAccess.handledAccessFS[1]: unknown access right \"wrte_file\""},
    {R"({"handledAccess": {"handledAccessFS": ["bind"]}})",
     "linux.landlock.handledAccess.handledAccessFS[0]: unknown access right \"bind\""},
    {R"({"handledAccess": {"handledAccessNetwork": ["read_file"]}})",
     "linux.landlock.handledAccess.handledAccessNetwork[0]: unknown access right \"read_file\""},
    {R"({"handledAccess": {"handledAccessNetwork": ["bind_udp"]}})",
     "linux.landlock.handledAccess.handledAccessNetwork[0]: unknown access right \"bind_udp\""},
    {R"({"handledAccess": {"scoped": ["ptrace"]}})",
     "linux.landlock.handledAccess.scoped[0]: unknown scope \"ptrace\""},
    {R"({"handledAccess": {"scoped": {}}})",
     "linux.landlock.handledAccess.scoped: expected array, got object"},
    {R"({"enableBestEffort": "yes"})",
     "linux.landlock.enableBestEffort: expected boolean, got string"},
    {R"({"disableBestEffort": 1})",
     "linux.landlock.disableBestEffort: expected boolean, got number"},
    {R"({"enableBestEffort": true, "disableBestEffort": false})",
     "linux.landlock: \"enableBestEffort\" and \"disableBestEffort\" are both set"},
    {R"({"rules": []})", "linux.landlock.rules: expected object, got array"},
    {R"({"rules": {"netPort": []}})", "linux.landlock.rules.netPort: unknown field"},
    {R"({"rules": {"pathBeneath": {}}})",
     "linux.landlock.rules.pathBeneath: expected array, got object"},
    {R"({"rules": {"pathBeneath": ["x"]}})",
     "linux.landlock.rules.pathBeneath[0]: expected object, got string"},
    {R"({"rules": {"pathBeneath": [{"path": []}]}})",
     "linux.landlock.rules.pathBeneath[0].path: unknown field"},
    {R"({"handledAccess": {"handledAccessFS": ["write_file"]},
         "rules": {"pathBeneath": [{"allowedAccess": ["write_file"], "paths": ["/a"]},
                                   {"allowedAccess": ["wrte_file"]}]}})",
     "linux.landlock.rules.pathBeneath[1].allowedAccess[0]: unknown access right \"wrte_file\""},
    {R"({"handledAccess": {"handledAccessFS": ["read_file"]},
         "rules": {"pathBeneath": [{"allowedAccess": ["read_file", "write_file"]}]}})",
     "linux.landlock.rules.pathBeneath[0].allowedAccess[1]: \"write_file\" is not in "
     "handledAccessFS"},
    {R"({"rules": {"pathBeneath": [{"allowedAccess": "read_file"}]}})",
     "linux.landlock.rules.pathBeneath[0].allowedAccess: expected array, got string"},
    {R"({"rules": {"pathBeneath": [{"paths": "/a"}]}})",
     "linux.landlock.rules.pathBeneath[0].paths: expected array, got string"},
    {R"({"rules": {"pathBeneath": [{"paths": ["/a", false]}]}})",
     "linux.landlock.rules.pathBeneath[0].paths[1]: expected string, got boolean"},
    {R"({"rules": {"pathBeneath": [{"paths": ["/a", "tmp"]}]}})",
     "linux.landlock.rules.pathBeneath[0].paths[1]: \"tmp\" is not an absolute path"},
    {R"({"rules": {"pathBeneath": [{"paths": [""]}]}})",
     "linux.landlock.rules.pathBeneath[0].paths[0]: \"\" is not an absolute path"},
    {R"({"rules": {"networkPort": 80}})",
     "linux.landlock.rules.networkPort: expected array, got number"},
    {R"({"rules": {"networkPort": [[]]}})",
     "linux.landlock.rules.networkPort[0]: expected object, got array"},
    {R"({"rules": {"networkPort": [{"port": [80]}]}})",
     "linux.landlock.rules.networkPort[0].port: unknown field"},
    {R"({"handledAccess": {"handledAccessNetwork": ["bind"]},
         "rules": {"networkPort": [{"allowedAccess": ["connect"], "ports": [80]}]}})",
     "linux.landlock.rules.networkPort[0].allowedAccess[0]: \"connect\" is not in "
     "handledAccessNetwork"},
    {R"({"rules": {"networkPort": [{"allowedAccess": ["execute"]}]}})",
     "linux.landlock.rules.networkPort[0].allowedAccess[0]: unknown access right \"execute\""},
    {R"({"rules": {"networkPort": [{"ports": 80}]}})",
     "linux.landlock.rules.networkPort[0].ports: expected array, got number"},
    {R"({"rules": {"networkPort": [{"ports": [80, 65536]}]}})",
     "linux.landlock.rules.networkPort[0].ports[1]: port 65536 out of range 0-65535"},
    {R"({"rules": {"networkPort": [{"ports": [-1]}]}})",
     "linux.landlock.rules.networkPort[0].ports[0]: port -1 out of range 0-65535"},
    {R"({"rules": {"networkPort": [{"ports": ["99999"]}]}})",
     "linux.landlock.rules.networkPort[0].ports[0]: port 99999 out of range 0-65535"},
    {R"({"rules": {"networkPort": [{"ports": ["99999999999999999999999"]}]}})",
     "linux.landlock.rules.networkPort[0].ports[0]: port 99999999999999999999999 out of range "
     "0-65535"},
    {R"({"rules": {"networkPort": [{"ports": ["http"]}]}})",
     "linux.landlock.rules.networkPort[0].ports[0]: invalid port \"http\""},
    {R"({"rules": {"networkPort": [{"ports": ["80 "]}]}})",
     "linux.landlock.rules.networkPort[0].ports[0]: invalid port \"80 \""},
    {R"({"rules": {"networkPort": [{"ports": [""]}]}})",
     "linux.landlock.rules.networkPort[0].ports[0]: invalid port \"\""},
    {R"({"rules": {"networkPort": [{"ports": [8.5]}]}})",
     "linux.landlock.rules.networkPort[0].ports[0]: expected integer or string, got number"},
    {R"({"rules": {"networkPort": [{"ports": [true]}]}})",
     "linux.landlock.rules.networkPort[0].ports[0]: expected integer or string, got boolean"},
};

BOOST_AUTO_TEST_CASE(each_error_names_its_field)
{
    for (const ErrorCase &c : kErrors)
        BOOST_TEST_CONTEXT(c.json)
        {
            BOOST_TEST(parseError(parseText(c.json)) == c.error);
        }
}

BOOST_AUTO_TEST_CASE(field_path_is_the_callers)
{
    BOOST_TEST(parseError(parseText(R"({"rules": 1})"), "process.landlock") ==
               "process.landlock.rules: expected object, got number");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(from_config)

BOOST_AUTO_TEST_CASE(no_landlock_anywhere)
{
    auto r = landlockFromConfig(parseText(R"({"ociVersion": "1.2.0", "process": {},
        "linux": {}, "annotations": {"other": "x"}})"));
    BOOST_REQUIRE(r);
    BOOST_TEST(!r->has_value());
}

BOOST_AUTO_TEST_CASE(each_source)
{
    Json ll = {{"handledAccess", {{"handledAccessFS", Json::array({"read_file"})}}}};
    Json a = {{"process", {{"landlock", ll}}}};
    Json b = {{"linux", {{"landlock", ll}}}};
    Json c = {{"annotations", {{"run.husk.landlock", ll.dump()}}}};
    for (const Json &config : {a, b, c}) {
        auto r = landlockFromConfig(config);
        BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().what()));
        BOOST_REQUIRE(r->has_value());
        BOOST_TEST((*r)->handledFs == kLandlockFsReadFile);
    }
}

BOOST_AUTO_TEST_CASE(errors_name_the_source)
{
    auto r = landlockFromConfig(parseText(R"({"process": {"landlock": {"rules": 1}}})"));
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().what() == "process.landlock.rules: expected object, got number");

    r = landlockFromConfig(
        parseText(R"({"annotations": {"run.husk.landlock": "{\"enableBestEffort\": 2}"}})"));
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().what() ==
               "annotations[\"run.husk.landlock\"].enableBestEffort: expected boolean, got number");

    r = landlockFromConfig(parseText(R"({"annotations": {"run.husk.landlock": "{"}})"));
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().what().starts_with("annotations[\"run.husk.landlock\"]: syntax error"));

    r = landlockFromConfig(parseText(R"({"annotations": {"run.husk.landlock": {}}})"));
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().what() ==
               "annotations[\"run.husk.landlock\"]: expected string, got object");

    r = landlockFromConfig(parseText("[]"));
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().what() == "expected object, got array");
}

BOOST_AUTO_TEST_CASE(two_sources_are_an_error)
{
    auto r = landlockFromConfig(parseText(R"({"process": {"landlock": {}},
        "annotations": {"run.husk.landlock": "{}"}})"));
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().what() == "landlock is set in both process.landlock and "
                                   "annotations[\"run.husk.landlock\"]; keep one");
    r = landlockFromConfig(
        parseText(R"({"process": {"landlock": {}}, "linux": {"landlock": {}}})"));
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().what() ==
               "landlock is set in both process.landlock and linux.landlock; keep one");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(fit)

BOOST_AUTO_TEST_CASE(best_effort_per_abi)
{
    struct Expect {
        int abi;
        uint64_t fs;
        uint64_t net;
        uint64_t scoped;
        std::vector<std::string> dropped;
    };
    const uint64_t fs =
        kLandlockFsReadFile | kLandlockFsRefer | kLandlockFsTruncate | kLandlockFsIoctlDev;
    const Expect expects[] = {
        {0, 0, 0, 0, {"read_file", "refer", "truncate", "ioctl_dev", "connect", "signal"}},
        {1, kLandlockFsReadFile, 0, 0, {"refer", "truncate", "ioctl_dev", "connect", "signal"}},
        {2,
         kLandlockFsReadFile | kLandlockFsRefer,
         0,
         0,
         {"truncate", "ioctl_dev", "connect", "signal"}},
        {3, fs & ~kLandlockFsIoctlDev, 0, 0, {"ioctl_dev", "connect", "signal"}},
        {4, fs & ~kLandlockFsIoctlDev, kLandlockNetConnectTcp, 0, {"ioctl_dev", "signal"}},
        {5, fs, kLandlockNetConnectTcp, 0, {"signal"}},
        {6, fs, kLandlockNetConnectTcp, kLandlockScopeSignal, {}},
        {7, fs, kLandlockNetConnectTcp, kLandlockScopeSignal, {}},
    };
    for (const Expect &e : expects) {
        BOOST_TEST_CONTEXT("ABI " << e.abi)
        {
            LandlockPlan f = fitted(everyGeneration(true), e.abi);
            BOOST_TEST(f.handledFs == e.fs);
            BOOST_TEST(f.handledNet == e.net);
            BOOST_TEST(f.scoped == e.scoped);
            BOOST_TEST(f.droppedRights == e.dropped);
            BOOST_TEST(f.restrictsAnything() == (e.abi > 0));
            // Rules keep only handled rights, and vanish when none is left.
            if (e.fs) {
                BOOST_REQUIRE(f.pathRules.size() == 1U);
                BOOST_TEST(f.pathRules[0].access == e.fs);
            } else {
                BOOST_TEST(f.pathRules.empty());
            }
            BOOST_TEST(f.portRules.size() == (e.net ? 1U : 0U));
        }
    }
}

BOOST_AUTO_TEST_CASE(strict_per_abi)
{
    LandlockPlan p = everyGeneration(false);
    BOOST_TEST(fitError(p, 0) == "landlock: access right \"read_file\" needs Landlock ABI 1, "
                                 "the kernel provides ABI 0 (Landlock unsupported or disabled), "
                                 "and best effort is disabled");
    BOOST_TEST(fitError(p, 1) == "landlock: access right \"refer\" needs Landlock ABI 2, the "
                                 "kernel provides ABI 1, and best effort is disabled");
    BOOST_TEST(fitError(p, 2) == "landlock: access right \"truncate\" needs Landlock ABI 3, the "
                                 "kernel provides ABI 2, and best effort is disabled");
    BOOST_TEST(fitError(p, 3) == "landlock: access right \"ioctl_dev\" needs Landlock ABI 5, the "
                                 "kernel provides ABI 3, and best effort is disabled");
    LandlockPlan noIoctl = p;
    noIoctl.handledFs &= ~kLandlockFsIoctlDev;
    noIoctl.pathRules[0].access = noIoctl.handledFs;
    BOOST_TEST(fitError(noIoctl, 3) == "landlock: access right \"connect\" needs Landlock ABI 4, "
                                       "the kernel provides ABI 3, and best effort is disabled");
    BOOST_TEST(fitError(p, 5) == "landlock: scope \"signal\" needs Landlock ABI 6, the kernel "
                                 "provides ABI 5, and best effort is disabled");
    LandlockPlan f6 = fitted(p, 6);
    BOOST_TEST(f6.handledFs == p.handledFs);
    BOOST_TEST(f6.droppedRights.empty());
    BOOST_TEST(fitted(p, 7).handledNet == kLandlockNetConnectTcp);
}

BOOST_AUTO_TEST_CASE(strict_checks_rules_too)
{
    // A hand-built plan may grant in a rule what it does not handle; fit still checks it.
    LandlockPlan p;
    p.bestEffort = false;
    p.handledFs = kLandlockFsReadFile;
    p.pathRules.push_back({kLandlockFsReadFile | kLandlockFsTruncate, {"/a"}});
    BOOST_TEST(fitError(p, 2) == "landlock: access right \"truncate\" needs Landlock ABI 3, the "
                                 "kernel provides ABI 2, and best effort is disabled");
    LandlockPlan f = fitted(p, 3);
    BOOST_REQUIRE(f.pathRules.size() == 1U);
    BOOST_TEST(f.pathRules[0].access == kLandlockFsReadFile); // masked by the handled set
}

BOOST_AUTO_TEST_CASE(proposal_example_on_every_abi)
{
    LandlockPlan p = plan(parseText(kProposalExample));
    for (int abi = 1; abi <= 7; ++abi) {
        BOOST_TEST_CONTEXT("ABI " << abi)
        {
            LandlockPlan f = fitted(p, abi);
            BOOST_TEST(f.pathRules.size() == 2U);
            BOOST_TEST(f.portRules.size() == (abi >= 4 ? 1U : 0U));
            BOOST_TEST((f.handledFs & kLandlockFsTruncate) == (abi >= 3 ? kLandlockFsTruncate : 0));
        }
    }
    LandlockPlan strict = p;
    strict.bestEffort = false;
    BOOST_TEST(fitError(strict, 3).find("\"bind\" needs Landlock ABI 4") != std::string::npos);
    BOOST_TEST(fitted(strict, 4).droppedRights.empty());
}

BOOST_AUTO_TEST_CASE(empty_plan_fits_anything)
{
    LandlockPlan p;
    p.bestEffort = false;
    for (int abi = 0; abi <= 7; ++abi)
        BOOST_TEST(!fitted(p, abi).restrictsAnything());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(presets)

BOOST_AUTO_TEST_CASE(unknown_name)
{
    BOOST_TEST(!landlockPreset("laptop"));
    BOOST_TEST(!landlockPreset(""));
}

BOOST_AUTO_TEST_CASE(server_and_desktop_parse_and_fit)
{
    for (const char *name : {"server", "desktop"}) {
        BOOST_TEST_CONTEXT(name)
        {
            auto preset = landlockPreset(name);
            BOOST_REQUIRE(preset);
            LandlockPlan p = plan(*preset, "process.landlock");
            BOOST_TEST(p.bestEffort);
            BOOST_TEST(p.handledFs == (1ULL << 16) - 1); // every right up to ioctl_dev
            BOOST_TEST(p.handledNet == 0U);
            BOOST_TEST(p.scoped == 0U);
            for (int abi = 1; abi <= 7; ++abi) {
                LandlockPlan f = fitted(p, abi);
                BOOST_TEST(f.restrictsAnything());
                BOOST_TEST(f.pathRules.size() == p.pathRules.size());
            }
            BOOST_TEST(fitted(p, 1).droppedRights ==
                       (std::vector<std::string>{"refer", "truncate", "ioctl_dev"}));
        }
    }
}

BOOST_AUTO_TEST_CASE(server_grants)
{
    LandlockPlan p = plan(*landlockPreset("server"));
    auto rightsOn = [&](const std::string &path) {
        uint64_t m = 0;
        for (const LandlockPathRule &r : p.pathRules)
            for (const std::string &q : r.paths)
                if (q == path)
                    m |= r.access;
        return m;
    };
    for (const char *d : {"/bin", "/sbin", "/usr", "/lib", "/lib64"})
        BOOST_TEST(rightsOn(d) == (kLandlockFsExecute | kLandlockFsReadFile | kLandlockFsReadDir));
    BOOST_TEST(rightsOn("/etc") == (kLandlockFsReadFile | kLandlockFsReadDir));
    for (const char *d : {"/tmp", "/var", "/run", "/data"}) {
        BOOST_TEST_CONTEXT(d)
        {
            uint64_t m = rightsOn(d);
            BOOST_TEST((m & kLandlockFsWriteFile) != 0U);
            BOOST_TEST((m & kLandlockFsMakeReg) != 0U);
            BOOST_TEST((m & kLandlockFsTruncate) != 0U);
            BOOST_TEST((m & kLandlockFsExecute) == 0U);
            BOOST_TEST((m & (kLandlockFsMakeChar | kLandlockFsMakeBlock)) == 0U);
        }
    }
    BOOST_TEST(rightsOn("/home") == 0U);
    BOOST_TEST(rightsOn("/dev/shm") == 0U);
    BOOST_TEST((rightsOn("/dev") & kLandlockFsWriteFile) != 0U);
}

BOOST_AUTO_TEST_CASE(desktop_adds_homes_and_shm)
{
    LandlockPlan p = plan(*landlockPreset("desktop"));
    uint64_t home = 0, root = 0, shm = 0;
    for (const LandlockPathRule &r : p.pathRules)
        for (const std::string &q : r.paths) {
            home |= q == "/home" ? r.access : 0;
            root |= q == "/root" ? r.access : 0;
            shm |= q == "/dev/shm" ? r.access : 0;
        }
    BOOST_TEST((home & kLandlockFsWriteFile) != 0U);
    BOOST_TEST(home == root);
    BOOST_TEST((shm & kLandlockFsMakeReg) != 0U);
    BOOST_TEST((shm & kLandlockFsExecute) == 0U);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(enforcement)

namespace {

// Child exit codes: 0 all as expected; others say which step went wrong.
enum ChildResult {
    kChildOk = 0,
    kApplyFailed = 10,
    kWriteInBSucceeded = 11,
    kWriteInBWrongErrno = 12,
    kWriteInAFailed = 13,
    kReadInBSucceeded = 14,
    kMissingPathNotSkipped = 15,
};

/// Forks; the child applies `p` then runs `check`, and its exit code comes back.
template <typename F> int inChild(const LandlockPlan &p, F check)
{
    pid_t pid = fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
        // The child only makes syscalls and _exits: no Boost.Test, no exceptions, no return.
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
            _exit(kApplyFailed);
        auto r = applyLandlock(p);
        if (!r)
            _exit(kApplyFailed);
        _exit(check());
    }
    int status = 0;
    BOOST_REQUIRE(waitpid(pid, &status, 0) == pid);
    BOOST_REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status);
}

} // namespace

boost::test_tools::assertion_result hasLandlock(boost::unit_test::test_unit_id)
{
    boost::test_tools::assertion_result r(landlockAbi() > 0);
    r.message() << "skipped: Landlock is not available on this kernel (ABI 0)";
    return r;
}

BOOST_AUTO_TEST_CASE(writes_only_beneath_the_allowed_dir,
                     *boost::unit_test::precondition(hasLandlock))
{
    int abi = landlockAbi();
    BOOST_TEST_MESSAGE("Landlock ABI " << abi);
    TempDir a, b;
    std::string fileInB = (b.path / "secret").string();
    {
        int fd = ::open(fileInB.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        BOOST_REQUIRE(fd >= 0);
        ::close(fd);
    }
    LandlockPlan p;
    p.handledFs =
        kLandlockFsReadFile | kLandlockFsWriteFile | kLandlockFsMakeReg | kLandlockFsTruncate;
    p.pathRules.push_back({p.handledFs, {a.path.string()}});
    auto f = fitToAbi(p, abi);
    BOOST_REQUIRE(f);

    std::string newInA = (a.path / "ok").string();
    std::string newInB = (b.path / "denied").string();
    int code = inChild(*f, [&] {
        int fd = ::open(newInB.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0)
            return kWriteInBSucceeded;
        if (errno != EACCES)
            return kWriteInBWrongErrno;
        if (::open(fileInB.c_str(), O_RDONLY | O_CLOEXEC) >= 0)
            return kReadInBSucceeded;
        fd = ::open(newInA.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0 || ::write(fd, "x", 1) != 1)
            return kWriteInAFailed;
        ::close(fd);
        return kChildOk;
    });
    BOOST_TEST(code == kChildOk);
    BOOST_TEST(std::filesystem::exists(newInA));
    BOOST_TEST(!std::filesystem::exists(newInB));
    // The parent was never restricted.
    int fd = ::open((b.path / "parent").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    BOOST_TEST(fd >= 0);
    ::close(fd);
}

BOOST_AUTO_TEST_CASE(missing_path_best_effort_and_strict,
                     *boost::unit_test::precondition(hasLandlock))
{
    TempDir a;
    std::string missing = (a.path / "does-not-exist").string();
    LandlockPlan p;
    p.handledFs = kLandlockFsWriteFile | kLandlockFsMakeReg;
    p.pathRules.push_back({p.handledFs, {missing, a.path.string()}});

    std::string target = (a.path / "made").string();
    int code = inChild(p, [&] {
        int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
            return kMissingPathNotSkipped;
        ::close(fd);
        return kChildOk;
    });
    BOOST_TEST(code == kChildOk);

    p.bestEffort = false;
    pid_t pid = fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
        auto r = applyLandlock(p);
        _exit(!r && r.error().code() == ENOENT && r.error().message() == "landlock: open " + missing
                  ? 0
                  : 1);
    }
    int status = 0;
    BOOST_REQUIRE(waitpid(pid, &status, 0) == pid);
    BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0));
}

BOOST_AUTO_TEST_CASE(file_rule_keeps_file_rights_only, *boost::unit_test::precondition(hasLandlock))
{
    // A rule on a regular file with directory rights (read_dir, make_reg) would be EINVAL from
    // the kernel; applyLandlock keeps the file rights.
    TempDir a;
    std::string file = (a.path / "f").string();
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    BOOST_REQUIRE(fd >= 0);
    ::close(fd);
    LandlockPlan p;
    p.handledFs = kLandlockFsReadFile | kLandlockFsReadDir | kLandlockFsMakeReg;
    p.pathRules.push_back({p.handledFs, {file}});
    int code = inChild(p, [&] {
        int f = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
        if (f < 0)
            return kWriteInAFailed;
        ::close(f);
        if (::open(a.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC) >= 0)
            return kReadInBSucceeded; // read_dir was not granted on the directory
        return kChildOk;
    });
    BOOST_TEST(code == kChildOk);
}

BOOST_AUTO_TEST_CASE(abi_matches_the_kernel)
{
    int abi = landlockAbi();
    BOOST_TEST_MESSAGE("landlockAbi() = " << abi);
    BOOST_TEST(abi >= 0);
}

BOOST_AUTO_TEST_SUITE_END()
