// husk-probe: a static binary run inside test containers. Each subcommand prints what the
// process sees as one JSON object on stdout (echo and wait-signal excepted, see usage()), so the
// integration tests can assert the container's view without a shell or libc in the rootfs.
//
// It is linked statically, so it avoids everything that goes through NSS (getpwnam, getgrgid,
// getaddrinfo): glibc would try to dlopen a module that isn't in the rootfs.

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <signal.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/unique_fd.h"

extern char **environ;

namespace {

using husk::UniqueFd;
using nlohmann::json;

/// Prints one JSON value and a newline on stdout and flushes, tolerating invalid UTF-8.
void emit(const json &value)
{
    std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
    text += '\n';
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
}

/// The symbolic errno name ("EACCES"), or "E?" for an unknown code.
std::string errnoName(int code)
{
    const char *name = strerrorname_np(code);
    return name != nullptr ? name : "E?";
}

/// An error object: {"ok": false, "errno": N, "error": "ENAME", "message": "..."}.
json errnoJson(int code)
{
    return json{{"ok", false},
                {"errno", code},
                {"error", errnoName(code)},
                {"message", std::strerror(code)}};
}

/// Reads a whole file; returns false (errno set) when it can't be opened or read.
bool readWhole(const std::string &path, std::string &out)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return false;
    out.clear();
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof(buf));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        if (n == 0)
            return true;
        out.append(buf, static_cast<size_t>(n));
    }
}

/// The file's contents, or an empty string when it can't be read.
std::string readOrEmpty(const std::string &path)
{
    std::string out;
    if (!readWhole(path, out))
        return {};
    return out;
}

/// The target of a symlink, or "" when it is not one or can't be read.
std::string readLink(const std::string &path)
{
    char buf[4096];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof(buf));
    if (n < 0)
        return {};
    return std::string(buf, static_cast<size_t>(n));
}

/// Text with trailing whitespace removed.
std::string trimRight(std::string s)
{
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t'))
        s.pop_back();
    return s;
}

/// The value of one "Key:\tvalue" line of /proc/self/status, "" when absent.
std::string statusField(const std::string &status, std::string_view key)
{
    std::istringstream in(status);
    std::string line;
    while (std::getline(in, line)) {
        if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 &&
            line[key.size()] == ':') {
            size_t start = line.find_first_not_of(" \t", key.size() + 1);
            return start == std::string::npos ? std::string() : line.substr(start);
        }
    }
    return {};
}

