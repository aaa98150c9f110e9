#include "libcontainer/cgroups/systemd_dbus.h"

#include <dlfcn.h>
#include <time.h>

#include <cstdlib>
#include <functional>
#include <type_traits>

#include <systemd/sd-bus.h>

namespace husk::cgroups::systemd {

namespace {

constexpr const char *kService = "org.freedesktop.systemd1";
constexpr const char *kPath = "/org/freedesktop/systemd1";
constexpr const char *kInterface = "org.freedesktop.systemd1.Manager";

// libsystemd is opened when --systemd-cgroup first talks to systemd, not linked: linked, every
// husk run (state, kill, delete of any container) would map it and the six libraries it pulls
// in, about 0.85 ms here, for a flag most hosts never use. Only these entry points are used.
struct SdBus {
    decltype(&::sd_bus_call) sd_bus_call = nullptr;
    decltype(&::sd_bus_error_free) sd_bus_error_free = nullptr;
    decltype(&::sd_bus_error_has_name) sd_bus_error_has_name = nullptr;
    decltype(&::sd_bus_error_is_set) sd_bus_error_is_set = nullptr;
    decltype(&::sd_bus_flush_close_unref) sd_bus_flush_close_unref = nullptr;
    decltype(&::sd_bus_match_signal) sd_bus_match_signal = nullptr;
    decltype(&::sd_bus_message_append) sd_bus_message_append = nullptr;
    decltype(&::sd_bus_message_append_array) sd_bus_message_append_array = nullptr;
    decltype(&::sd_bus_message_append_basic) sd_bus_message_append_basic = nullptr;
    decltype(&::sd_bus_message_close_container) sd_bus_message_close_container = nullptr;
    decltype(&::sd_bus_message_new_method_call) sd_bus_message_new_method_call = nullptr;
    decltype(&::sd_bus_message_open_container) sd_bus_message_open_container = nullptr;
    decltype(&::sd_bus_message_read) sd_bus_message_read = nullptr;
    decltype(&::sd_bus_message_unref) sd_bus_message_unref = nullptr;
    decltype(&::sd_bus_open_system) sd_bus_open_system = nullptr;
    decltype(&::sd_bus_process) sd_bus_process = nullptr;
    decltype(&::sd_bus_slot_unref) sd_bus_slot_unref = nullptr;
    decltype(&::sd_bus_wait) sd_bus_wait = nullptr;
};

// The loaded entry points, or the reason libsystemd could not be used.
const Result<SdBus> &loadSdBus()
{
    static const Result<SdBus> loaded = []() -> Result<SdBus> {
        void *lib = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
        if (lib == nullptr)
            return fail(std::string("--systemd-cgroup needs libsystemd: ") + ::dlerror());
        SdBus api;
        const char *missing = nullptr;
        auto load = [&](auto &fn, const char *name) {
            fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(lib, name));
            if (fn == nullptr && missing == nullptr)
                missing = name;
        };
        load(api.sd_bus_call, "sd_bus_call");
        load(api.sd_bus_error_free, "sd_bus_error_free");
        load(api.sd_bus_error_has_name, "sd_bus_error_has_name");
        load(api.sd_bus_error_is_set, "sd_bus_error_is_set");
        load(api.sd_bus_flush_close_unref, "sd_bus_flush_close_unref");
        load(api.sd_bus_match_signal, "sd_bus_match_signal");
        load(api.sd_bus_message_append, "sd_bus_message_append");
        load(api.sd_bus_message_append_array, "sd_bus_message_append_array");
        load(api.sd_bus_message_append_basic, "sd_bus_message_append_basic");
        load(api.sd_bus_message_close_container, "sd_bus_message_close_container");
        load(api.sd_bus_message_new_method_call, "sd_bus_message_new_method_call");
        load(api.sd_bus_message_open_container, "sd_bus_message_open_container");
        load(api.sd_bus_message_read, "sd_bus_message_read");
        load(api.sd_bus_message_unref, "sd_bus_message_unref");
        load(api.sd_bus_open_system, "sd_bus_open_system");
        load(api.sd_bus_process, "sd_bus_process");
        load(api.sd_bus_slot_unref, "sd_bus_slot_unref");
        load(api.sd_bus_wait, "sd_bus_wait");
        if (missing != nullptr)
            return fail(std::string("--systemd-cgroup: libsystemd.so.0 lacks ") + missing);
        return api;
    }();
    return loaded;
}

// The entry points; only called once loadSdBus() succeeded (connect and appendProperties check).
const SdBus &sd()
{
    return *loadSdBus();
}

// sd-bus returns negative errnos; a failure with a bus error carries its name and text.
std::unexpected<Error> busFailure(const std::string &what, int r, const sd_bus_error *e = nullptr)
{
    if (e && sd().sd_bus_error_is_set(e)) {
        std::string text = e->message && *e->message ? e->message : e->name;
        return fail(what + ": " + text + " (" + e->name + ")");
    }
    return fail(what, -r);
}

int appendValue(sd_bus_message *m, const PropertyValue &value)
{
    return std::visit(
        [m](const auto &v) -> int {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, uint64_t>) {
                return sd().sd_bus_message_append_basic(m, 't', &v);
            } else if constexpr (std::is_same_v<T, std::string>) {
                return sd().sd_bus_message_append_basic(m, 's', v.c_str());
            } else if constexpr (std::is_same_v<T, std::vector<uint8_t>>) {
                return sd().sd_bus_message_append_array(m, 'y', v.data(), v.size());
            } else if constexpr (std::is_same_v<T, bool>) {
                int b = v; // D-Bus booleans are 32 bits wide
                return sd().sd_bus_message_append_basic(m, 'b', &b);
            } else if constexpr (std::is_same_v<T, std::vector<uint32_t>>) {
                return sd().sd_bus_message_append_array(m, 'u', v.data(),
                                                        v.size() * sizeof(uint32_t));
            } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
                int r = sd().sd_bus_message_open_container(m, 'a', "s");
                for (const std::string &s : v)
                    if (r >= 0)
                        r = sd().sd_bus_message_append_basic(m, 's', s.c_str());
                return r < 0 ? r : sd().sd_bus_message_close_container(m);
            } else {
                static_assert(std::is_same_v<T, std::vector<std::pair<std::string, std::string>>>);
                int r = sd().sd_bus_message_open_container(m, 'a', "(ss)");
                for (const auto &[a, b] : v)
                    if (r >= 0)
                        r = sd().sd_bus_message_append(m, "(ss)", a.c_str(), b.c_str());
                return r < 0 ? r : sd().sd_bus_message_close_container(m);
            }
        },
        value);
}

