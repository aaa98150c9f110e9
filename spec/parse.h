#pragma once

// config.json → spec::Config. Parsing checks structure only (types, ranges, required members,
// enum values held as C++ enums); semantic rules live in spec/validate.h. Errors name the JSON
// path of the offending value: "linux.namespaces[2].type: unknown namespace \"netx\"".

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "spec/config.h"

namespace husk::spec {

/// Converts a parsed config.json document; unknown members are ignored, Config::raw is doc.
[[nodiscard]] Result<Config> parseConfig(const nlohmann::json &doc);

/// Parses config.json text; every error is one line prefixed "parse config.json: ".
[[nodiscard]] Result<Config> parseConfigText(std::string_view text);

/// Reads and parses <bundleDir>/config.json.
[[nodiscard]] Result<Config> loadConfig(const std::string &bundleDir);

/// Converts a process object (config.process, or exec's --process file with path "").
[[nodiscard]] Result<Process> parseProcess(const nlohmann::json &doc, const std::string &path);

/// The largest JSON document husk reads (config.json, state.json, --process and -r files,
/// Landlock files, pod, network and lease files). Real ones are kilobytes.
inline constexpr size_t kMaxJsonBytes = size_t{64} << 20;
/// The deepest nesting of arrays and objects husk accepts. nlohmann's copy and dump recurse
/// once per level (a 70,000-level document overflows the stack); real documents are under 10.
inline constexpr int kMaxJsonDepth = 1000;

/// Checks text against kMaxJsonBytes and kMaxJsonDepth in one pass, without recursion and
/// before anything parses it: "exceeded max depth 1000 at byte N" (runc's words).
[[nodiscard]] Result<void> checkJsonBounds(std::string_view text);

/// Parses JSON text into a document, bounds checked first; a syntax error is one line with
/// line and column. A filter (nlohmann's parser callback) may drop parts as they are read, so
/// they are never built (the text is still checked whole).
[[nodiscard]] Result<nlohmann::json>
parseJsonText(std::string_view text, const nlohmann::json::parser_callback_t &filter = nullptr);

/// Reads a file of at most kMaxJsonBytes and parses it as parseJsonText; errors name the path.
[[nodiscard]] Result<nlohmann::json>
readJsonFileAt(int dirfd, const std::string &path,
               const nlohmann::json::parser_callback_t &filter = nullptr);

/// The namespace type of a spec name ("pid", "network", ...), or nullopt.
std::optional<NamespaceType> namespaceTypeFromName(std::string_view name);

/// A map key as an element of a field path, quoted as a JSON string:
/// keyPath("linux.resources.unified", "memory.high") is linux.resources.unified["memory.high"].
std::string keyPath(const std::string &base, std::string_view key);

} // namespace husk::spec