/// All RLIMIT_* values by name, each {"soft": N, "hard": N}; RLIM_INFINITY is printed as is.
json rlimitsJson()
{
    static const std::pair<const char *, int> limits[] = {
        {"RLIMIT_AS", RLIMIT_AS},
        {"RLIMIT_CORE", RLIMIT_CORE},
        {"RLIMIT_CPU", RLIMIT_CPU},
        {"RLIMIT_DATA", RLIMIT_DATA},
        {"RLIMIT_FSIZE", RLIMIT_FSIZE},
        {"RLIMIT_LOCKS", RLIMIT_LOCKS},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
        {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
        {"RLIMIT_NICE", RLIMIT_NICE},
        {"RLIMIT_NOFILE", RLIMIT_NOFILE},
        {"RLIMIT_NPROC", RLIMIT_NPROC},
        {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
        {"RLIMIT_RTTIME", RLIMIT_RTTIME},
        {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
        {"RLIMIT_STACK", RLIMIT_STACK},
    };
    json out = json::object();
    for (const auto &[name, resource] : limits) {
        struct rlimit rl {};
        if (::getrlimit(static_cast<__rlimit_resource>(resource), &rl) != 0)
            continue;
        out[name] = {{"soft", static_cast<uint64_t>(rl.rlim_cur)},
                     {"hard", static_cast<uint64_t>(rl.rlim_max)}};
    }
    return out;
}

/// The open fds (without the directory fd used to list them) with their link targets.
json fdsJson()
{
    json out = json::array();
    DIR *dir = ::opendir("/proc/self/fd");
    if (dir == nullptr)
        return out;
    int self = ::dirfd(dir);
    std::vector<int> fds;
    while (struct dirent *entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.')
            continue;
        int fd = std::atoi(entry->d_name);
        if (fd != self)
            fds.push_back(fd);
    }
    ::closedir(dir);
    for (int fd : fds) {
        std::string target = readLink("/proc/self/fd/" + std::to_string(fd));
        // The directory fd is gone now; anything that vanished with it is not reported.
        if (target.empty() && errno == ENOENT)
            continue;
        out.push_back({{"fd", fd}, {"target", target}});
    }
    return out;
}

/// Network interfaces of the current network namespace with their SIOCGIFFLAGS flags.
json interfacesJson()
{
    json out = json::array();
    struct if_nameindex *names = ::if_nameindex();
    if (names == nullptr)
        return out;
    UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock)
        sock.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    for (struct if_nameindex *p = names; p->if_index != 0 && p->if_name != nullptr; ++p) {
        json iface = {{"name", p->if_name}, {"index", p->if_index}};
        struct ifreq req {};
        std::strncpy(req.ifr_name, p->if_name, IFNAMSIZ - 1);
        if (sock && ::ioctl(sock.get(), SIOCGIFFLAGS, &req) == 0) {
            unsigned flags = static_cast<unsigned short>(req.ifr_flags);
            iface["flags"] = flags;
            iface["up"] = (flags & IFF_UP) != 0;
            iface["running"] = (flags & IFF_RUNNING) != 0;
            iface["loopback"] = (flags & IFF_LOOPBACK) != 0;
        }
        iface["operstate"] =
            trimRight(readOrEmpty(std::string("/sys/class/net/") + p->if_name + "/operstate"));
        out.push_back(std::move(iface));
    }
    ::if_freenameindex(names);
    return out;
}

/// `info`: the process's identity, credentials, limits, namespaces, fds, tty and network.
int cmdInfo()
{
    json out;
    out["pid"] = ::getpid();
    out["ppid"] = ::getppid();
    out["sid"] = ::getsid(0);
    out["pgid"] = ::getpgid(0);

    uid_t ruid, euid, suid;
    ::getresuid(&ruid, &euid, &suid);
    gid_t rgid, egid, sgid;
    ::getresgid(&rgid, &egid, &sgid);
    out["uid"] = ruid;
    out["euid"] = euid;
    out["suid"] = suid;
    out["gid"] = rgid;
    out["egid"] = egid;
    out["sgid"] = sgid;
    int count = ::getgroups(0, nullptr);
    std::vector<gid_t> groups(count > 0 ? static_cast<size_t>(count) : 0);
    if (count > 0)
        count = ::getgroups(count, groups.data());
    out["groups"] = json::array();
    for (int i = 0; i < count; ++i)
        out["groups"].push_back(groups[static_cast<size_t>(i)]);

    char cwd[4096];
    out["cwd"] = ::getcwd(cwd, sizeof(cwd)) != nullptr ? cwd : "";

    std::string status = readOrEmpty("/proc/self/status");
    out["umask"] = statusField(status, "Umask");
    for (const char *key : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
        out[key] = statusField(status, key);
    out["noNewPrivs"] = std::atoi(statusField(status, "NoNewPrivs").c_str());
    out["seccomp"] = std::atoi(statusField(status, "Seccomp").c_str());
    out["noNewPrivsPrctl"] = ::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);

    struct utsname uts {};
    ::uname(&uts);
    out["hostname"] = uts.nodename;
    out["domainname"] = uts.domainname;

    out["env"] = json::array();
    for (char **e = environ; e != nullptr && *e != nullptr; ++e)
        out["env"].push_back(*e);

    out["rlimits"] = rlimitsJson();
    out["oomScoreAdj"] = std::atoi(readOrEmpty("/proc/self/oom_score_adj").c_str());

    json ns = json::object();
    for (const char *name : {"pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time"})
        ns[name] = readLink(std::string("/proc/self/ns/") + name);
    out["namespaces"] = ns;

    out["fds"] = fdsJson();
    out["isatty"] = {::isatty(0) == 1, ::isatty(1) == 1, ::isatty(2) == 1};
    const char *tty = ::ttyname(0);
    out["ttyname"] = tty != nullptr ? tty : "";
    struct winsize ws {};
    if (::ioctl(0, TIOCGWINSZ, &ws) == 0)
        out["winsize"] = {{"rows", ws.ws_row}, {"cols", ws.ws_col}};
    out["uidMap"] = readOrEmpty("/proc/self/uid_map");
    out["gidMap"] = readOrEmpty("/proc/self/gid_map");
    out["interfaces"] = interfacesJson();
    emit(out);
    return 0;
}

/// Undoes the octal escapes (\040, \011, \012, \134) of /proc/self/mountinfo fields.
std::string unescapeMountField(std::string_view s)
{
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size()) {
            auto isOct = [](char c) { return c >= '0' && c <= '7'; };
            if (isOct(s[i + 1]) && isOct(s[i + 2]) && isOct(s[i + 3])) {
                out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 +
                                         (s[i + 3] - '0'));
                i += 3;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

/// Splits text on a separator character, keeping no empty fields.
std::vector<std::string> split(std::string_view s, char sep)
{
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= s.size()) {
        size_t end = s.find(sep, start);
        if (end == std::string_view::npos)
            end = s.size();
        if (end > start)
            out.emplace_back(s.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

/// `mounts`: /proc/self/mountinfo as an array of objects (see proc(5)).
int cmdMounts()
{
    std::string text;
    if (!readWhole("/proc/self/mountinfo", text)) {
        emit(errnoJson(errno));
        return 1;
    }
    json out = json::array();
    for (const std::string &line : split(text, '\n')) {
        std::vector<std::string> fields = split(line, ' ');
        size_t dash = 0;
        while (dash < fields.size() && fields[dash] != "-")
            ++dash;
        if (dash < 6 || dash + 2 >= fields.size())
            continue;
        json m;
        m["id"] = std::atoi(fields[0].c_str());
        m["parent"] = std::atoi(fields[1].c_str());
        m["device"] = fields[2];
        m["root"] = unescapeMountField(fields[3]);
        m["mountPoint"] = unescapeMountField(fields[4]);
        m["options"] = split(fields[5], ',');
        m["propagation"] =
            std::vector<std::string>(fields.begin() + 6, fields.begin() + static_cast<long>(dash));
        m["fsType"] = fields[dash + 1];
        m["source"] = unescapeMountField(fields[dash + 2]);
        m["superOptions"] =
            dash + 3 < fields.size() ? split(fields[dash + 3], ',') : std::vector<std::string>();
        out.push_back(std::move(m));
    }
    emit(out);
    return 0;
}

/// The file type of a mode as a word.
const char *typeName(mode_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG:
        return "file";
    case S_IFDIR:
        return "dir";
    case S_IFLNK:
        return "symlink";
    case S_IFCHR:
        return "char";
    case S_IFBLK:
        return "block";
    case S_IFIFO:
        return "fifo";
    case S_IFSOCK:
        return "socket";
    default:
        return "unknown";
    }
}

/// `stat PATH`: lstat(2) of the path; a symlink also reports its target.
int cmdStat(const std::string &path)
{
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        json out = errnoJson(errno);
        out["path"] = path;
        out["exists"] = false;
        emit(out);
        return 0;
    }
    json out = {{"ok", true},
                {"path", path},
                {"exists", true},
                {"type", typeName(st.st_mode)},
                {"mode", st.st_mode & 07777},
                {"uid", st.st_uid},
                {"gid", st.st_gid},
                {"size", st.st_size},
                {"dev", std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev))},
                {"rdevMajor", major(st.st_rdev)},
                {"rdevMinor", minor(st.st_rdev)}};
    if (S_ISLNK(st.st_mode))
        out["target"] = readLink(path);
    emit(out);
    return 0;
}

/// `read PATH`: reads the file; prints ok, the byte count and the start of the contents.
int cmdRead(const std::string &path)
{
    std::string data;
    if (!readWhole(path, data)) {
        json out = errnoJson(errno);
        out["path"] = path;
        emit(out);
        return 0;
    }
    emit({{"ok", true}, {"path", path}, {"bytes", data.size()}, {"content", data.substr(0, 4096)}});
    return 0;
}

/// `write PATH [DATA]`: opens (creating if needed) and writes DATA (default "x\n").
int cmdWrite(const std::string &path, const std::string &data)
{
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    if (!fd || ::write(fd.get(), data.data(), data.size()) < 0) {
        json out = errnoJson(errno);
        out["path"] = path;
        emit(out);
        return 0;
    }
    emit({{"ok", true}, {"path", path}});
    return 0;
}

/// `open PATH MODE`: open(2) without O_CREAT, MODE r (O_RDONLY), w (O_WRONLY), rw (O_RDWR) or
/// path (O_PATH); prints ok or the errno. Returns 2 (usage) for an unknown MODE.
int cmdOpen(const std::string &path, const std::string &mode)
{
    int flags = 0;
    if (mode == "r")
        flags = O_RDONLY;
    else if (mode == "w")
        flags = O_WRONLY;
    else if (mode == "rw")
        flags = O_RDWR;
    else if (mode == "path")
        flags = O_PATH;
    else
        return 2;
    UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC));
    json out = fd ? json{{"ok", true}} : errnoJson(errno);
    out["path"] = path;
    out["mode"] = mode;
    emit(out);
    return 0;
}

