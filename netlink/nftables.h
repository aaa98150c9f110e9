#pragma once

// nf_tables over NETLINK_NETFILTER. Only a presence probe so far (`husk check`); pod networking's
// port forwards will add their requests here.

#include "common/result.h"
#include "netlink/message.h"
#include "netlink/socket.h"

namespace husk::netlink {

/// NFT_MSG_GETGEN: the ruleset generation, the cheapest question nf_tables answers.
Message nftablesGenerationRequest();

/// Asks the kernel for the ruleset generation over a NETLINK_NETFILTER socket: success means
/// nf_tables is there. Needs CAP_NET_ADMIN (nfnetlink refuses others with EPERM); EOPNOTSUPP
/// means the kernel has no nf_tables.
[[nodiscard]] Result<void> probeNftables(Socket &socket);

} // namespace husk::netlink