// JobRemoved(u id, o job, s unit, s result): note the result under the job's path.
int onJobRemoved(sd_bus_message *m, void *userdata, sd_bus_error *)
{
    uint32_t id = 0;
    const char *job = nullptr;
    const char *unit = nullptr;
    const char *result = nullptr;
    if (sd().sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) < 0)
        return 0; // not the signal's documented shape: not one of ours either
    (*static_cast<std::map<std::string, std::string> *>(userdata))[job] = result;
    return 0;
}

uint64_t monotonicUsec()
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

} // namespace

Result<void> busAvailable()
{
    HUSK_TRY(loadSdBus());
    return {};
}

Result<void> appendProperties(sd_bus_message *m, const std::vector<Property> &props)
{
    HUSK_TRY(loadSdBus());
    int r = sd().sd_bus_message_open_container(m, 'a', "(sv)");
    if (r < 0)
        return fail("D-Bus: unit properties", -r);
    for (const Property &p : props) {
        r = sd().sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0)
            r = sd().sd_bus_message_append_basic(m, 's', p.name.c_str());
        if (r >= 0)
            r = sd().sd_bus_message_open_container(m, 'v', signature(p.value));
        if (r >= 0)
            r = appendValue(m, p.value);
        if (r >= 0)
            r = sd().sd_bus_message_close_container(m); // the variant
        if (r >= 0)
            r = sd().sd_bus_message_close_container(m); // the (sv)
        if (r < 0)
            return fail("D-Bus: unit property " + p.name, -r);
    }
    r = sd().sd_bus_message_close_container(m);
    if (r < 0)
        return fail("D-Bus: unit properties", -r);
    return {};
}

void Manager::BusUnref::operator()(sd_bus *bus) const
{
    sd().sd_bus_flush_close_unref(bus);
}

void Manager::SlotUnref::operator()(sd_bus_slot *slot) const
{
    sd().sd_bus_slot_unref(slot);
}

Result<Manager> Manager::connect()
{
    HUSK_TRY(loadSdBus());
    const char *env = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
    const std::string where = env && *env ? env : "the standard socket";
    sd_bus *raw = nullptr;
    int r = sd().sd_bus_open_system(&raw);
    if (r < 0)
        return busFailure("systemd: connect to the system bus (" + where + ")", r);
    Manager m;
    m.bus_.reset(raw);
    m.finished_ = std::make_unique<Finished>();
    // Subscribed before any job is queued, so a job that ends at once is not missed. The
    // manager sends JobRemoved to the client that queued the job even without Subscribe().
    sd_bus_slot *slot = nullptr;
    r = sd().sd_bus_match_signal(raw, &slot, kService, kPath, kInterface, "JobRemoved",
                                 onJobRemoved, m.finished_.get());
    if (r < 0)
        return busFailure("systemd: connect to the system bus (" + where + ")", r);
    m.match_.reset(slot);
    return m;
}