/// An integer argument of `syscall` (decimal, 0x hex or 0 octal, as strtoull reads it; a
/// leading '-' gives the two's complement).
bool parseArg(const std::string &text, unsigned long &out)
{
    if (text.empty())
        return false;
    errno = 0;
    char *end = nullptr;
    bool negative = text[0] == '-';
    unsigned long long v = std::strtoull(text.c_str() + (negative ? 1 : 0), &end, 0);
    if (errno != 0 || end == nullptr || *end != '\0')
        return false;
    out = negative ? static_cast<unsigned long>(-static_cast<long long>(v))
                   : static_cast<unsigned long>(v);
    return true;
}

/// `syscall NAME [ARG...]`: makes one system call directly (syscall(2), no libc wrapper that
/// might pick another call or rewrite the result) and prints {"ok", "syscall", "ret", "errno"}
/// (plus "error" and "message" on failure). Integer arguments are taken as given; mkdirat and
/// unlinkat take a path (relative to the cwd) and uname fills a buffer of its own. Returns 2
/// (usage) for an unknown NAME or wrong argument count.
int cmdSyscall(const std::vector<std::string> &args)
{
    struct Call {
        const char *name;
        long nr;
        size_t ints; // integer arguments after any path
        bool path;   // the first argument is a path (for the *at calls: dirfd AT_FDCWD)
    };
    static const Call calls[] = {
        {"getpid", SYS_getpid, 0, false},
        {"getppid", SYS_getppid, 0, false},
        {"getuid", SYS_getuid, 0, false},
        {"uname", SYS_uname, 0, false},
        {"getpriority", SYS_getpriority, 2, false},
        {"setpriority", SYS_setpriority, 3, false},
        {"personality", SYS_personality, 1, false},
        {"socket", SYS_socket, 3, false},
        {"mkdirat", SYS_mkdirat, 1, true},
        {"unlinkat", SYS_unlinkat, 1, true},
        {"sched_getscheduler", SYS_sched_getscheduler, 1, false},
    };
    const std::string &name = args[1];
    const Call *call = nullptr;
    for (const Call &c : calls)
        if (name == c.name)
            call = &c;
    // "nr:N": system call number N with no arguments (one no libc or profile knows yet).
    Call raw{"nr", 0, 0, false};
    unsigned long rawNr = 0;
    if (call == nullptr && name.starts_with("nr:") && parseArg(name.substr(3), rawNr)) {
        raw.nr = static_cast<long>(rawNr);
        call = &raw;
    }
    size_t given = args.size() - 2;
    if (call == nullptr || given < (call->path ? 1 : 0))
        return 2;
    // The path calls take an optional integer (mode 0755, flags 0); the others need them all.
    size_t ints = given - (call->path ? 1 : 0);
    if (call->path ? ints > call->ints : ints != call->ints)
        return 2;
    unsigned long a[6] = {};
    size_t next = 0;
    if (call->path) {
        a[next++] = static_cast<unsigned long>(AT_FDCWD);
        a[next++] = reinterpret_cast<unsigned long>(args[2].c_str());
        a[next] = name == "mkdirat" ? 0755 : 0;
    }
    for (size_t i = args.size() - ints; i < args.size(); ++i)
        if (!parseArg(args[i], a[next++]))
            return 2;
    struct utsname uts {};
    if (name == "uname")
        a[0] = reinterpret_cast<unsigned long>(&uts);
    errno = 0;
    long ret = ::syscall(call->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    int err = errno;
    json out = ret == -1 && err != 0 ? errnoJson(err) : json{{"ok", true}, {"errno", 0}};
    out["syscall"] = name;
    out["ret"] = ret;
    if (name == "uname" && ret == 0)
        out["sysname"] = uts.sysname;
    // A socket the call made is not the probe's business: close it.
    if (name == "socket" && ret >= 0)
        ::close(static_cast<int>(ret));
    emit(out);
    return 0;
}

/// `sysctl NAME`: the value of /proc/sys/NAME with dots as slashes, trimmed.
int cmdSysctl(const std::string &name)
{
    std::string path = "/proc/sys/";
    for (char c : name)
        path += c == '.' ? '/' : c;
    std::string value;
    if (!readWhole(path, value)) {
        json out = errnoJson(errno);
        out["name"] = name;
        emit(out);
        return 0;
    }
    emit({{"ok", true}, {"name", name}, {"value", trimRight(value)}});
    return 0;
}

/// `mount TYPE TARGET [userns]`: mounts a fresh TYPE (proc, sysfs, tmpfs) on TARGET, with
/// "userns" first in a new user and mount namespace of its own; prints ok or the errno (and
/// the step that failed). In a user namespace the kernel allows proc and sysfs only where a
/// fully visible mount of that filesystem is in the mount namespace.
int cmdMount(const std::string &type, const std::string &target, bool newUserns)
{
    if (newUserns) {
        // proc needs its own pid namespace and sysfs its own network namespace to be the new
        // user namespace's to mount; the pid namespace takes effect in a child.
        if (::unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET) < 0) {
            json out = errnoJson(errno);
            out["step"] = "unshare";
            emit(out);
            return 0;
        }
        pid_t child = ::fork();
        if (child < 0) {
            emit(errnoJson(errno));
            return 1;
        }
        if (child > 0) {
            int status = 0;
            ::waitpid(child, &status, 0);
            return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
        }
    }
    if (::mount(type.c_str(), target.c_str(), type.c_str(), 0, nullptr) < 0) {
        json out = errnoJson(errno);
        out["step"] = "mount";
        emit(out);
        return 0;
    }
    ::umount2(target.c_str(), MNT_DETACH);
    emit({{"ok", true}});
    return 0;
}

