#pragma once

// Helpers the attribute parsers share (not an interface of the attrs/ folder).

#include <optional>
#include <string>
#include <string_view>

#include "common/name_table.h"
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
template <typename V, size_t N>
std::optional<V> lookup(const Named<V> (&table)[N], std::string_view name)
{
    if (const Named<V> *entry = findByName(table, name))
        return entry->value;
    return std::nullopt;
}

} // namespace husk::attrs
