#include "netlink/nftables.h"

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>

namespace husk::netlink {

Message nftablesGenerationRequest()
{
    Message m(static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN), 0);
    nfgenmsg &g = m.putHeader<nfgenmsg>();
    g.nfgen_family = AF_UNSPEC;
    g.version = NFNETLINK_V0;
    return m;
}

Result<void> probeNftables(Socket &socket)
{
    // The NEWGEN reply itself is of no interest; that the kernel acks the request is the answer.
    Message m = nftablesGenerationRequest();
    return socket.ack(m);
}

} // namespace husk::netlink
