#pragma once

// The network directory: one NAME.json per network (/etc/husk/networks, or $HUSK_NETWORK_DIR),
// read under a shared flock on the directory and changed under an exclusive one, so a network
// is never removed while another command allocates from it or checks a new one against it.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "libcontainer/network/config.h"

namespace husk::network {

/// Where network files live when $HUSK_NETWORK_DIR is not set.
constexpr const char *kNetworkDir = "/etc/husk/networks";
/// The environment variable that moves the network directory (tests, unprivileged users).
constexpr const char *kNetworkDirEnv = "HUSK_NETWORK_DIR";

/// The network directory: $HUSK_NETWORK_DIR when set and not empty, else /etc/husk/networks.
std::string networkDir();

/// The network directory, held open and locked.
class NetworkDir
{
public:
    /// How the directory is locked: shared to read or use networks, exclusive to change them.
    enum class Access { Read, Change };

    /// Opens and locks the directory. Change creates it (mode 0755) when missing; Read treats a
    /// missing directory as an empty one (the built-in network still exists).
    [[nodiscard]] static Result<NetworkDir> open(const std::string &path, Access access);

    /// The directory's path.
    const std::string &path() const { return path_; }
    /// Every defined network, sorted by name: the built-in "husk" (a husk.json replaces it) and
    /// each NAME.json, each checked on its own and against the others; errors name the file.
    [[nodiscard]] Result<std::vector<Network>> load() const;
    /// Whether NAME.json exists.
    bool hasFile(const std::string &name) const;
    /// Writes NAME.json atomically (mode 0644). Needs Access::Change.
    [[nodiscard]] Result<void> write(const Network &n);
    /// Removes NAME.json. Needs Access::Change.
    [[nodiscard]] Result<void> remove(const std::string &name);

private:
    NetworkDir(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
    UniqueFd fd_; // not valid when the directory does not exist (Access::Read only)
    std::string path_;
};

/// One network by name from a loaded list; ENOENT when none has that name.
[[nodiscard]] Result<Network> findNetwork(std::span<const Network> networks, std::string_view name);

} // namespace husk::network
