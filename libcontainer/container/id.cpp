#include "libcontainer/container/id.h"

#include <string>

namespace husk {

static bool isAlnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

Result<void> validateId(std::string_view id)
{
    if (id.empty())
        return fail("container id must not be empty");
    if (id.size() > kMaxIdLength)
        return fail("container id is longer than " + std::to_string(kMaxIdLength) + " bytes");
    if (!isAlnum(id[0]))
        return fail("invalid container id \"" + std::string(id) +
                    "\": must start with a letter or digit");
    for (char c : id) {
        if (isAlnum(c) || c == '_' || c == '.' || c == '+' || c == '-')
            continue;
        return fail("invalid container id \"" + std::string(id) + "\": character '" +
                    std::string(1, c) + "' not allowed (use [A-Za-z0-9_.+-])");
    }
    if (id.find("..") != std::string_view::npos)
        return fail("invalid container id \"" + std::string(id) + "\": must not contain \"..\"");
    return {};
}

} // namespace husk
