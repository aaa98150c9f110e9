// libFuzzer target: a netlink message -> Link, Address or Route (the attribute parsers of
// RTM_NEWLINK/NEWADDR/NEWROUTE replies). The socket layer hands the parsers messages whose
// nlmsg_len matches the bytes received (mnl_nlmsg_ok), so the target sets it to the input's
// size; everything after the header is the fuzzer's.

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "netlink/address.h"
#include "netlink/link.h"
#include "netlink/route.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < sizeof(nlmsghdr) || size > 65536)
        return 0;
    // Aligned, and exactly as long as the message, so reading past it is a sanitizer report.
    std::vector<uint32_t> buf((size + 3) / 4);
    std::memcpy(buf.data(), data, size);
    auto *nlh = reinterpret_cast<nlmsghdr *>(buf.data());
    nlh->nlmsg_len = static_cast<uint32_t>(size);
    // The message type picks the parser, as the callers do; other types pick one by value.
    uint16_t type = nlh->nlmsg_type;
    int which = type == RTM_NEWLINK || type == RTM_DELLINK     ? 0
                : type == RTM_NEWADDR || type == RTM_DELADDR   ? 1
                : type == RTM_NEWROUTE || type == RTM_DELROUTE ? 2
                                                               : type % 3;
    if (which == 0)
        (void)husk::netlink::parseLink(*nlh);
    else if (which == 1)
        (void)husk::netlink::parseAddress(*nlh);
    else
        (void)husk::netlink::parseRoute(*nlh);
    return 0;
}
