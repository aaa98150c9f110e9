#include "spec/parse.h"

#include <exception>

#include "common/file.h"
#include "common/log.h"
#include "spec/json_reader.h"

namespace husk::spec {

using detail::Json;
using detail::optionalMember;
using detail::requiredMember;

namespace detail {

Result<void> decode(const Json &v, const std::string &path, IdMapping &out)
{
    HUSK_TRY(expectObject(v, path));
    HUSK_TRY(requiredMember(v, path, "containerID", out.containerId));
    HUSK_TRY(requiredMember(v, path, "hostID", out.hostId));
    HUSK_TRY(requiredMember(v, path, "size", out.size));
    return {};
}

Result<void> decode(const Json &v, const std::string &path, Mount &out)
{
    HUSK_TRY(expectObject(v, path));
    HUSK_TRY(requiredMember(v, path, "destination", out.destination));
    std::string destPath = memberPath(path, "destination");
    if (out.destination.empty())
        return pathError(destPath, "must not be empty");
    if (out.destination.front() != '/') {
        // config.md: on Linux a relative destination is deprecated but allowed and MUST be
        // taken as relative to "/". runc warns and does the same; doing it here means nothing
        // downstream can mistake it for a path relative to the bundle or the cwd.
        log::warn(destPath + ": relative mount destination \"" + out.destination +
                  "\" is deprecated, using \"/" + out.destination + "\"");
        out.destination = "/" + out.destination;
    }
    HUSK_TRY(optionalMember(v, path, "source", out.source));
    HUSK_TRY(optionalMember(v, path, "type", out.type));
    HUSK_TRY(optionalMember(v, path, "options", out.options));
    HUSK_TRY(optionalMember(v, path, "uidMappings", out.uidMappings));
    HUSK_TRY(optionalMember(v, path, "gidMappings", out.gidMappings));
    return {};
}

Result<void> decode(const Json &v, const std::string &path, Hook &out)
{
    HUSK_TRY(expectObject(v, path));
    HUSK_TRY(requiredMember(v, path, "path", out.path));
    HUSK_TRY(optionalMember(v, path, "args", out.args));
    HUSK_TRY(optionalMember(v, path, "env", out.env));
    HUSK_TRY(optionalMember(v, path, "timeout", out.timeout));
    return {};
}

Result<void> decode(const Json &v, const std::string &path, Namespace &out)
{
    HUSK_TRY(expectObject(v, path));
    std::string name;
    HUSK_TRY(requiredMember(v, path, "type", name));
    std::optional<NamespaceType> type = namespaceTypeFromName(name);
    if (!type)
        return pathError(memberPath(path, "type"), "unknown namespace \"" + name + "\"");
    out.type = *type;
    HUSK_TRY(optionalMember(v, path, "path", out.path));
    return {};
}

} // namespace detail

namespace {

Result<Root> parseRoot(const Json &v, const std::string &path)
{
    HUSK_TRY(detail::expectObject(v, path));
    Root root;
    HUSK_TRY(requiredMember(v, path, "path", root.path));
    HUSK_TRY(optionalMember(v, path, "readonly", root.readonly));
    return root;
}

Result<Hooks> parseHooks(const Json &v, const std::string &path)
{
    HUSK_TRY(detail::expectObject(v, path));
    Hooks hooks;
    for (const HookKind &kind : kHookKinds)
        HUSK_TRY(optionalMember(v, path, kind.name, hooks.*kind.member));
    return hooks;
}

// nlohmann's text is "[json.exception.parse_error.101] parse error at line 3, column 5: syntax
// error while parsing object key - invalid literal; last read: '...'; expected string literal".
// Rewrite it as "syntax error at line 3 column 5: while parsing object key - ..." on one line.
std::string syntaxMessage(const std::string &what)
{
    std::string rest = what;
    if (size_t close = rest.find("] ");
        rest.starts_with("[json.exception.") && close != std::string::npos)
        rest.erase(0, close + 2);
    if (rest.starts_with("parse error "))
        rest.erase(0, 12);
    std::string where;
    if (rest.starts_with("at line ")) {
        size_t colon = rest.find(": ");
        if (colon != std::string::npos) {
            where = rest.substr(3, colon - 3); // "line 3, column 5"
            rest.erase(0, colon + 2);
            if (size_t comma = where.find(','); comma != std::string::npos)
                where.erase(comma, 1);
        }
    }
    if (rest.starts_with("syntax error "))
        rest.erase(0, 13);
    for (char &c : rest)
        if (c == '\n' || c == '\r')
            c = ' ';
    return where.empty() ? "syntax error: " + rest : "syntax error at " + where + ": " + rest;
}

} // namespace

std::optional<NamespaceType> namespaceTypeFromName(std::string_view name)
{
    for (NamespaceType t : kNamespaceTypes)
        if (name == namespaceTypeName(t))
            return t;
    return std::nullopt;
}

Result<void> checkJsonBounds(std::string_view text)
{
    if (text.size() > kMaxJsonBytes)
        return fail("larger than " + std::to_string(kMaxJsonBytes >> 20) +
                    " MiB, the most husk reads");
    int depth = 0;
    bool inString = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char ch = text[i];
        if (inString) {
            if (ch == '\\')
                ++i; // the escaped character cannot end the string
            else if (ch == '"')
                inString = false;
            continue;
        }
        switch (ch) {
        case '"':
            inString = true;
            break;
        case '[':
        case '{':
            if (++depth > kMaxJsonDepth)
                return fail("exceeded max depth " + std::to_string(kMaxJsonDepth) +
                            " (nesting of arrays and objects) at byte " + std::to_string(i));
            break;
        case ']':
        case '}':
            --depth; // unbalanced text is the parser's to report
            break;
        default:
            break;
        }
    }
    return {};
}