Result<std::string> Manager::call(const char *method, const std::string &unit,
                                  const std::function<Result<void>(sd_bus_message *)> &fill,
                                  bool returnsJob, bool missingOk)
{
    const std::string what = std::string("systemd: ") + method + " " + unit;
    sd_bus_message *raw = nullptr;
    int r =
        sd().sd_bus_message_new_method_call(bus_.get(), &raw, kService, kPath, kInterface, method);
    if (r < 0)
        return busFailure(what, r);
    std::unique_ptr<sd_bus_message, decltype(sd().sd_bus_message_unref)> request(
        raw, sd().sd_bus_message_unref);
    HUSK_TRY_CTX(fill(request.get()), what);
    sd_bus_error error = SD_BUS_ERROR_NULL;
    sd_bus_message *replyRaw = nullptr;
    r = sd().sd_bus_call(bus_.get(), request.get(), 0, &error, &replyRaw);
    std::unique_ptr<sd_bus_message, decltype(sd().sd_bus_message_unref)> reply(
        replyRaw, sd().sd_bus_message_unref);
    std::unique_ptr<sd_bus_error, decltype(sd().sd_bus_error_free)> errorOwner(
        &error, sd().sd_bus_error_free);
    if (r < 0) {
        if (missingOk && sd().sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit"))
            return std::string();
        return busFailure(what, r, &error);
    }
    if (!returnsJob)
        return std::string();
    const char *job = nullptr;
    r = sd().sd_bus_message_read(reply.get(), "o", &job);
    if (r < 0)
        return busFailure(what + ": reading the reply", r);
    return std::string(job);
}

Result<void> Manager::waitJob(const std::string &job, const std::string &action,
                              const std::string &unit)
{
    const uint64_t deadline =
        monotonicUsec() +
        std::chrono::duration_cast<std::chrono::microseconds>(kJobTimeout).count();
    for (;;) {
        if (auto it = finished_->find(job); it != finished_->end()) {
            std::string result = it->second;
            finished_->erase(it);
            if (result != "done")
                return std::unexpected(jobError(action, unit, result));
            return {};
        }
        // Dispatch what has arrived (the signal may have come in while sd_bus_call waited
        // for its reply), then wait for more.
        int r = sd().sd_bus_process(bus_.get(), nullptr);
        if (r < 0)
            return busFailure("systemd: " + action + " " + unit + ": waiting for the job", r);
        if (r > 0)
            continue;
        uint64_t now = monotonicUsec();
        if (now >= deadline)
            return fail("systemd: " + action + " " + unit + ": the job " + job +
                        " did not finish in " + std::to_string(kJobTimeout.count()) + " s");
        r = sd().sd_bus_wait(bus_.get(), deadline - now);
        if (r < 0 && r != -EINTR)
            return busFailure("systemd: " + action + " " + unit + ": waiting for the job", r);
    }
}

Result<void> Manager::startTransientUnit(const std::string &name,
                                         const std::vector<Property> &props)
{
    auto fill = [&](sd_bus_message *m) -> Result<void> {
        int r = sd().sd_bus_message_append(m, "ss", name.c_str(), "replace");
        if (r < 0)
            return fail("D-Bus: arguments", -r);
        HUSK_TRY(appendProperties(m, props));
        // No auxiliary units: a(sa(sv)), empty.
        r = sd().sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r < 0)
            return fail("D-Bus: arguments", -r);
        return {};
    };
    std::string job = HUSK_TRY(call("StartTransientUnit", name, fill, true, false));
    return waitJob(job, "starting", name);
}

Result<void> Manager::stopUnit(const std::string &name)
{
    auto fill = [&](sd_bus_message *m) -> Result<void> {
        int r = sd().sd_bus_message_append(m, "ss", name.c_str(), "replace");
        if (r < 0)
            return fail("D-Bus: arguments", -r);
        return {};
    };
    std::string job = HUSK_TRY(call("StopUnit", name, fill, true, true));
    if (job.empty())
        return {}; // NoSuchUnit: gone already (stopped and collected, or never started)
    return waitJob(job, "stopping", name);
}

Result<void> Manager::setUnitProperties(const std::string &name, const std::vector<Property> &props)
{
    auto fill = [&](sd_bus_message *m) -> Result<void> {
        int r = sd().sd_bus_message_append(m, "sb", name.c_str(), 1);
        if (r < 0)
            return fail("D-Bus: arguments", -r);
        return appendProperties(m, props);
    };
    HUSK_TRY(call("SetUnitProperties", name, fill, false, false));
    return {};
}

} // namespace husk::cgroups::systemd
