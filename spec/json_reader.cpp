#include "spec/json_reader.h"

#include <cmath>

namespace husk::spec::detail {

namespace {

bool isIdentifier(std::string_view key)
{
    if (key.empty())
        return false;
    for (char c : key) {
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok)
            return false;
    }
    return true;
}

// A float as the user wrote it, near enough: 1.5, 1e+20.
std::string numberText(const Json &v)
{
    return v.dump();
}

std::unexpected<Error> rangeError(const std::string &path, const std::string &value,
                                  const std::string &min, const std::string &max)
{
    return pathError(path, "value " + value + " out of range [" + min + ", " + max + "]");
}

} // namespace

std::string memberPath(const std::string &path, std::string_view key)
{
    if (isIdentifier(key))
        return path.empty() ? std::string(key) : path + "." + std::string(key);
    // Keys like "net.ipv4.ip_forward" or "" would make a dotted path ambiguous; quote them as
    // JSON strings so the path can be read back unambiguously.
    return path + "[" +
           Json(std::string(key)).dump(-1, ' ', false, Json::error_handler_t::replace) + "]";
}

std::string indexPath(const std::string &path, size_t index)
{
    return path + "[" + std::to_string(index) + "]";
}

std::unexpected<Error> pathError(const std::string &path, std::string_view message)
{
    if (path.empty())
        return fail(std::string(message));
    return fail(path + ": " + std::string(message));
}

std::unexpected<Error> typeError(const std::string &path, std::string_view what, const Json &v)
{
    return pathError(path, "expected " + std::string(what) + ", got " + v.type_name());
}

const Json *findMember(const Json &obj, std::string_view key)
{
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null())
        return nullptr;
    return &*it;
}

Result<void> expectObject(const Json &v, const std::string &path)
{
    if (!v.is_object())
        return typeError(path, "object", v);
    return {};
}

Result<void> decode(const Json &v, const std::string &path, std::string &out)
{
    if (!v.is_string())
        return typeError(path, "string", v);
    out = v.get_ref<const std::string &>();
    return {};
}

Result<void> decode(const Json &v, const std::string &path, bool &out)
{
    if (!v.is_boolean())
        return typeError(path, "boolean", v);
    out = v.get<bool>();
    return {};
}

Result<uint64_t> readUnsigned(const Json &v, const std::string &path, uint64_t max)
{
    if (v.is_number_unsigned()) {
        uint64_t n = v.get<uint64_t>();
        if (n > max)
            return rangeError(path, std::to_string(n), "0", std::to_string(max));
        return n;
    }
    if (v.is_number_integer()) {
        // Only values built in code land here (the parser stores non-negative integers as
        // unsigned), so this is always negative when reached from a parsed document.
        int64_t n = v.get<int64_t>();
        if (n < 0)
            return pathError(path, "expected unsigned integer, got " + std::to_string(n));
        if (static_cast<uint64_t>(n) > max)
            return rangeError(path, std::to_string(n), "0", std::to_string(max));
        return static_cast<uint64_t>(n);
    }
    if (v.is_number_float()) {
        double d = v.get<double>();
        // The parser turns integers beyond 2^64-1 into doubles: report those as out of range
        // rather than as "not an integer", which would puzzle whoever wrote them.
        if (std::isfinite(d) && d == std::trunc(d) && d >= 18446744073709551616.0)
            return rangeError(path, numberText(v), "0", std::to_string(max));
        return pathError(path, "expected unsigned integer, got number " + numberText(v));
    }
    return typeError(path, "unsigned integer", v);
}

Result<int64_t> readSigned(const Json &v, const std::string &path, int64_t min, int64_t max)
{
    if (v.is_number_unsigned()) {
        uint64_t n = v.get<uint64_t>();
        if (n > static_cast<uint64_t>(max))
            return rangeError(path, std::to_string(n), std::to_string(min), std::to_string(max));
        return static_cast<int64_t>(n);
    }
    if (v.is_number_integer()) {
        int64_t n = v.get<int64_t>();
        if (n < min || n > max)
            return rangeError(path, std::to_string(n), std::to_string(min), std::to_string(max));
        return n;
    }
    if (v.is_number_float()) {
        double d = v.get<double>();
        if (std::isfinite(d) && d == std::trunc(d) &&
            (d >= 9223372036854775808.0 || d < -9223372036854775808.0))
            return rangeError(path, numberText(v), std::to_string(min), std::to_string(max));
        return pathError(path, "expected integer, got number " + numberText(v));
    }
    return typeError(path, "integer", v);
}

} // namespace husk::spec::detail
