// libFuzzer target: config.json text -> spec::Config, then the spec's semantic checks.
// Any input must give a Config or an error: no crash, no hang, no sanitizer report.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "spec/parse.h"
#include "spec/validate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view text(reinterpret_cast<const char *>(data), size);
    auto config = husk::spec::parseConfigText(text);
    if (config)
        (void)husk::spec::validate(*config);
    return 0;
}
