// libcontainer/cgroups/systemd.h and systemd_dbus.h: --systemd-cgroup's paths, unit properties
// and their D-Bus marshalling (read back with sd-bus, linked here; husk itself opens libsystemd
// only when the flag is used). The calls themselves run against a fake manager in
// tests/integration/systemd_test.

#define BOOST_TEST_MODULE cgroups_systemd
#include "tests/unit/libcontainer_test_helpers.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <systemd/sd-bus.h>

#include "common/file.h"
#include "libcontainer/cgroups/layout.h"
#include "libcontainer/cgroups/manager.h"
#include "libcontainer/cgroups/systemd.h"
#include "libcontainer/cgroups/systemd_dbus.h"

using namespace husk;
using namespace husk::cgroups;
using namespace lc_test;

// libcontainer/cgroups/systemd.h: --systemd-cgroup paths and unit properties.
BOOST_AUTO_TEST_SUITE(systemd_translation)

BOOST_AUTO_TEST_CASE(cgroups_path_forms)
{
    using namespace husk::cgroups::systemd;
    Unit u = require(parseCgroupsPath("machine.slice:husk:web", "web"));
    BOOST_TEST(u.slice == "machine.slice");
    BOOST_TEST(u.name == "husk-web.scope");
    BOOST_TEST(require(unitCgroupPath(u)) == "/machine.slice/husk-web.scope");
    u = require(parseCgroupsPath(":husk:web", "web"));
    BOOST_TEST(u.slice == "system.slice");
    u = require(parseCgroupsPath("", "abc"));
    BOOST_TEST(u.slice == "system.slice");
    BOOST_TEST(u.name == "husk-abc.scope");
    u = require(parseCgroupsPath("user.slice::pod", "x"));
    BOOST_TEST(u.name == "pod.scope");
    u = require(parseCgroupsPath("a-b.slice:p:a-b-c.slice", "x"));
    BOOST_TEST(u.name == "a-b-c.slice");
    BOOST_TEST(require(unitCgroupPath(u)) == "/a.slice/a-b.slice/a-b-c.slice");

    BOOST_TEST(errorText(parseCgroupsPath("/husk/web", "web")) ==
               "linux.cgroupsPath: \"/husk/web\": with --systemd-cgroup it must be "
               "\"slice:prefix:name\"");
    BOOST_TEST(errorText(parseCgroupsPath("a:b:c:d", "x")).starts_with("linux.cgroupsPath"));
    BOOST_TEST(errorText(parseCgroupsPath("machine:husk:web", "web")) ==
               "linux.cgroupsPath: \"machine\" is not a slice name (NAME.slice)");
    BOOST_TEST(errorText(parseCgroupsPath("machine.slice:husk:", "web")) ==
               "linux.cgroupsPath: \"machine.slice:husk:\": the name part is empty");
}

BOOST_AUTO_TEST_CASE(slice_nesting)
{
    using namespace husk::cgroups::systemd;
    BOOST_TEST(require(slicePath("-.slice")) == "");
    BOOST_TEST(require(slicePath("system.slice")) == "/system.slice");
    BOOST_TEST(require(slicePath("a-b-c.slice")) == "/a.slice/a-b.slice/a-b-c.slice");
    BOOST_TEST(!slicePath("a--b.slice").has_value());
    BOOST_TEST(!slicePath("-a.slice").has_value());
    BOOST_TEST(!slicePath("a.scope").has_value());
}

BOOST_AUTO_TEST_CASE(cpuset_masks)
{
    using namespace husk::cgroups::systemd;
    BOOST_TEST((require(cpusetMask("0")) == std::vector<uint8_t>{0x01}));
    BOOST_TEST((require(cpusetMask("0-2,9")) == std::vector<uint8_t>{0x07, 0x02}));
    BOOST_TEST((require(cpusetMask("15")) == std::vector<uint8_t>{0x00, 0x80}));
    BOOST_TEST(!cpusetMask("3-1").has_value());
    BOOST_TEST(!cpusetMask("x").has_value());
}

