// husk-cni: husk started under that name (a symlink in the CNI bin dir) is a CNI plugin; see
// libcontainer/network/cni.h. No CLI11: the protocol is environment variables and stdin.

#include <cstdlib>
#include <iostream>
#include <iterator>
#include <string>

#include "common/log.h"
#include "libcontainer/network/cni.h"
#include "runtime/cli.h"

namespace husk::cli {

int runCniPlugin()
{
    // stdout carries only the result: messages go to stderr.
    (void)log::configure(log::Level::Warning, log::Format::Text, "");
    auto env = [](const char *name) {
        const char *v = std::getenv(name);
        return std::string(v != nullptr ? v : "");
    };
    network::CniInvocation inv;
    inv.command = env("CNI_COMMAND");
    inv.containerId = env("CNI_CONTAINERID");
    inv.netns = env("CNI_NETNS");
    inv.ifname = env("CNI_IFNAME");
    inv.args = env("CNI_ARGS");
    if (inv.command != "VERSION") {
        // Bounded like every JSON document husk reads (the parser refuses more).
        std::string text;
        char buf[65536];
        while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
            text.append(buf, static_cast<size_t>(std::cin.gcount()));
            if (text.size() > (size_t{64} << 20))
                break;
        }
        inv.stdinText = std::move(text);
    }
    std::string out;
    int code = network::runCniCommand(inv, out);
    if (!out.empty())
        std::cout << out << std::endl;
    return code;
}

} // namespace husk::cli
