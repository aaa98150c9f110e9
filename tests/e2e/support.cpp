#include "tests/e2e/support.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/unique_fd.h"
#include "tests/integration/command.h"

namespace husk::test {

namespace fs = std::filesystem;

std::string envOr(const char *name, const std::string &fallback)
{
    const char *value = std::getenv(name);
    return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

std::string findProgram(const std::string &name)
{
    std::string path = envOr("PATH", "/usr/local/bin:/usr/bin:/bin");
    path += ":/usr/local/sbin:/usr/sbin:/sbin";
    std::istringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        if (dir.empty())
            continue;
        fs::path candidate = fs::path(dir) / name;
        if (::access(candidate.c_str(), X_OK) == 0)
            return candidate.string();
    }
    return {};
}

bool writeFile(const fs::path &path, const std::string &text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    return out.good();
}

std::string readFile(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string trim(std::string s)
{
    auto blank = [](char c) { return c == '\n' || c == '\r' || c == ' ' || c == '\t'; };
    while (!s.empty() && blank(s.back()))
        s.pop_back();
    size_t first = 0;
    while (first < s.size() && blank(s[first]))
        ++first;
    return s.substr(first);
}

std::string toml(const std::string &text)
{
    std::string out = "\"";
    for (char c : text) {
        if (c == '\\' || c == '"')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

std::vector<std::string> lines(const std::string &text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        if (std::string t = trim(line); !t.empty())
            out.push_back(t);
    return out;
}

std::vector<std::string> fields(const std::string &line)
{
    std::vector<std::string> out;
    std::istringstream in(line);
    for (std::string f; in >> f;)
        out.push_back(f);
    return out;
}

std::string sha256File(const fs::path &path)
{
    CommandResult sum = runCommand({"sha256sum", path.string()}, {.timeout = 60s});
    return sum.ok() && sum.out.size() >= 64 ? sum.out.substr(0, 64) : std::string();
}

bool eventually(const std::function<bool()> &condition, std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (condition())
            return true;
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        checkTermination();
        std::this_thread::sleep_for(50ms);
    }
}

Result<fs::path> makeTempDir(const std::string &pattern)
{
    std::string buf = pattern;
    if (::mkdtemp(buf.data()) == nullptr)
        return failErrno("mkdtemp " + pattern);
    return fs::path(buf);
}

Result<pid_t> spawnDaemon(const std::vector<std::string> &argv, const fs::path &log)
{
    // Everything the child needs is prepared before fork: it may only make async-signal-safe
    // calls afterwards.
    std::vector<char *> cargv;
    for (const std::string &a : argv)
        cargv.push_back(const_cast<char *>(a.c_str()));
    cargv.push_back(nullptr);
    UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!null)
        return failErrno("open /dev/null");
    UniqueFd out(::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!out)
        return failErrno("open " + log.string());
    pid_t pid = ::fork();
    if (pid < 0)
        return failErrno("fork");
    if (pid == 0) {
        sigset_t none;
        ::sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE})
            ::signal(sig, SIG_DFL);
        ::setsid();
        if (::dup2(null.get(), 0) < 0 || ::dup2(out.get(), 1) < 0 || ::dup2(out.get(), 2) < 0)
            ::_exit(126);
        ::close_range(3, ~0U, 0);
        ::execv(cargv[0], cargv.data());
        ::_exit(127);
    }
    return pid;
}

bool processGone(pid_t pid)
{
    std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
    size_t close = stat.rfind(')');
    return close == std::string::npos || stat.compare(close + 1, 3, " Z ") == 0;
}

std::vector<pid_t> processesMentioning(const std::string &text, const std::string &comm)
{
    std::vector<pid_t> out;
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator("/proc", ec)) {
        std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        pid_t pid = std::stoi(name);
        if (pid == ::getpid())
            continue;
        if (!comm.empty() && trim(readFile(entry.path() / "comm")) != comm)
            continue;
        std::string cmdline = readFile(entry.path() / "cmdline");
        if (cmdline.find(text) != std::string::npos)
            out.push_back(pid);
    }
    return out;
}

void skipRun(const std::string &why)
{
    std::fprintf(stderr, "skipping: %s\n", why.c_str());
    std::fflush(stderr);
    std::exit(77);
}

} // namespace husk::test