BOOST_AUTO_TEST_CASE(resource_properties)
{
    using namespace husk::cgroups::systemd;
    husk::spec::Resources r;
    r.memory = husk::spec::Memory{};
    r.memory->limit = 512 << 20;
    r.memory->swap = 768 << 20;
    r.memory->reservation = 256 << 20;
    r.cpu = husk::spec::Cpu{};
    r.cpu->shares = 1024;
    r.cpu->quota = 50000;
    r.cpu->period = 100000;
    r.cpu->cpus = "0-1";
    r.pidsLimit = 100;
    r.devices = {{false, "a", {}, {}, "rwm"}, {true, "c", 1, 3, "rwm"}, {true, "c", 136, {}, "rw"}};
    auto find = [](const std::vector<Property> &ps, const std::string &n) -> const PropertyValue * {
        for (const Property &p : ps)
            if (p.name == n)
                return &p.value;
        return nullptr;
    };
    std::vector<Property> v2 = require(resourceProperties(r, true));
    BOOST_TEST(std::get<uint64_t>(*find(v2, "MemoryMax")) == uint64_t{512} << 20);
    BOOST_TEST(std::get<uint64_t>(*find(v2, "MemorySwapMax")) == uint64_t{256} << 20);
    BOOST_TEST(std::get<uint64_t>(*find(v2, "MemoryLow")) == uint64_t{256} << 20);
    BOOST_TEST(std::get<uint64_t>(*find(v2, "CPUWeight")) == 39U); // 1 + 1022*9999/262142
    BOOST_TEST(std::get<uint64_t>(*find(v2, "CPUQuotaPerSecUSec")) == 500000U);
    BOOST_TEST(std::get<uint64_t>(*find(v2, "CPUQuotaPeriodUSec")) == 100000U);
    BOOST_TEST(
        (std::get<std::vector<uint8_t>>(*find(v2, "AllowedCPUs")) == std::vector<uint8_t>{0x03}));
    BOOST_TEST(std::get<uint64_t>(*find(v2, "TasksMax")) == 100U);
    BOOST_TEST(std::get<std::string>(*find(v2, "DevicePolicy")) == "strict");
    auto allow =
        std::get<std::vector<std::pair<std::string, std::string>>>(*find(v2, "DeviceAllow"));
    BOOST_REQUIRE(allow.size() > 2U);
    BOOST_TEST(allow[0].first == "/dev/char/1:3");
    BOOST_TEST(allow[1].first == "char-*");
    BOOST_TEST(allow[1].second == "rw");
    // Then the defaults husk itself allows (a working /dev), each entry once: /dev/null (1:3)
    // was in the config already. Without names a whole major (136, the pty slaves) is
    // reachable as char-*.
    using Entry = std::pair<std::string, std::string>;
    BOOST_TEST(std::count(allow.begin(), allow.end(), Entry{"/dev/char/1:3", "rwm"}) == 1);
    BOOST_TEST(std::count(allow.begin(), allow.end(), Entry{"/dev/char/5:2", "rwm"}) == 1);
    BOOST_TEST(std::count(allow.begin(), allow.end(), Entry{"block-*", "m"}) == 1);
    BOOST_TEST(std::count(allow.begin(), allow.end(), Entry{"char-*", "rwm"}) == 1);
    // With /proc/devices' names systemd gets the major itself.
    DeviceNames names = parseProcDevices("Character devices:\n136 pts\n");
    auto named = std::get<std::vector<std::pair<std::string, std::string>>>(
        *find(require(resourceProperties(r, true, names)), "DeviceAllow"));
    BOOST_TEST(named[1].first == "char-pts"); // the config's c 136:* rw
    BOOST_TEST(std::count(named.begin(), named.end(), Entry{"char-pts", "rwm"}) == 1);
    BOOST_TEST(std::count(named.begin(), named.end(), Entry{"char-*", "rwm"}) == 0);

    std::vector<Property> v1 = require(resourceProperties(r, false));
    BOOST_TEST(std::get<uint64_t>(*find(v1, "MemoryLimit")) == uint64_t{512} << 20);
    BOOST_TEST(std::get<uint64_t>(*find(v1, "CPUShares")) == 1024U);
    BOOST_TEST(find(v1, "MemorySwapMax") == nullptr);
    BOOST_TEST(find(v1, "CPUWeight") == nullptr);

    // Small quotas round up to systemd's 10 ms step; -1 is infinity.
    r.cpu->quota = 1234;
    BOOST_TEST(std::get<uint64_t>(
                   *find(require(resourceProperties(r, true)), "CPUQuotaPerSecUSec")) == 20000U);
    r.cpu->quota = -1;
    BOOST_TEST(std::get<uint64_t>(
                   *find(require(resourceProperties(r, true)), "CPUQuotaPerSecUSec")) == kInfinity);
    r.memory->swap = 1;
    BOOST_TEST(errorText(resourceProperties(r, true)) ==
               "linux.resources.memory.swap: less than the memory limit");
}

