// husk-fake-systemd: a test-only stand-in for systemd's manager on a private dbus-daemon, for
// systemd_test on hosts without systemd. It owns org.freedesktop.systemd1 and implements just
// enough of org.freedesktop.systemd1.Manager for `husk --systemd-cgroup`:
//   StartTransientUnit  records the call, creates the unit's cgroup in the hierarchies systemd
//                       manages on v1 (name=systemd, memory, cpu, cpuacct, blkio, pids, devices)
//                       and on cgroup2, moves PIDs= there, and ends the job (JobRemoved)
//   StopUnit            records the call, kills what is in the unit, removes the directories it
//                       made and ends the job; an unknown unit is NoSuchUnit, as in systemd
//   SetUnitProperties   records the call
// Every call is one JSON line in the --log file, properties decoded with their signatures.
// `--job-result PREFIX=RESULT` ends the start job of units named PREFIX... with RESULT (and
// creates nothing), to test husk's handling of failed jobs. On SIGTERM, or when the bus goes
// away, it removes the directories of the units still started and exits.
//
// usage: husk-fake-systemd --address ADDRESS --log FILE [--job-result PREFIX=RESULT]...
// Prints "ready" on stdout once it owns the name.

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemd/sd-bus.h>

#include "tests/integration/mountinfo.h"