/// `wait-signal`: blocks every signal, prints {"ready": true}, then prints the first signal
/// received as {"signal": N, "name": "TERM"} and exits 0. SIGKILL/SIGSTOP can't be caught.
int cmdWaitSignal()
{
    sigset_t all;
    ::sigfillset(&all);
    ::sigprocmask(SIG_BLOCK, &all, nullptr);
    emit({{"ready", true}, {"pid", ::getpid()}});
    for (;;) {
        siginfo_t info{};
        int sig = ::sigwaitinfo(&all, &info);
        if (sig < 0) {
            if (errno == EINTR)
                continue;
            emit(errnoJson(errno));
            return 1;
        }
        const char *abbrev = sigabbrev_np(sig);
        emit({{"signal", sig}, {"name", abbrev != nullptr ? abbrev : ""}});
        return 0;
    }
}

/// `alloc MIB`: allocates MIB MiB and writes every page, so it is really charged; prints
/// {"ok": true, "mib": N} if it survived.
int cmdAlloc(long mib)
{
    const size_t chunk = 1 << 20;
    std::vector<std::unique_ptr<char[]>> blocks;
    for (long i = 0; i < mib; ++i) {
        blocks.emplace_back(new char[chunk]);
        for (size_t off = 0; off < chunk; off += 4096)
            blocks.back()[off] = static_cast<char>(i);
    }
    emit({{"ok", true}, {"mib", mib}});
    return 0;
}

