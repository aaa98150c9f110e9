#include "libcontainer/pod/pod_files.h"

#include <algorithm>

#include "libcontainer/network/address.h"

namespace husk::pod {

namespace {

// The first whitespace-separated word of a line, and what follows it.
std::pair<std::string_view, std::string_view> splitWord(std::string_view line)
{
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos)
        return {};
    size_t end = line.find_first_of(" \t", start);
    std::string_view word = line.substr(start, end == std::string_view::npos ? end : end - start);
    std::string_view rest;
    if (end != std::string_view::npos) {
        size_t r = line.find_first_not_of(" \t", end);
        if (r != std::string_view::npos)
            rest = line.substr(r);
    }
    return {word, rest};
}

bool onLoopback(std::string_view server)
{
    // An IPv6 nameserver may carry a zone ("fe80::1%eth0"): only the address counts.
    auto a = network::parseIpAddress(server.substr(0, server.find('%')));
    if (!a)
        return false;
    if (a->family == network::IpFamily::V4)
        return (a->value >> 24) == 127;
    return a->value == 1;
}

} // namespace

Result<std::string> resolvConf(const std::vector<std::string> &servers,
                               std::string_view hostResolvConf, bool ownNetns)
{
    std::string out;
    if (!servers.empty()) {
        for (const std::string &s : servers) {
            auto a = network::parseIpAddress(s);
            if (!a)
                return fail("dns server \"" + s + "\": " + a.error().what());
            out += "nameserver " + network::formatIpAddress(*a) + "\n";
        }
        return out;
    }
    size_t start = 0;
    while (start < hostResolvConf.size()) {
        size_t end = hostResolvConf.find('\n', start);
        if (end == std::string_view::npos)
            end = hostResolvConf.size();
        std::string_view line = hostResolvConf.substr(start, end - start);
        start = end + 1;
        auto [word, rest] = splitWord(line);
        if (word == "nameserver") {
            std::string_view server = splitWord(rest).first;
            if (server.empty() || (ownNetns && onLoopback(server)))
                continue;
        }
        out.append(line);
        out += '\n';
    }
    return out;
}

std::string hostsFile(const std::string &hostname, const std::string &address)
{
    std::string out = "127.0.0.1\tlocalhost\n"
                      "::1\tlocalhost ip6-localhost ip6-loopback\n";
    std::string ip = address.substr(0, address.find('/'));
    out += (ip.empty() ? std::string("127.0.1.1") : ip) + "\t" + hostname + "\n";
    return out;
}

void addPodFileMounts(spec::Config &config, const std::string &podDir)
{
    for (const char *name : kPodFiles) {
        std::string destination = std::string("/etc/") + name;
        bool mounted =
            std::any_of(config.mounts.begin(), config.mounts.end(),
                        [&](const spec::Mount &m) { return m.destination == destination; });
        if (mounted)
            continue;
        config.mounts.push_back(
            {destination, podDir + "/" + name, "bind", {"rbind", "rprivate"}, {}, {}});
    }
}

} // namespace husk::pod
