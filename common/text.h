#pragma once

// Small string helpers shared by every layer.

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace husk {

/// s between double quotes, as error messages show a value the user gave.
///
/// Built by append rather than `"\"" + std::string(s) + "\""`: that form makes GCC 12 at -O2/-O3
/// report a -Wrestrict false positive in the inlined operator+ (GCC bug 105651), which -Werror
/// turns into a failed release build.
inline std::string inQuotes(std::string_view s)
{
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    out += s;
    out += '"';
    return out;
}

/// parts joined with sep between them, for lists in messages.
inline std::string joined(const std::vector<std::string> &parts, std::string_view sep = ", ")
{
    std::string out;
    for (const std::string &p : parts) {
        if (!out.empty())
            out += sep;
        out += p;
    }
    return out;
}

/// s without surrounding blanks (spaces, tabs) and trailing newlines, as list items and sysfs
/// files carry them.
inline std::string_view trimBlanks(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

/// The pieces of s between each sep, empty ones included ("a,,b" -> "a", "", "b").
inline std::vector<std::string> split(std::string_view s, char sep)
{
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= s.size()) {
        size_t end = s.find(sep, start);
        if (end == std::string_view::npos)
            end = s.size();
        out.emplace_back(s.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

/// The whole of s as a number of type T, or nullopt (empty, trailing text, out of range).
template <typename T> std::optional<T> parseNumber(std::string_view s)
{
    T v{};
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size())
        return std::nullopt;
    return v;
}

} // namespace husk
