#include "libcontainer/container/status.h"

namespace husk {

std::string_view statusName(Status s)
{
    switch (s) {
    case Status::Creating:
        return "creating";
    case Status::Created:
        return "created";
    case Status::Running:
        return "running";
    case Status::Paused:
        return "paused";
    case Status::Stopped:
        return "stopped";
    }
    return "unknown";
}

std::optional<Status> parseStatus(std::string_view name)
{
    for (Status s :
         {Status::Creating, Status::Created, Status::Running, Status::Paused, Status::Stopped})
        if (statusName(s) == name)
            return s;
    return std::nullopt;
}

} // namespace husk
