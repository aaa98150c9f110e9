#pragma once

// Lookups in constexpr tables of structs that have a `name` member (Named<V> when a value is all
// an entry holds): the config vocabularies (mount options, seccomp actions and operators,
// scheduler policies...). The compiler builds them, so nothing runs at start-up. A parser and
// `husk features` read the same table, so what features advertises is exactly what the parser
// accepts.

#include <cstddef>
#include <string_view>
#include <vector>

namespace husk {

/// A name and its value, for constexpr tables (built by the compiler, nothing at start-up).
template <typename V> struct Named {
    std::string_view name;
    V value;
};

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

} // namespace husk
