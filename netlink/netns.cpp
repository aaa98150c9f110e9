#include "netlink/netns.h"

#include <sched.h>

#include <cerrno>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "common/file.h"

namespace husk::netlink {

Result<void> runInNetns(int netnsFd, const std::function<Result<void>()> &fn)
{
    Result<void> out;
    try {
        // setns(CLONE_NEWNET) changes only the calling thread, and this one ends at once: the
        // caller's namespace is never touched, even when setns or fn fails half-way.
        std::thread helper([&] {
            if (::setns(netnsFd, CLONE_NEWNET) < 0) {
                out = failErrno("setns network namespace");
                return;
            }
            out = fn();
        });
        helper.join();
    } catch (const std::system_error &e) {
        return fail("start network namespace helper thread", e.code().value());
    }
    return out;
}

Result<void> withSocketInNetns(int netnsFd, const std::function<Result<void>(Socket &)> &fn)
{
    Socket socket = HUSK_TRY(Socket::openInNetns(netnsFd));
    return fn(socket);
}

Result<std::string> netSysctlPath(std::string_view key)
{
    auto bad = [&](std::string_view why) {
        return fail("sysctl key \"" + std::string(key) + "\": " + std::string(why), EINVAL);
    };
    char separator = key.find('/') == std::string_view::npos ? '.' : '/';
    std::vector<std::string_view> parts;
    for (size_t start = 0;;) {
        size_t end = key.find(separator, start);
        parts.push_back(key.substr(start, end == std::string_view::npos ? end : end - start));
        if (end == std::string_view::npos)
            break;
        start = end + 1;
    }
    if (parts.front() != "net")
        return bad("not a network sysctl (net.*)");
    if (parts.size() < 2)
        return bad("names no setting");
    std::string path = "/proc/sys";
    for (std::string_view part : parts) {
        if (part.empty() || part == "." || part == "..")
            return bad("empty, \".\" or \"..\" part");
        if (part.find('\0') != std::string_view::npos)
            return bad("NUL byte");
        path += "/";
        path += part;
    }
    return path;
}

std::string deviceSysctlKey(std::string_view family, std::string_view device, std::string_view name)
{
    return "net/" + std::string(family) + "/conf/" + std::string(device) + "/" + std::string(name);
}

Result<void> writeNetSysctl(std::string_view key, std::string_view value)
{
    const std::string what = "set sysctl " + std::string(key) + "=" + std::string(value);
    std::string path = HUSK_TRY_CTX(netSysctlPath(key), what);
    HUSK_TRY_CTX(writeExisting(path, value), what);
    return {};
}

Result<void> writeNetSysctl(int netnsFd, std::string_view key, std::string_view value)
{
    return runInNetns(netnsFd, [&] { return writeNetSysctl(key, value); });
}

Result<std::string> readNetSysctl(std::string_view key)
{
    const std::string what = "read sysctl " + std::string(key);
    std::string path = HUSK_TRY_CTX(netSysctlPath(key), what);
    std::string value = HUSK_TRY_CTX(readFile(path), what);
    if (!value.empty() && value.back() == '\n')
        value.pop_back();
    return value;
}

Result<std::string> readNetSysctl(int netnsFd, std::string_view key)
{
    std::optional<std::string> value;
    HUSK_TRY(runInNetns(netnsFd, [&]() -> Result<void> {
        value = HUSK_TRY(readNetSysctl(key));
        return {};
    }));
    return std::move(*value);
}

} // namespace husk::netlink
