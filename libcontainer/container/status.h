#pragma once

#include <optional>
#include <string_view>

namespace husk {

/// The lifecycle states of a container, as the runtime-spec names them (plus creating/paused).
enum class Status { Creating, Created, Running, Paused, Stopped };

/// The spec's name of a status ("created", ...).
std::string_view statusName(Status s);

/// Parses a status name; nullopt for an unknown one.
std::optional<Status> parseStatus(std::string_view name);

/// `start` is legal only for a created container.
inline bool canStart(Status s)
{
    return s == Status::Created;
}

/// `kill` is legal for a created, running or paused container (the spec: not for stopped).
inline bool canKill(Status s)
{
    return s == Status::Created || s == Status::Running || s == Status::Paused;
}

/// `delete` without --force is legal only for a stopped container (runtime.md "delete").
/// A container still being created (husk killed midway) needs --force as well.
inline bool canDelete(Status s)
{
    return s == Status::Stopped;
}

/// `pause` is legal for a running or created container.
inline bool canPause(Status s)
{
    return s == Status::Running || s == Status::Created;
}

/// `resume` is legal only for a paused container.
inline bool canResume(Status s)
{
    return s == Status::Paused;
}

} // namespace husk