BOOST_AUTO_TEST_SUITE_END()

// libcontainer/cgroups/systemd.h unitProperties and systemd_dbus.h marshalling: the unit
// systemd is asked for, and the a(sv) it goes over D-Bus as (read back with sd-bus; the calls
// themselves run against a fake manager in tests/integration/systemd_test).
BOOST_AUTO_TEST_SUITE(systemd_unit)

namespace {

using namespace husk::cgroups::systemd;

const PropertyValue *findProperty(const std::vector<Property> &ps, const std::string &name)
{
    for (const Property &p : ps)
        if (p.name == name)
            return &p.value;
    return nullptr;
}

/// A method call message to fill: sd-bus makes messages only for a started bus, so this one
/// is a client on one end of a socketpair nobody answers.
class Message
{
public:
    Message()
    {
        BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_) == 0);
        BOOST_REQUIRE(sd_bus_new(&bus_) >= 0);
        BOOST_REQUIRE(sd_bus_set_fd(bus_, fds_[0], fds_[0]) >= 0);
        BOOST_REQUIRE(sd_bus_start(bus_) >= 0);
        BOOST_REQUIRE(sd_bus_message_new_method_call(
                          bus_, &m_, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                          "org.freedesktop.systemd1.Manager", "StartTransientUnit") >= 0);
    }
    ~Message()
    {
        sd_bus_message_unref(m_);
        sd_bus_close_unref(bus_); // closes fds_[0]
        ::close(fds_[1]);
    }
    Message(const Message &) = delete;
    Message &operator=(const Message &) = delete;

    sd_bus_message *get() { return m_; }
    /// Seals the message and rewinds it for reading.
    void seal()
    {
        BOOST_REQUIRE(sd_bus_message_seal(m_, 1, 0) >= 0);
        BOOST_REQUIRE(sd_bus_message_rewind(m_, 1) >= 0);
    }

private:
    int fds_[2] = {-1, -1};
    sd_bus *bus_ = nullptr;
    sd_bus_message *m_ = nullptr;
};

} // namespace

BOOST_AUTO_TEST_CASE(scope_properties)
{
    Unit u{"machine.slice", "husk-web.scope"};
    std::vector<Property> limits = {{"TasksMax", uint64_t{9}}};
    std::vector<Property> ps = unitProperties(u, "web", 4242, false, limits);
    BOOST_TEST(std::get<std::string>(*findProperty(ps, "Description")) == "husk container web");
    BOOST_TEST(std::get<std::string>(*findProperty(ps, "Slice")) == "machine.slice");
    BOOST_TEST((std::get<std::vector<uint32_t>>(*findProperty(ps, "PIDs")) ==
                std::vector<uint32_t>{4242}));
    BOOST_TEST(std::get<bool>(*findProperty(ps, "Delegate")) == true);
    BOOST_TEST(std::get<bool>(*findProperty(ps, "DefaultDependencies")) == false);
    BOOST_TEST(std::get<bool>(*findProperty(ps, "BlockIOAccounting")) == true);
    BOOST_TEST(findProperty(ps, "IOAccounting") == nullptr);
    BOOST_TEST(findProperty(ps, "Wants") == nullptr);
    // The resource properties come last, as given.
    BOOST_TEST(ps.back().name == "TasksMax");
    BOOST_TEST(std::get<uint64_t>(ps.back().value) == 9U);

    BOOST_TEST(std::get<bool>(
                   *findProperty(unitProperties(u, "web", 1, true, {}), "IOAccounting")) == true);
}

