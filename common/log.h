#pragma once

#include <string>
#include <string_view>

namespace husk::log {

/// Severity of a log line; lines below the configured level are dropped.
enum class Level { Debug, Info, Warning, Error };

/// How lines are written: runc-style text, or JSON lines {"level","msg","time"}.
enum class Format { Text, Json };

/// Configures the process-wide logger. path empty means stderr. Returns false if path can't be
/// opened.
bool configure(Level minLevel, Format format, const std::string &path);

/// Writes one line at the given level.
void write(Level level, std::string_view msg);

/// Writes one printf-formatted line at the given level.
void writef(Level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/// Whether lines at this level are written (to skip building costly messages).
bool enabled(Level level);

/// The log file descriptor (stderr when no --log was given), for children that log on their own.
int fd();

inline void debug(std::string_view m)
{
    write(Level::Debug, m);
}
inline void info(std::string_view m)
{
    write(Level::Info, m);
}
inline void warn(std::string_view m)
{
    write(Level::Warning, m);
}
inline void error(std::string_view m)
{
    write(Level::Error, m);
}

/// A debug line whose text msg() builds only when debug lines are written (--debug), so the
/// steps of create and exec can say what they do at no cost on the normal path.
template <typename F> void step(F &&msg)
{
    if (enabled(Level::Debug))
        write(Level::Debug, msg());
}

/// Escapes a string for a JSON string literal (without the quotes).
std::string jsonEscape(std::string_view s);

} // namespace husk::log