/// `fork N`: forks N children that block until the parent exits; prints how many forks
/// succeeded and the errno of the first that failed.
int cmdFork(int n)
{
    int made = 0;
    int err = 0;
    int gate[2];
    if (::pipe(gate) < 0)
        return 1;
    for (int i = 0; i < n; ++i) {
        pid_t pid = ::fork();
        if (pid < 0) {
            err = errno;
            break;
        }
        if (pid == 0) {
            ::close(gate[1]);
            char c;
            ssize_t r = ::read(gate[0], &c, 1); // EOF when the parent exits
            (void)r;
            ::_exit(0);
        }
        ++made;
    }
    json out = {{"ok", err == 0}, {"forked", made}};
    if (err != 0)
        out["error"] = errnoName(err);
    emit(out);
    return 0;
}

/// The usage text, printed on a bad command line.
int usage()
{
    std::fputs("usage: husk-probe COMMAND [ARGS]\n"
               "  info                 identity, credentials, limits, namespaces, fds, tty, net\n"
               "  mounts               /proc/self/mountinfo as JSON\n"
               "  stat PATH            lstat of PATH\n"
               "  read PATH            read PATH, print ok or the errno\n"
               "  write PATH [DATA]    write PATH (created if missing), print ok or the errno\n"
               "  open PATH MODE       open PATH (not created) with MODE r, w, rw or path\n"
               "                       (O_PATH), print ok or the errno\n"
               "  syscall NAME [ARG...]\n"
               "                       make one system call directly, print ok, ret and errno:\n"
               "                       getpid, getppid, getuid, uname, getpriority WHICH WHO,\n"
               "                       setpriority WHICH WHO PRIO, personality PERSONA,\n"
               "                       socket DOMAIN TYPE PROTOCOL, mkdirat PATH [MODE],\n"
               "                       unlinkat PATH [FLAGS], sched_getscheduler PID,\n"
               "                       nr:N (number N, no arguments)\n"
               "  mount TYPE TARGET [userns]\n"
               "                       mount a fresh TYPE on TARGET (first in a new user and\n"
               "                       mount namespace with userns), print ok or the errno\n"
               "  sysctl NAME          value of /proc/sys/NAME (dots or slashes)\n"
               "  exit N               exit with status N\n"
               "  sleep SECONDS        sleep, then exit 0\n"
               "  alloc MIB            allocate and touch MIB MiB, print ok (or be OOM-killed)\n"
               "  fork N               fork N children that wait; print how many forks worked\n"
               "  wait-signal          print {\"ready\":true}, then the first signal, one JSON\n"
               "                       line each, and exit 0\n"
               "  echo ARGS...         print ARGS joined by spaces as plain text\n",
               stderr);
    return 2;
}

} // namespace

