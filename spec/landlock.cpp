#include "spec/landlock.h"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <exception>
#include <initializer_list>

#include "spec/parse.h"

namespace husk::spec {

namespace {

using Json = nlohmann::json;
using Kind = LandlockKind;
using Right = LandlockRight;

constexpr Right kFsRights[] = {
    {"execute", kLandlockFsExecute, 1},
    {"write_file", kLandlockFsWriteFile, 1},
    {"read_file", kLandlockFsReadFile, 1},
    {"read_dir", kLandlockFsReadDir, 1},
    {"remove_dir", kLandlockFsRemoveDir, 1},
    {"remove_file", kLandlockFsRemoveFile, 1},
    {"make_char", kLandlockFsMakeChar, 1},
    {"make_dir", kLandlockFsMakeDir, 1},
    {"make_reg", kLandlockFsMakeReg, 1},
    {"make_sock", kLandlockFsMakeSock, 1},
    {"make_fifo", kLandlockFsMakeFifo, 1},
    {"make_block", kLandlockFsMakeBlock, 1},
    {"make_sym", kLandlockFsMakeSym, 1},
    {"refer", kLandlockFsRefer, 2},
    {"truncate", kLandlockFsTruncate, 3},
    {"ioctl_dev", kLandlockFsIoctlDev, 5}, // husk extension: not in the proposal
};

// "bind" and "connect" are the proposal's names; the kernel's "bind_tcp" and "connect_tcp"
// (after LANDLOCK_ACCESS_NET_*) are accepted as aliases and never printed.
constexpr Right kNetRights[] = {
    {"bind", kLandlockNetBindTcp, 4},
    {"connect", kLandlockNetConnectTcp, 4},
    {"bind_tcp", kLandlockNetBindTcp, 4},
    {"connect_tcp", kLandlockNetConnectTcp, 4},
};

constexpr Right kScopes[] = {
    {"abstract_unix_socket", kLandlockScopeAbstractUnixSocket, 6},
    {"signal", kLandlockScopeSignal, 6},
};
std::span<const Right> rightsOf(Kind kind)
{
    return landlockRights(kind);
}

const char *kindNoun(Kind kind)
{
    return landlockKindNoun(kind);
}

/// The first (canonical) right of a kind with this bit, or nullptr.
const Right *rightOfBit(Kind kind, uint64_t bit)
{
    for (const Right &r : rightsOf(kind))
        if (r.bit == bit)
            return &r;
    return nullptr;
}

std::string quoted(const std::string &s)
{
    return Json(s).dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string member(const std::string &path, std::string_view key)
{
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string index(const std::string &path, size_t i)
{
    return path + "[" + std::to_string(i) + "]";
}

std::unexpected<Error> pathError(const std::string &path, std::string_view message)
{
    return fail(path.empty() ? std::string(message) : path + ": " + std::string(message));
}

std::unexpected<Error> typeError(const std::string &path, std::string_view what, const Json &v)
{
    return pathError(path, "expected " + std::string(what) + ", got " + v.type_name());
}

/// obj[key] when present and not null (null means "not set", as in spec/).
const Json *find(const Json &obj, std::string_view key)
{
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null())
        return nullptr;
    return &*it;
}

// Unknown members are errors here, unlike the rest of config.json: a misspelt "handledAccess"
// would otherwise silently turn the sandbox off.
Result<void> checkMembers(const Json &obj, const std::string &path,
                          std::initializer_list<std::string_view> known)
{
    for (auto it = obj.begin(); it != obj.end(); ++it)
        if (std::find(known.begin(), known.end(), it.key()) == known.end())
            return pathError(member(path, it.key()), "unknown field");
    return {};
}

Result<const Json *> findObject(const Json &obj, const std::string &path, std::string_view key)
{
    const Json *v = find(obj, key);
    if (v && !v->is_object())
        return typeError(member(path, key), "object", *v);
    if (v)
        return v;
    return nullptr;
}

Result<const Json *> findArray(const Json &obj, const std::string &path, std::string_view key)
{
    const Json *v = find(obj, key);
    if (v && !v->is_array())
        return typeError(member(path, key), "array", *v);
    if (v)
        return v;
    return nullptr;
}

/// An array of right names. With `handled`, each right must also be in *handled (the kernel
/// refuses a rule granting a right its ruleset does not handle).
Result<uint64_t> parseRights(const Json &v, const std::string &path, Kind kind,
                             const uint64_t *handled = nullptr, std::string_view handledName = {})
{
    if (!v.is_array())
        return typeError(path, "array", v);
    uint64_t mask = 0;
    for (size_t i = 0; i < v.size(); ++i) {
        std::string p = index(path, i);
        if (!v[i].is_string())
            return typeError(p, "string", v[i]);
        const std::string &name = v[i].get_ref<const std::string &>();
        const Right *found = nullptr;
        for (const Right &r : rightsOf(kind))
            if (name == r.name)
                found = &r;
        if (!found)
            return pathError(p, std::string("unknown ") + kindNoun(kind) + " " + quoted(name));
        if (handled && !(*handled & found->bit))
            return pathError(p, quoted(name) + " is not in " + std::string(handledName));
        mask |= found->bit;
    }
    return mask;
}

Result<uint16_t> parsePort(const Json &v, const std::string &path)
{
    uint64_t port = 0;
    if (v.is_number_unsigned()) {
        port = v.get<uint64_t>();
    } else if (v.is_number_integer()) {
        return pathError(path,
                         "port " + std::to_string(v.get<int64_t>()) + " out of range 0-65535");
    } else if (v.is_string()) {
        // The proposal's Go type is []string while its schema and example use integers.
        const std::string &s = v.get_ref<const std::string &>();
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
        if (s.empty() || ec == std::errc::invalid_argument || end != s.data() + s.size())
            return pathError(path, "invalid port " + quoted(s));
        if (ec == std::errc::result_out_of_range)
            return pathError(path, "port " + s + " out of range 0-65535");
    } else {
        return typeError(path, "integer or string", v);
    }
    if (port > 65535)
        return pathError(path, "port " + std::to_string(port) + " out of range 0-65535");
    return static_cast<uint16_t>(port);
}

Result<void> parseHandled(const Json &h, const std::string &path, LandlockPlan &plan)
{
    HUSK_TRY(checkMembers(h, path, {"handledAccessFS", "handledAccessNetwork", "scoped"}));
    if (const Json *fs = find(h, "handledAccessFS"))
        plan.handledFs = HUSK_TRY(parseRights(*fs, member(path, "handledAccessFS"), Kind::Fs));
    if (const Json *net = find(h, "handledAccessNetwork"))
        plan.handledNet =
            HUSK_TRY(parseRights(*net, member(path, "handledAccessNetwork"), Kind::Net));
    if (const Json *sc = find(h, "scoped"))
        plan.scoped = HUSK_TRY(parseRights(*sc, member(path, "scoped"), Kind::Scope));
    return {};
}

Result<void> parsePathRules(const Json &arr, const std::string &path, LandlockPlan &plan)
{
    for (size_t i = 0; i < arr.size(); ++i) {
        std::string p = index(path, i);
        const Json &r = arr[i];
        if (!r.is_object())
            return typeError(p, "object", r);
        HUSK_TRY(checkMembers(r, p, {"allowedAccess", "paths"}));
        LandlockPathRule rule;
        if (const Json *a = find(r, "allowedAccess"))
            rule.access = HUSK_TRY(parseRights(*a, member(p, "allowedAccess"), Kind::Fs,
                                               &plan.handledFs, "handledAccessFS"));
        if (const Json *paths = HUSK_TRY(findArray(r, p, "paths"))) {
            for (size_t j = 0; j < paths->size(); ++j) {
                std::string pp = index(member(p, "paths"), j);
                const Json &v = (*paths)[j];
                if (!v.is_string())
                    return typeError(pp, "string", v);
                const std::string &s = v.get_ref<const std::string &>();
                // The init opens these after pivot_root; a relative path would depend on its cwd.
                if (!s.starts_with('/'))
                    return pathError(pp, quoted(s) + " is not an absolute path");
                rule.paths.push_back(s);
            }
        }
        plan.pathRules.push_back(std::move(rule));
    }
    return {};
}

Result<void> parsePortRules(const Json &arr, const std::string &path, LandlockPlan &plan)
{
    for (size_t i = 0; i < arr.size(); ++i) {
        std::string p = index(path, i);
        const Json &r = arr[i];
        if (!r.is_object())
            return typeError(p, "object", r);
        HUSK_TRY(checkMembers(r, p, {"allowedAccess", "ports"}));
        LandlockPortRule rule;
        if (const Json *a = find(r, "allowedAccess"))
            rule.access = HUSK_TRY(parseRights(*a, member(p, "allowedAccess"), Kind::Net,
                                               &plan.handledNet, "handledAccessNetwork"));
        if (const Json *ports = HUSK_TRY(findArray(r, p, "ports")))
            for (size_t j = 0; j < ports->size(); ++j)
                rule.ports.push_back(
                    HUSK_TRY(parsePort((*ports)[j], index(member(p, "ports"), j))));
        plan.portRules.push_back(std::move(rule));
    }
    return {};
}

Result<std::optional<LandlockPlan>> parseObject(const Json &obj, const std::string &path)
{
    if (obj.is_null())
        return std::nullopt;
    if (!obj.is_object())
        return typeError(path, "object", obj);
    HUSK_TRY(checkMembers(
        obj, path, {"handledAccess", "ruleset", "rules", "enableBestEffort", "disableBestEffort"}));
    LandlockPlan plan;

    // PR #1111 called the handled set "ruleset" (after struct landlock_ruleset_attr).
    const Json *handled = HUSK_TRY(findObject(obj, path, "handledAccess"));
    const Json *ruleset = HUSK_TRY(findObject(obj, path, "ruleset"));
    if (handled && ruleset)
        return pathError(path, "\"handledAccess\" and \"ruleset\" (its older name) are both set");
    if (handled)
        HUSK_TRY(parseHandled(*handled, member(path, "handledAccess"), plan));
    else if (ruleset)
        HUSK_TRY(parseHandled(*ruleset, member(path, "ruleset"), plan));

    // PR #1241 renamed disableBestEffort (PR #1111) to enableBestEffort and its text still
    // describes the old polarity; husk reads each name literally: enableBestEffort false or
    // disableBestEffort true means strict. Both default to best effort, as both texts say.
    const Json *enable = find(obj, "enableBestEffort");
    const Json *disable = find(obj, "disableBestEffort");
    if (enable && disable)
        return pathError(path, "\"enableBestEffort\" and \"disableBestEffort\" are both set");
    if (enable) {
        if (!enable->is_boolean())
            return typeError(member(path, "enableBestEffort"), "boolean", *enable);
        plan.bestEffort = enable->get<bool>();
    }
    if (disable) {
        if (!disable->is_boolean())
            return typeError(member(path, "disableBestEffort"), "boolean", *disable);
        plan.bestEffort = !disable->get<bool>();
    }

    if (const Json *rules = HUSK_TRY(findObject(obj, path, "rules"))) {
        std::string rp = member(path, "rules");
        HUSK_TRY(checkMembers(*rules, rp, {"pathBeneath", "networkPort"}));
        if (const Json *pb = HUSK_TRY(findArray(*rules, rp, "pathBeneath")))
            HUSK_TRY(parsePathRules(*pb, member(rp, "pathBeneath"), plan));
        if (const Json *np = HUSK_TRY(findArray(*rules, rp, "networkPort")))
            HUSK_TRY(parsePortRules(*np, member(rp, "networkPort"), plan));
    }
    if (!plan.restrictsAnything())
        return std::nullopt;
    return plan;
}

} // namespace

std::span<const LandlockRight> landlockRights(LandlockKind kind)
{
    switch (kind) {
    case Kind::Fs:
        return kFsRights;
    case Kind::Net:
        return kNetRights;
    case Kind::Scope:
        return kScopes;
    }
    return {};
}

const char *landlockKindNoun(LandlockKind kind)
{
    return kind == Kind::Scope ? "scope" : "access right";
}

std::string_view landlockRightName(std::string_view kind, uint64_t bit)
{
    Kind k = Kind::Scope;
    if (kind == "fs")
        k = Kind::Fs;
    else if (kind == "net")
        k = Kind::Net;
    else if (kind != "scope")
        return {};
    const Right *r = rightOfBit(k, bit);
    return r ? r->name : std::string_view{};
}

Result<std::optional<LandlockPlan>> parseLandlock(const nlohmann::json &obj,
                                                  const std::string &fieldPath)
{
    // Every access above is type-checked first, so nothing should throw; this keeps an
    // unexpected nlohmann exception from leaving the module anyway.
    try {
        return parseObject(obj, fieldPath);
    } catch (const std::exception &e) {
        return pathError(fieldPath, std::string("invalid Landlock object: ") + e.what());
    }
}

Result<std::optional<LandlockPlan>> landlockFromConfig(const nlohmann::json &config)
{
    try {
        if (!config.is_object())
            return typeError("", "object", config);
        struct Source {
            std::string path;
            Json value;
        };
        std::vector<Source> sources;
        for (const char *section : {"process", "linux"}) {
            const Json *s = find(config, section);
            if (s && s->is_object())
                if (const Json *ll = find(*s, "landlock"))
                    sources.push_back({member(section, "landlock"), *ll});
        }
        if (const Json *ann = find(config, "annotations"); ann && ann->is_object()) {
            if (const Json *text = find(*ann, kLandlockAnnotation)) {
                std::string path = std::string("annotations[\"") + kLandlockAnnotation + "\"]";
                if (!text->is_string())
                    return typeError(path, "string", *text);
                auto doc = spec::parseJsonText(text->get_ref<const std::string &>());
                if (!doc)
                    return wrap(std::move(doc).error(), path);
                sources.push_back({path, std::move(*doc)});
            }
        }
        if (sources.empty())
            return std::nullopt;
        if (sources.size() > 1)
            return fail("landlock is set in both " + sources[0].path + " and " + sources[1].path +
                        "; keep one");
        return parseObject(sources[0].value, sources[0].path);
    } catch (const std::exception &e) {
        return fail(std::string("landlock: invalid config: ") + e.what());
    }
}

std::optional<nlohmann::json> landlockPreset(std::string_view name)
{
    // Both presets handle every file-system right up to ABI 5 (deny by default; best effort
    // drops what an older kernel lacks) and no network rights or scopes: a server must bind and
    // connect to ports the preset cannot know, and desktop programs use abstract sockets.
    // Grants: programs and libraries are read+execute; /etc, /proc and /sys are read-only;
    // writable trees get everything but execute (no running what was just written) and device
    // node creation (make_char, make_block); /dev gets read+write+truncate (`> /dev/null` opens
    // with O_TRUNC) and ioctl_dev (terminals). /proc, /sys and /dev are not in the brief's lists
    // but almost every program touches them. Paths missing from the image are skipped with a
    // warning (best effort).
    const Json rx = Json::array({"execute", "read_file", "read_dir"});
    const Json ro = Json::array({"read_file", "read_dir"});
    const Json rw =
        Json::array({"write_file", "read_file", "read_dir", "remove_dir", "remove_file", "make_dir",
                     "make_reg", "make_sock", "make_fifo", "make_sym", "refer", "truncate"});
    const Json dev = Json::array({"write_file", "read_file", "read_dir", "truncate", "ioctl_dev"});
    Json rwx = rw;
    rwx.push_back("execute");
    Json handled = Json::array();
    for (const Right &r : kFsRights)
        handled.push_back(r.name);

    Json rules = Json::array({
        {{"allowedAccess", rx},
         {"paths", Json::array({"/bin", "/sbin", "/usr", "/lib", "/lib64"})}},
        {{"allowedAccess", ro}, {"paths", Json::array({"/etc", "/proc", "/sys"})}},
        {{"allowedAccess", dev}, {"paths", Json::array({"/dev"})}},
    });
    if (name == "server") {
        rules.push_back(
            {{"allowedAccess", rw}, {"paths", Json::array({"/tmp", "/var", "/run", "/data"})}});
    } else if (name == "desktop") {
        // Like server, plus homes (where users keep and run their own scripts) and /dev/shm.
        rules.push_back({{"allowedAccess", rw},
                         {"paths", Json::array({"/tmp", "/var", "/run", "/data", "/dev/shm"})}});
        rules.push_back({{"allowedAccess", rwx}, {"paths", Json::array({"/home", "/root"})}});
    } else {
        return std::nullopt;
    }
    return Json{{"handledAccess", {{"handledAccessFS", handled}}},
                {"rules", {{"pathBeneath", rules}}},
                {"enableBestEffort", true}};
}

} // namespace husk::spec
