#include "libcontainer/network/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "common/file.h"
#include "libcontainer/network/locked_dir.h"
#include "spec/parse.h"

namespace husk::network {

namespace {

constexpr std::string_view kSuffix = ".json";

// The NAME of each NAME.json, sorted. Temporary files of atomic writes start with a dot.
Result<std::vector<std::string>> networkFileNames(const std::string &path)
{
    std::error_code ec;
    std::vector<std::string> names;
    // increment(ec), not ++: a read error must come back as a Result, not an exception.
    std::filesystem::directory_iterator it(path, ec);
    for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        std::string file = it->path().filename().string();
        if (file.starts_with(".") || !file.ends_with(kSuffix) || file.size() == kSuffix.size())
            continue;
        names.push_back(file.substr(0, file.size() - kSuffix.size()));
    }
    if (ec)
        return fail("read " + path, ec.value());
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace

std::string networkDir()
{
    const char *env = std::getenv(kNetworkDirEnv);
    return env != nullptr && *env != '\0' ? env : kNetworkDir;
}

Result<NetworkDir> NetworkDir::open(const std::string &path, Access access)
{
    bool change = access == Access::Change;
    auto fd = openLockedDir(path, change ? LOCK_EX : LOCK_SH, change, 0755);
    if (!fd && !change && fd.error().code() == ENOENT)
        return NetworkDir(UniqueFd(), path);
    if (!fd)
        return wrap(fd.error(), "network directory");
    return NetworkDir(std::move(*fd), path);
}

Result<std::vector<Network>> NetworkDir::load() const
{
    std::vector<Network> networks;
    std::vector<std::string> names;
    if (fd_)
        names = HUSK_TRY(networkFileNames(path_));
    if (!std::binary_search(names.begin(), names.end(), kDefaultNetworkName))
        networks.push_back(defaultNetwork());
    for (const std::string &name : names) {
        std::string file = path_ + "/" + name + std::string(kSuffix);
        HUSK_TRY_CTX(validateNetworkName(name), file + ": file name");
        nlohmann::json j =
            HUSK_TRY_CTX(spec::readJsonFileAt(fd_.get(), name + std::string(kSuffix)), path_);
        Network n = HUSK_TRY_CTX(networkFromJson(j, name), file);
        HUSK_TRY_CTX(checkConflicts(n, networks), file);
        networks.push_back(std::move(n));
    }
    std::sort(networks.begin(), networks.end(),
              [](const Network &a, const Network &b) { return a.name < b.name; });
    return networks;
}

bool NetworkDir::hasFile(const std::string &name) const
{
    struct stat st;
    return fd_ && ::fstatat(fd_.get(), (name + std::string(kSuffix)).c_str(), &st, 0) == 0;
}

Result<void> NetworkDir::write(const Network &n)
{
    std::string text = networkToJson(n).dump(4) + "\n";
    HUSK_TRY_CTX(writeFileAtomic(fd_.get(), n.name + std::string(kSuffix), text, 0644), path_);
    return {};
}

Result<void> NetworkDir::remove(const std::string &name)
{
    std::string file = name + std::string(kSuffix);
    if (::unlinkat(fd_.get(), file.c_str(), 0) < 0)
        return failErrno("remove " + path_ + "/" + file);
    return {};
}

Result<Network> findNetwork(std::span<const Network> networks, std::string_view name)
{
    auto it = std::find_if(networks.begin(), networks.end(),
                           [&](const Network &n) { return n.name == name; });
    if (it == networks.end())
        return fail("network \"" + std::string(name) + "\" does not exist", ENOENT);
    return *it;
}

} // namespace husk::network
