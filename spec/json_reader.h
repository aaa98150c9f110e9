#pragma once

// Internal to spec/: typed reading of nlohmann::json values with errors that name the exact
// JSON path ("linux.namespaces[2].type: expected string, got number"). Nothing here throws:
// every nlohmann accessor used is checked against the value's type first.
//
// Conventions, chosen to match runc (Go's encoding/json) where the spec is silent:
//  - a member that is absent or null leaves the target untouched (Go treats null as "not set");
//  - unknown members are ignored (config.md, "Extensibility");
//  - numbers must be integers of the target's range: 1.5, 1e3 and -1 for an unsigned field are
//    errors, as they are for Go's decoder.

#include <concepts>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "spec/config.h"

namespace husk::spec::detail {

using Json = nlohmann::json;

/// The path of a member: "process" + "cwd" gives "process.cwd"; keys that are not identifiers
/// are quoted ("linux.sysctl[\"net.ipv4.ip_forward\"]").
std::string memberPath(const std::string &path, std::string_view key);

/// The path of an array element: "mounts" + 1 gives "mounts[1]".
std::string indexPath(const std::string &path, size_t index);

/// "<path>: expected <what>, got <type of v>".
std::unexpected<Error> typeError(const std::string &path, std::string_view what, const Json &v);

/// "<path>: <message>", or just the message at the top level.
std::unexpected<Error> pathError(const std::string &path, std::string_view message);

/// The member key of obj (an object), or nullptr when absent or null.
const Json *findMember(const Json &obj, std::string_view key);

/// Fails unless v is an object.
[[nodiscard]] Result<void> expectObject(const Json &v, const std::string &path);

/// An integer in [0, max]; the unsigned half of the integer decoder.
[[nodiscard]] Result<uint64_t> readUnsigned(const Json &v, const std::string &path, uint64_t max);
/// An integer in [min, max]; the signed half of the integer decoder.
[[nodiscard]] Result<int64_t> readSigned(const Json &v, const std::string &path, int64_t min,
                                         int64_t max);

/// A string.
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path, std::string &out);
/// A boolean (Go's decoder does not turn 0/1 or "true" into bool, and neither does this).
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path, bool &out);

/// An integer of T's range; bool is handled by its own overload.
template <std::integral T>
requires(!std::same_as<T, bool>) Result<void> decode(const Json &v, const std::string &path, T &out)
{
    if constexpr (std::is_unsigned_v<T>) {
        out = static_cast<T>(HUSK_TRY(readUnsigned(v, path, std::numeric_limits<T>::max())));
    } else {
        out = static_cast<T>(HUSK_TRY(
            readSigned(v, path, std::numeric_limits<T>::min(), std::numeric_limits<T>::max())));
    }
    return {};
}

// Struct decoders, defined in parse.cpp, parse_process.cpp and parse_linux.cpp. Declared here
// so that the container templates below find them by ordinary lookup.
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path, IdMapping &out);
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path, Mount &out);
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path, Hook &out);
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path, Rlimit &out);
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path, Namespace &out);
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path, Device &out);
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path, DeviceRule &out);
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path, WeightDevice &out);
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path, ThrottleDevice &out);
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path, HugepageLimit &out);
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path, InterfacePriority &out);
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path, Rdma &out);
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path, SeccompArg &out);
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path, SeccompSyscall &out);
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path, TimeOffset &out);
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path, NetDevice &out);

/// config.linux (parse_linux.cpp).
[[nodiscard]] Result<Linux> parseLinux(const Json &v, const std::string &path);

template <typename T>
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path, std::vector<T> &out);
template <typename T>
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path,
                                  std::map<std::string, T> &out);
template <typename T>
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path, std::optional<T> &out);

/// An array; each element decoded with its index in the path.
template <typename T>
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path, std::vector<T> &out)
{
    if (!v.is_array())
        return typeError(path, "array", v);
    std::vector<T> items;
    items.reserve(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
        T item{};
        HUSK_TRY(decode(v[i], indexPath(path, i), item));
        items.push_back(std::move(item));
    }
    out = std::move(items);
    return {};
}

/// An object used as a map; each value decoded with its key in the path.
template <typename T>
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path,
                                  std::map<std::string, T> &out)
{
    if (!v.is_object())
        return typeError(path, "object", v);
    std::map<std::string, T> items;
    for (auto it = v.begin(); it != v.end(); ++it) {
        T item{};
        HUSK_TRY(decode(it.value(), memberPath(path, it.key()), item));
        items.emplace(it.key(), std::move(item));
    }
    out = std::move(items);
    return {};
}

/// A value that is present; null is handled by the member readers before this is reached.
template <typename T>
[[nodiscard]] Result<void> decode(const Json &v, const std::string &path, std::optional<T> &out)
{
    T item{};
    HUSK_TRY(decode(v, path, item));
    out = std::move(item);
    return {};
}

/// Reads obj[key] into out when it is present and not null; out is left as it was otherwise.
template <typename T>
[[nodiscard]] Result<void> optionalMember(const Json &obj, const std::string &path,
                                          std::string_view key, T &out)
{
    const Json *v = findMember(obj, key);
    if (!v)
        return {};
    return decode(*v, memberPath(path, key), out);
}

/// Reads obj[key] into out; absent is "missing required field", null is a type error.
template <typename T>
[[nodiscard]] Result<void> requiredMember(const Json &obj, const std::string &path,
                                          std::string_view key, T &out)
{
    auto it = obj.find(key);
    if (it == obj.end())
        return pathError(memberPath(path, key), "missing required field");
    return decode(*it, memberPath(path, key), out);
}

} // namespace husk::spec::detail
