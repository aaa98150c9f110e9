// libFuzzer target: state.json text -> StateRecord, and the accessors later commands use on the
// config it records (hooks, netDevices, ociVersion), then back to JSON.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "libcontainer/container/state_store.h"
#include "spec/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view text(reinterpret_cast<const char *>(data), size);
    auto doc = husk::spec::parseJsonText(text);
    if (!doc)
        return 0;
    auto rec = husk::stateRecordFromJson(*doc);
    if (!rec)
        return 0;
    (void)husk::recordedOciVersion(*rec);
    (void)husk::recordedHasProcess(*rec);
    (void)husk::recordedHooks(*rec);
    (void)husk::recordedNetDevices(*rec);
    (void)husk::stateRecordToJson(*rec).dump();
    return 0;
}
