#include "spec/state.h"

#include <cstdio>

namespace husk::spec {

namespace {

// Invalid UTF-8 (say, in an annotation) would make nlohmann throw; Go's encoder writes U+FFFD
// instead, and so does this.
template <typename J> std::string dumpJson(const J &j, int indent)
{
    return j.dump(indent, ' ', false, J::error_handler_t::replace);
}

} // namespace

std::string stateJson(const State &s)
{
    // ordered_json keeps runc's field order (Go marshals struct fields in declaration order).
    nlohmann::ordered_json j;
    j["ociVersion"] = s.ociVersion;
    j["id"] = s.id;
    j["pid"] = s.pid;
    j["status"] = s.status;
    j["bundle"] = s.bundle;
    j["rootfs"] = s.rootfs;
    j["created"] = s.created;
    if (!s.annotations.empty())
        j["annotations"] = s.annotations;
    j["owner"] = s.owner;
    return dumpJson(j, 2);
}

nlohmann::json stateObject(const State &s)
{
    nlohmann::json j;
    j["ociVersion"] = s.ociVersion;
    j["id"] = s.id;
    j["status"] = s.status;
    if (s.pid != 0)
        j["pid"] = s.pid;
    j["bundle"] = s.bundle;
    if (!s.annotations.empty())
        j["annotations"] = s.annotations;
    return j;
}

std::string formatCreated(const struct timespec &ts)
{
    struct tm tm {};
    time_t secs = ts.tv_sec;
    gmtime_r(&secs, &tm);
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                          tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    std::string out(buf, n > 0 ? static_cast<size_t>(n) : 0);
    if (ts.tv_nsec > 0 && ts.tv_nsec < 1000000000) {
        std::string f = std::to_string(ts.tv_nsec);
        f.insert(0, 9 - f.size(), '0');
        while (f.back() == '0')
            f.pop_back();
        out += "." + f;
    }
    return out + "Z";
}

nlohmann::json containerProcessState(const State &state, pid_t pid, const std::string &metadata)
{
    // The agent gets one pid, in both places; the record may not hold it yet at this point
    // (runc sets it the same way, with status "creating").
    State s = state;
    s.pid = pid;
    nlohmann::json j;
    j["ociVersion"] = state.ociVersion;
    j["fds"] = nlohmann::json::array({kSeccompFdName});
    j["pid"] = pid;
    if (!metadata.empty()) // Go's omitempty, as runc
        j["metadata"] = metadata;
    j["state"] = stateObject(s);
    return j;
}

std::string containerProcessStateText(const State &state, pid_t pid, const std::string &metadata)
{
    return containerProcessState(state, pid, metadata)
        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace husk::spec