int main(int argc, char **argv)
{
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty())
        return usage();
    const std::string &cmd = args[0];
    size_t n = args.size();
    if (cmd == "info" && n == 1)
        return cmdInfo();
    if (cmd == "mounts" && n == 1)
        return cmdMounts();
    if (cmd == "stat" && n == 2)
        return cmdStat(args[1]);
    if (cmd == "read" && n == 2)
        return cmdRead(args[1]);
    if (cmd == "write" && (n == 2 || n == 3))
        return cmdWrite(args[1], n == 3 ? args[2] : std::string("x\n"));
    if (cmd == "open" && n == 3) {
        int r = cmdOpen(args[1], args[2]);
        return r == 2 ? usage() : r;
    }
    if (cmd == "syscall" && n >= 2) {
        int r = cmdSyscall(args);
        return r == 2 ? usage() : r;
    }
    if (cmd == "mount" && (n == 3 || (n == 4 && args[3] == "userns")))
        return cmdMount(args[1], args[2], n == 4);
    if (cmd == "sysctl" && n == 2)
        return cmdSysctl(args[1]);
    if (cmd == "exit" && n == 2)
        return std::atoi(args[1].c_str());
    if (cmd == "alloc" && n == 2)
        return cmdAlloc(std::atol(args[1].c_str()));
    if (cmd == "fork" && n == 2)
        return cmdFork(std::atoi(args[1].c_str()));
    if (cmd == "sleep" && n == 2) {
        std::this_thread::sleep_for(std::chrono::duration<double>(std::atof(args[1].c_str())));
        return 0;
    }
    if (cmd == "wait-signal" && n == 1)
        return cmdWaitSignal();
    if (cmd == "echo") {
        std::string line;
        for (size_t i = 1; i < n; ++i)
            line += (i > 1 ? " " : "") + args[i];
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fflush(stdout);
        return 0;
    }
    return usage();
}
