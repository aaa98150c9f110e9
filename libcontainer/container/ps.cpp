#include "libcontainer/container/ps.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <sstream>

#include "common/unique_fd.h"
#include "libcontainer/cgroups/manager.h"
#include "libcontainer/container/internal.h"
#include "libcontainer/container/id.h"

extern char **environ;

namespace husk {

namespace {

std::vector<std::string> fields(const std::string &line)
{
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string f; in >> f;)
        out.push_back(f);
    return out;
}

} // namespace

Result<std::vector<pid_t>> containerPids(const GlobalOptions &g, const std::string &id)
{
    LockedContainer c = HUSK_TRY(lockContainer(g, id, ContainerDir::Config::Summary));
    c.dir.unlock();
    std::vector<pid_t> pids = HUSK_TRY(cgroups::CgroupManager(c.rec.cgroup).pids());
    std::sort(pids.begin(), pids.end());
    return pids;
}

Result<std::string> filterPsOutput(std::string_view output, const std::vector<pid_t> &pids)
{
    std::string text(output);
    size_t end = text.find('\n');
    std::string header = text.substr(0, end);
    std::vector<std::string> names = fields(header);
    auto col = std::find(names.begin(), names.end(), "PID");
    if (col == names.end())
        return fail("ps: no PID column in the output header \"" + header + "\"");
    size_t pidIndex = static_cast<size_t>(col - names.begin());
    std::set<pid_t> wanted(pids.begin(), pids.end());
    std::string out = header + "\n";
    size_t pos = end == std::string::npos ? text.size() : end + 1;
    while (pos < text.size()) {
        size_t e = text.find('\n', pos);
        std::string line = text.substr(pos, e == std::string::npos ? std::string::npos : e - pos);
        pos = e == std::string::npos ? text.size() : e + 1;
        std::vector<std::string> f = fields(line);
        if (f.size() <= pidIndex)
            continue;
        char *stop = nullptr;
        long pid = std::strtol(f[pidIndex].c_str(), &stop, 10);
        if (*stop == '\0' && wanted.count(static_cast<pid_t>(pid)))
            out += line + "\n";
    }
    return out;
}

Result<std::string> psTable(const std::vector<pid_t> &pids, const std::vector<std::string> &psArgs)
{
    std::vector<std::string> args = {"ps"};
    if (psArgs.empty())
        args.push_back("-ef");
    args.insert(args.end(), psArgs.begin(), psArgs.end());
    std::vector<char *> argv;
    for (std::string &a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    int p[2];
    if (::pipe2(p, O_CLOEXEC) < 0)
        return failErrno("ps: pipe");
    UniqueFd readEnd(p[0]), writeEnd(p[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, writeEnd.get(), STDOUT_FILENO);
    pid_t child = 0;
    int rc = ::posix_spawnp(&child, "ps", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        return fail(std::string("ps: run ps: ") + std::strerror(rc), rc);
    writeEnd.reset();
    std::string output;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(readEnd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        output.append(buf, static_cast<size_t>(n));
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return fail("ps " + (psArgs.empty() ? std::string("-ef") : psArgs[0]) + " failed");
    return filterPsOutput(output, pids);
}

} // namespace husk