namespace {

using nlohmann::json;

constexpr const char *kPath = "/org/freedesktop/systemd1";
constexpr const char *kInterface = "org.freedesktop.systemd1.Manager";

volatile sig_atomic_t stopRequested = 0;

extern "C" void onTerm(int)
{
    stopRequested = 1;
}

/// One started unit: the directories made for it (parents first) and its leaf directories.
struct UnitDirs {
    std::vector<std::string> created;
    std::vector<std::string> leaves;
};

struct Fake {
    sd_bus *bus = nullptr;
    std::string logPath;
    std::vector<std::pair<std::string, std::string>> jobResults; // unit prefix -> result
    std::map<std::string, UnitDirs> units;
    uint32_t nextJob = 1;
};

void logCall(const Fake &f, const json &entry)
{
    std::ofstream out(f.logPath, std::ios::app);
    out << entry.dump() << "\n";
}

/// Reads the next value of m, of basic type, as a T (what sd-bus stores for that type) into
/// out as a J (a D-Bus boolean is an int that JSON shows as true or false).
template <typename T, typename J = T> int readBasic(sd_bus_message *m, char type, json &out)
{
    T v = 0;
    int r = sd_bus_message_read_basic(m, type, &v);
    out = static_cast<J>(v);
    return r;
}

/// The readers of the basic types but strings, by D-Bus type code.
const std::map<char, int (*)(sd_bus_message *, char, json &)> kBasicReaders = {
    {'y', readBasic<uint8_t>},  {'b', readBasic<int, bool>}, {'n', readBasic<int16_t>},
    {'q', readBasic<uint16_t>}, {'i', readBasic<int32_t>},   {'u', readBasic<uint32_t>},
    {'x', readBasic<int64_t>},  {'t', readBasic<uint64_t>},  {'d', readBasic<double>},
};

/// Decodes the next value of m (any D-Bus type) into JSON; 0 at the end of a container.
int readValue(sd_bus_message *m, json &out)
{
    char type = 0;
    const char *contents = nullptr;
    int r = sd_bus_message_peek_type(m, &type, &contents);
    if (r <= 0)
        return r;
    if (auto basic = kBasicReaders.find(type); basic != kBasicReaders.end())
        return basic->second(m, type, out);
    switch (type) {
    case 's':
    case 'o':
    case 'g': {
        const char *v = nullptr;
        r = sd_bus_message_read_basic(m, type, &v);
        out = v ? v : "";
        return r;
    }
    case 'a':
    case 'r':
    case 'e':
    case 'v': {
        r = sd_bus_message_enter_container(m, type, contents);
        if (r < 0)
            return r;
        if (type == 'v') {
            r = readValue(m, out);
        } else {
            out = json::array();
            for (;;) {
                json item;
                r = readValue(m, item);
                if (r <= 0)
                    break;
                out.push_back(std::move(item));
            }
        }
        if (r < 0)
            return r;
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : 1;
    }
    default:
        return -EINVAL;
    }
}

/// Reads an a(sv) into {"name": value}, with each variant's signature in sigs.
int readProperties(sd_bus_message *m, json &props, json &sigs)
{
    props = json::object();
    sigs = json::object();
    int r = sd_bus_message_enter_container(m, 'a', "(sv)");
    if (r < 0)
        return r;
    while ((r = sd_bus_message_enter_container(m, 'r', "sv")) > 0) {
        const char *name = nullptr;
        r = sd_bus_message_read_basic(m, 's', &name);
        if (r < 0)
            return r;
        char type = 0;
        const char *contents = nullptr;
        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
            return r;
        sigs[name] = contents ? contents : "";
        json value;
        r = readValue(m, value);
        if (r < 0)
            return r;
        props[name] = std::move(value);
        r = sd_bus_message_exit_container(m);
        if (r < 0)
            return r;
    }
    if (r < 0)
        return r;
    return sd_bus_message_exit_container(m);
}

/// The cgroup directory of a slice as systemd nests them ("a-b.slice": /a.slice/a-b.slice).
std::string sliceDir(const std::string &slice)
{
    if (slice == "-.slice" || slice.empty())
        return "";
    std::string stem = slice.substr(0, slice.size() - std::strlen(".slice"));
    std::string out;
    for (size_t dash = stem.find('-');; dash = stem.find('-', dash + 1)) {
        out.append("/").append(stem, 0, dash).append(".slice");
        if (dash == std::string::npos)
            break;
    }
    return out;
}

/// The hierarchies systemd manages: on v1 the ones with a controller it realizes for units
/// (not cpuset, freezer, net_cls, perf_event, hugetlb, ...), and cgroup2.
std::vector<std::string> managedMounts()
{
    static const std::vector<std::string> kManaged = {"name=systemd", "memory", "cpu",    "cpuacct",
                                                      "blkio",        "pids",   "devices"};
    std::vector<std::string> out;
    for (const husk::test::MountInfo &m : husk::test::readMountInfo()) {
        bool managed = m.fstype == "cgroup2";
        if (m.fstype == "cgroup") {
            std::istringstream opts(m.superOptions);
            for (std::string o; std::getline(opts, o, ',');)
                managed |= std::find(kManaged.begin(), kManaged.end(), o) != kManaged.end();
        }
        if (managed && std::find(out.begin(), out.end(), m.mountPoint) == out.end())
            out.push_back(m.mountPoint);
    }
    return out;
}

/// mkdir -p of mountPoint + rel, noting the directories made.
bool makeDirs(const std::string &mountPoint, const std::string &rel, UnitDirs &dirs)
{
    std::string cur = mountPoint;
    size_t pos = 0;
    while (pos < rel.size()) {
        size_t next = rel.find('/', pos + 1);
        if (next == std::string::npos)
            next = rel.size();
        cur = mountPoint + rel.substr(0, next);
        pos = next;
        if (::mkdir(cur.c_str(), 0755) == 0)
            dirs.created.push_back(cur);
        else if (errno != EEXIST)
            return false;
    }
    dirs.leaves.push_back(cur);
    return true;
}

/// Kills what is in the unit's cgroups and removes the directories made for it.
void removeUnit(const UnitDirs &dirs)
{
    for (int round = 0; round < 200; ++round) {
        bool any = false;
        for (const std::string &leaf : dirs.leaves) {
            std::ifstream procs(leaf + "/cgroup.procs");
            for (pid_t pid; procs >> pid;) {
                ::kill(pid, SIGKILL);
                any = true;
            }
        }
        if (!any)
            break;
        ::usleep(10000);
    }
    std::vector<std::string> created = dirs.created;
    std::sort(created.begin(), created.end(),
              [](const std::string &a, const std::string &b) { return a.size() > b.size(); });
    for (const std::string &d : created)
        for (int attempt = 0; attempt < 100 && ::rmdir(d.c_str()) < 0 && errno == EBUSY; ++attempt)
            ::usleep(10000);
}

std::string nextJobPath(Fake &f, uint32_t &id)
{
    id = f.nextJob++;
    return std::string(kPath) + "/job/" + std::to_string(id);
}

/// Replies with the job path, then ends the job: the order systemd keeps (the job exists
/// when the caller learns of it).
int finishJob(Fake &f, sd_bus_message *call, const std::string &unit, const std::string &result)
{
    uint32_t id = 0;
    std::string job = nextJobPath(f, id);
    int r = sd_bus_reply_method_return(call, "o", job.c_str());
    if (r < 0)
        return r;
    r = sd_bus_emit_signal(f.bus, kPath, kInterface, "JobRemoved", "uoss", id, job.c_str(),
                           unit.c_str(), result.c_str());
    return r < 0 ? r : 1;
}

/// systemd's answer for a unit it has not loaded.
int noSuchUnit(sd_bus_error *error, const char *name)
{
    return sd_bus_error_setf(error, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not loaded.",
                             name);
}

/// Adapts a handler of a method whose first arguments are a unit name and a job mode ("ss")
/// to sd-bus: reads those two and hands them over.
template <int (*Handler)(Fake &, sd_bus_message *, const char *, const char *, sd_bus_error *)>
int unitMethod(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    const char *name = nullptr;
    const char *mode = nullptr;
    int r = sd_bus_message_read(m, "ss", &name, &mode);
    if (r < 0)
        return r;
    return Handler(*static_cast<Fake *>(userdata), m, name, mode, error);
}

int startTransientUnit(Fake &f, sd_bus_message *m, const char *name, const char *mode,
                       sd_bus_error *error)
{
    json props, sigs, aux;
    int r = readProperties(m, props, sigs);
    if (r < 0)
        return r;
    r = readValue(m, aux);
    if (r < 0)
        return r;
    const std::string unit = name;
    logCall(f, {{"method", "StartTransientUnit"},
                {"unit", unit},
                {"mode", mode},
                {"properties", props},
                {"signatures", sigs},
                {"aux", aux}});
    if (f.units.contains(unit))
        return sd_bus_error_setf(error, "org.freedesktop.systemd1.UnitExists",
                                 "Unit %s already exists.", name);
    for (const auto &[prefix, result] : f.jobResults)
        if (unit.starts_with(prefix))
            return finishJob(f, m, unit, result);

    std::string rel;
    if (unit.ends_with(".slice")) {
        rel = sliceDir(unit);
    } else {
        std::string slice = props.contains("Slice") ? props["Slice"].get<std::string>() : "";
        rel = sliceDir(slice.empty() ? "-.slice" : slice) + "/" + unit;
    }
    UnitDirs dirs;
    for (const std::string &mountPoint : managedMounts()) {
        if (!makeDirs(mountPoint, rel, dirs)) {
            int e = errno;
            removeUnit(dirs);
            return sd_bus_error_set_errnof(error, e, "mkdir %s%s: %s", mountPoint.c_str(),
                                           rel.c_str(), std::strerror(e));
        }
        if (props.contains("PIDs"))
            for (const json &pid : props["PIDs"]) {
                std::ofstream procs(mountPoint + rel + "/cgroup.procs");
                procs << pid.get<uint32_t>() << "\n";
            }
    }
    f.units[unit] = std::move(dirs);
    return finishJob(f, m, unit, "done");
}

int stopUnit(Fake &f, sd_bus_message *m, const char *name, const char *mode, sd_bus_error *error)
{
    auto it = f.units.find(name);
    logCall(
        f,
        {{"method", "StopUnit"}, {"unit", name}, {"mode", mode}, {"known", it != f.units.end()}});
    if (it == f.units.end())
        return noSuchUnit(error, name);
    removeUnit(it->second);
    f.units.erase(it);
    return finishJob(f, m, name, "done");
}

int setUnitProperties(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    Fake &f = *static_cast<Fake *>(userdata);
    const char *name = nullptr;
    int runtime = 0;
    int r = sd_bus_message_read(m, "sb", &name, &runtime);
    if (r < 0)
        return r;
    json props, sigs;
    r = readProperties(m, props, sigs);
    if (r < 0)
        return r;
    logCall(f, {{"method", "SetUnitProperties"},
                {"unit", name},
                {"runtime", runtime != 0},
                {"properties", props},
                {"signatures", sigs}});
    if (!f.units.contains(name))
        return noSuchUnit(error, name);
    return sd_bus_reply_method_return(m, "");
}

const sd_bus_vtable kVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("StartTransientUnit", "ssa(sv)a(sa(sv))", "o", unitMethod<startTransientUnit>,
                  SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("StopUnit", "ss", "o", unitMethod<stopUnit>, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("SetUnitProperties", "sba(sv)", "", setUnitProperties,
                  SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_SIGNAL("JobRemoved", "uoss", 0),
    SD_BUS_VTABLE_END,
};

int die(const char *what, int r)
{
    std::fprintf(stderr, "husk-fake-systemd: %s: %s\n", what, std::strerror(-r));
    return 1;
}

} // namespace

int main(int argc, char **argv)
{
    Fake f;
    std::string address;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        std::string value = argv[i + 1];
        if (flag == "--address") {
            address = value;
        } else if (flag == "--log") {
            f.logPath = value;
        } else if (flag == "--job-result" && value.find('=') != std::string::npos) {
            f.jobResults.emplace_back(value.substr(0, value.find('=')),
                                      value.substr(value.find('=') + 1));
        } else {
            std::fprintf(stderr, "husk-fake-systemd: unknown argument %s\n", flag.c_str());
            return 2;
        }
    }
    if (address.empty() || f.logPath.empty()) {
        std::fprintf(stderr, "usage: husk-fake-systemd --address ADDRESS --log FILE "
                             "[--job-result PREFIX=RESULT]...\n");
        return 2;
    }
    // No SA_RESTART: the wait for the bus returns EINTR and the loop sees the request.
    struct sigaction sa {};
    sa.sa_handler = onTerm;
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);

    int r = sd_bus_new(&f.bus);
    if (r < 0)
        return die("sd_bus_new", r);
    std::unique_ptr<sd_bus, decltype(&sd_bus_flush_close_unref)> owner(f.bus,
                                                                       &sd_bus_flush_close_unref);
    if ((r = sd_bus_set_address(f.bus, address.c_str())) < 0 ||
        (r = sd_bus_set_bus_client(f.bus, 1)) < 0 || (r = sd_bus_start(f.bus)) < 0)
        return die("connect", r);
    if ((r = sd_bus_add_object_vtable(f.bus, nullptr, kPath, kInterface, kVtable, &f)) < 0)
        return die("add object", r);
    if ((r = sd_bus_request_name(f.bus, "org.freedesktop.systemd1", 0)) < 0)
        return die("request name", r);
    std::printf("ready\n");
    std::fflush(stdout);

    while (!stopRequested) {
        r = sd_bus_process(f.bus, nullptr);
        if (r < 0)
            break; // the bus went away
        if (r > 0)
            continue;
        r = sd_bus_wait(f.bus, UINT64_MAX);
        if (r < 0 && r != -EINTR)
            break;
    }
    for (const auto &[name, dirs] : f.units)
        removeUnit(dirs);
    return 0;
}
