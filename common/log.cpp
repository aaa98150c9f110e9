#include "common/log.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <ctime>

namespace husk::log {

namespace {

struct State {
    Level level = Level::Warning;
    Format format = Format::Text;
    int fd = STDERR_FILENO;
};

State &state()
{
    static State s;
    return s;
}

const char *levelName(Level l)
{
    switch (l) {
    case Level::Debug:
        return "debug";
    case Level::Info:
        return "info";
    case Level::Warning:
        return "warning";
    case Level::Error:
        return "error";
    }
    return "error";
}

// RFC 3339 with nanoseconds, as runc's logrus output.
std::string timestamp()
{
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tm t{};
    gmtime_r(&ts.tv_sec, &t);
    char buf[64];
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
    snprintf(buf + n, sizeof buf - n, ".%09ldZ", ts.tv_nsec);
    return buf;
}

} // namespace

bool configure(Level minLevel, Format format, const std::string &path)
{
    State &s = state();
    s.level = minLevel;
    s.format = format;
    if (!path.empty()) {
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
            return false;
        s.fd = fd;
    }
    return true;
}

bool enabled(Level level)
{
    return level >= state().level;
}

int fd()
{
    return state().fd;
}

std::string jsonEscape(std::string_view in)
{
    std::string out;
    out.reserve(in.size() + 8);
    for (unsigned char c : in) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20) {
                char b[8];
                snprintf(b, sizeof b, "\\u%04x", c);
                out += b;
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    return out;
}

void write(Level level, std::string_view msg)
{
    State &s = state();
    if (level < s.level)
        return;
    std::string line;
    if (s.format == Format::Json) {
        line = "{\"level\":\"";
        line += levelName(level);
        line += "\",\"msg\":\"";
        line += jsonEscape(msg);
        line += "\",\"time\":\"";
        line += timestamp();
        line += "\"}\n";
    } else if (s.fd == STDERR_FILENO) {
        // Interactive use: runc prints errors to stderr without decoration.
        line = level == Level::Error ? "husk: " : std::string(levelName(level)) + ": ";
        line += msg;
        line += '\n';
    } else {
        line = "time=\"" + timestamp() + "\" level=" + levelName(level) + " msg=\"" +
               jsonEscape(msg) + "\"\n";
    }
    // One write(2) per line so concurrent writers (parent, hooks) never interleave within a line.
    ssize_t r = ::write(s.fd, line.data(), line.size());
    (void)r;
}

void writef(Level level, const char *fmt, ...)
{
    if (!enabled(level))
        return;
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    write(level, buf);
}

} // namespace husk::log