BOOST_AUTO_TEST_CASE(slice_properties)
{
    Unit u = require(parseCgroupsPath("system.slice:p:pod-a.slice", "a"));
    std::vector<Property> ps = unitProperties(u, "a", 4242, true, {});
    BOOST_TEST((std::get<std::vector<std::string>>(*findProperty(ps, "Wants")) ==
                std::vector<std::string>{"system.slice"}));
    // A slice holds no processes of its own and nests by name.
    BOOST_TEST(findProperty(ps, "PIDs") == nullptr);
    BOOST_TEST(findProperty(ps, "Slice") == nullptr);
    BOOST_TEST(findProperty(ps, "Delegate") == nullptr);
    BOOST_TEST(std::get<bool>(*findProperty(ps, "DefaultDependencies")) == false);
}

BOOST_AUTO_TEST_CASE(proc_devices)
{
    DeviceNames n = parseProcDevices("Character devices:\n"
                                     "  1 mem\n"
                                     "  4 /dev/vc/0\n"
                                     "  4 tty\n"
                                     "  4 ttyS\n"
                                     "  5 /dev/tty\n"
                                     "136 pts\n"
                                     "\n"
                                     "Block devices:\n"
                                     "  8 sd\n"
                                     "259 blkext\n");
    BOOST_TEST(n.at({'c', 1}) == "mem");
    BOOST_TEST(n.at({'c', 4}) == "tty"); // the first name without a '/'
    BOOST_TEST(!n.contains({'c', 5}));   // only path-like names
    BOOST_TEST(n.at({'c', 136}) == "pts");
    BOOST_TEST(n.at({'b', 8}) == "sd");
    BOOST_TEST(!n.contains({'c', 8}));
    BOOST_TEST(n.size() == 5U);
}

BOOST_AUTO_TEST_CASE(signatures)
{
    BOOST_TEST(signature(uint64_t{1}) == "t");
    BOOST_TEST(signature(std::string("x")) == "s");
    BOOST_TEST(signature(std::vector<uint8_t>{1}) == "ay");
    BOOST_TEST(signature(true) == "b");
    BOOST_TEST(signature(std::vector<std::pair<std::string, std::string>>{}) == "a(ss)");
    BOOST_TEST(signature(std::vector<uint32_t>{}) == "au");
    BOOST_TEST(signature(std::vector<std::string>{}) == "as");
}

