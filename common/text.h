#pragma once

// Small string helpers shared by every layer.

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

} // namespace husk
