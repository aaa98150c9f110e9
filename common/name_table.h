#pragma once

// Lookups in constexpr tables of structs that have a `name` member, and in name-keyed maps: the
// config vocabularies (mount options, seccomp actions and operators...). A parser and `husk
// features` read the same table, so what features advertises is exactly what the parser accepts.

#include <cstddef>
#include <string_view>
#include <vector>

namespace husk {

/// The entry of table called name, or nullptr.
template <typename Entry, size_t N>
const Entry *findByName(const Entry (&table)[N], std::string_view name)
{
    for (const Entry &entry : table)
        if (entry.name == name)
            return &entry;
    return nullptr;
}

/// The names of table's entries, in table order.
template <typename Entry, size_t N>
std::vector<std::string_view> tableNames(const Entry (&table)[N])
{
    std::vector<std::string_view> names;
    names.reserve(N);
    for (const Entry &entry : table)
        names.push_back(entry.name);
    return names;
}

/// The names of a name-to-value map, in map order.
template <typename Map> std::vector<std::string_view> mapKeys(const Map &map)
{
    std::vector<std::string_view> names;
    names.reserve(map.size());
    for (const auto &entry : map)
        names.push_back(entry.first);
    return names;
}

} // namespace husk