BOOST_AUTO_TEST_CASE(properties_marshal_as_a_sv)
{
    std::vector<Property> props = {
        {"MemoryLimit", uint64_t{1} << 30},
        {"Slice", std::string("system.slice")},
        {"AllowedCPUs", std::vector<uint8_t>{0x05, 0x01}},
        {"Delegate", true},
        {"DefaultDependencies", false},
        {"DeviceAllow",
         std::vector<std::pair<std::string, std::string>>{{"/dev/null", "rwm"}, {"char-*", "m"}}},
        {"PIDs", std::vector<uint32_t>{7, 4242}},
        {"Wants", std::vector<std::string>{"a.slice", "b.slice"}},
        {"PIDs", std::vector<uint32_t>{}}, // empty arrays too
    };
    Message m;
    requireOk(appendProperties(m.get(), props));
    m.seal();

    BOOST_REQUIRE(sd_bus_message_enter_container(m.get(), 'a', "(sv)") > 0);
    auto next = [&](const char *name, const char *sig) {
        BOOST_REQUIRE(sd_bus_message_enter_container(m.get(), 'r', "sv") > 0);
        const char *got = nullptr;
        BOOST_REQUIRE(sd_bus_message_read_basic(m.get(), 's', &got) > 0);
        BOOST_TEST(std::string(got) == name);
        BOOST_REQUIRE(sd_bus_message_enter_container(m.get(), 'v', sig) > 0);
    };
    auto done = [&] {
        BOOST_REQUIRE(sd_bus_message_exit_container(m.get()) > 0); // v
        BOOST_REQUIRE(sd_bus_message_exit_container(m.get()) > 0); // (sv)
    };
    uint64_t t = 0;
    next("MemoryLimit", "t");
    BOOST_REQUIRE(sd_bus_message_read_basic(m.get(), 't', &t) > 0);
    BOOST_TEST(t == uint64_t{1} << 30);
    done();
    const char *s = nullptr;
    next("Slice", "s");
    BOOST_REQUIRE(sd_bus_message_read_basic(m.get(), 's', &s) > 0);
    BOOST_TEST(std::string(s) == "system.slice");
    done();
    const void *bytes = nullptr;
    size_t size = 0;
    next("AllowedCPUs", "ay");
    BOOST_REQUIRE(sd_bus_message_read_array(m.get(), 'y', &bytes, &size) > 0);
    BOOST_REQUIRE(size == 2U);
    BOOST_TEST(static_cast<const uint8_t *>(bytes)[0] == 0x05);
    BOOST_TEST(static_cast<const uint8_t *>(bytes)[1] == 0x01);
    done();
    int b = -1;
    next("Delegate", "b");
    BOOST_REQUIRE(sd_bus_message_read_basic(m.get(), 'b', &b) > 0);
    BOOST_TEST(b == 1);
    done();
    next("DefaultDependencies", "b");
    BOOST_REQUIRE(sd_bus_message_read_basic(m.get(), 'b', &b) > 0);
    BOOST_TEST(b == 0);
    done();
    next("DeviceAllow", "a(ss)");
    const char *node1 = nullptr, *access1 = nullptr, *node2 = nullptr, *access2 = nullptr;
    BOOST_REQUIRE(sd_bus_message_read(m.get(), "a(ss)", 2, &node1, &access1, &node2, &access2) > 0);
    BOOST_TEST(std::string(node1) == "/dev/null");
    BOOST_TEST(std::string(access1) == "rwm");
    BOOST_TEST(std::string(node2) == "char-*");
    BOOST_TEST(std::string(access2) == "m");
    done();
    next("PIDs", "au");
    BOOST_REQUIRE(sd_bus_message_read_array(m.get(), 'u', &bytes, &size) > 0);
    BOOST_REQUIRE(size == 2 * sizeof(uint32_t));
    BOOST_TEST(static_cast<const uint32_t *>(bytes)[1] == 4242U);
    done();
    next("Wants", "as");
    char **wants = nullptr;
    BOOST_REQUIRE(sd_bus_message_read_strv(m.get(), &wants) > 0);
    BOOST_REQUIRE(wants != nullptr);
    BOOST_TEST(std::string(wants[0]) == "a.slice");
    BOOST_TEST(std::string(wants[1]) == "b.slice");
    BOOST_TEST(wants[2] == nullptr);
    for (char **w = wants; *w; ++w)
        std::free(*w);
    std::free(wants);
    done();
    next("PIDs", "au");
    BOOST_REQUIRE(sd_bus_message_read_array(m.get(), 'u', &bytes, &size) >= 0);
    BOOST_TEST(size == 0U);
    done();
    BOOST_TEST(sd_bus_message_at_end(m.get(), false) > 0);
    BOOST_REQUIRE(sd_bus_message_exit_container(m.get()) > 0);
}

BOOST_AUTO_TEST_CASE(job_errors)
{
    BOOST_TEST(jobError("starting", "a.scope", "failed").what() ==
               "systemd: starting a.scope: the job ended with result \"failed\" "
               "(`journalctl -u a.scope` may say why)");
    BOOST_TEST(jobError("stopping", "a.scope", "canceled").what() ==
               "systemd: stopping a.scope: the job ended with result \"canceled\"");
}

BOOST_AUTO_TEST_CASE(running_is_sd_booted)
{
    // The host decides; the test only pins the rule to the directory.
    BOOST_TEST(running() == std::filesystem::is_directory("/run/systemd/system"));
}

BOOST_AUTO_TEST_SUITE_END()
