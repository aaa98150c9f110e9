#pragma once

// Helpers the attribute parsers share (not an interface of the attrs/ folder).

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/text.h"

namespace husk::attrs {

/// "field[i]", as errors name an element of a list.
inline std::string indexField(std::string_view field, size_t i)
{
    std::string out(field);
    out += '[';
    out += std::to_string(i);
    out += ']';
    return out;
}

/// The value table holds for name.
template <typename V>
std::optional<V> lookup(const std::map<std::string_view, V> &table, std::string_view name)
{
    auto it = table.find(name);
    if (it == table.end())
        return std::nullopt;
    return it->second;
}

} // namespace husk::attrs