Result<nlohmann::json> parseJsonText(std::string_view text,
                                     const nlohmann::json::parser_callback_t &filter)
{
    HUSK_TRY(checkJsonBounds(text));
    try {
        return Json::parse(text.begin(), text.end(), filter);
    } catch (const Json::parse_error &e) {
        return fail(syntaxMessage(e.what()));
    } catch (const std::exception &e) {
        return fail(std::string("invalid JSON: ") + e.what());
    }
}

Result<nlohmann::json> readJsonFileAt(int dirfd, const std::string &path,
                                      const nlohmann::json::parser_callback_t &filter)
{
    std::string text = HUSK_TRY(readFileAt(dirfd, path, kMaxJsonBytes));
    return HUSK_TRY_CTX(parseJsonText(text, filter), path);
}

Result<Config> parseConfig(const nlohmann::json &doc)
{
    // Nothing below should throw (every access is type-checked first), but nlohmann is the one
    // place in spec/ that could, and an exception must never leave the module.
    try {
        const std::string top;
        HUSK_TRY(detail::expectObject(doc, top));
        Config c;
        HUSK_TRY(requiredMember(doc, top, "ociVersion", c.ociVersion));
        // config.md: root is OPTIONAL only for Windows Hyper-V containers; REQUIRED elsewhere.
        const Json *root = detail::findMember(doc, "root");
        if (!root)
            return detail::pathError("root", "missing required field");
        c.root = HUSK_TRY(parseRoot(*root, "root"));
        HUSK_TRY(optionalMember(doc, top, "mounts", c.mounts));
        if (const Json *p = detail::findMember(doc, "process"))
            c.process = HUSK_TRY(parseProcess(*p, "process"));
        HUSK_TRY(optionalMember(doc, top, "hostname", c.hostname));
        HUSK_TRY(optionalMember(doc, top, "domainname", c.domainname));
        if (const Json *h = detail::findMember(doc, "hooks"))
            c.hooks = HUSK_TRY(parseHooks(*h, "hooks"));
        HUSK_TRY(optionalMember(doc, top, "annotations", c.annotations));
        if (const Json *l = detail::findMember(doc, "linux"))
            c.linux = HUSK_TRY(detail::parseLinux(*l, "linux"));
        c.landlock = HUSK_TRY(landlockFromConfig(doc));
        c.raw = doc;
        return c;
    } catch (const std::exception &e) {
        return fail(std::string("parse config: ") + e.what());
    }
}

std::string keyPath(const std::string &base, std::string_view key)
{
    return base + "[" +
           detail::Json(std::string(key))
               .dump(-1, ' ', false, detail::Json::error_handler_t::replace) +
           "]";
}

Result<Config> parseConfigText(std::string_view text)
{
    Json doc = HUSK_TRY_CTX(parseJsonText(text), "parse config.json");
    return HUSK_TRY_CTX(parseConfig(doc), "parse config.json");
}

Result<Config> loadConfig(const std::string &bundleDir)
{
    std::string path = bundleDir.empty() ? "config.json" : bundleDir + "/config.json";
    std::string text = HUSK_TRY(readFile(path, kMaxJsonBytes));
    return parseConfigText(text);
}

} // namespace husk::spec
