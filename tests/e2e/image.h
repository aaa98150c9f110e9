#pragma once

// Local busybox images for the end-to-end tests, made from busybox-static without a registry:
// a rootfs tar (podman imports it) and an OCI image layout archive (containerd imports it).

#include <filesystem>

#include "common/result.h"

namespace husk::test {

/// Builds dir/rootfs.tar (numeric owners): static busybox ($HUSK_BUSYBOX, else /bin/busybox)
/// with its applet links in /bin, /etc/passwd and /etc/group. Returns the tar's path.
[[nodiscard]] Result<std::filesystem::path> buildRootfsTar(const std::filesystem::path &dir);

/// Builds dir/image.tar, an OCI image layout archive: one uncompressed layer (the rootfs of
/// buildRootfsTar), a config for this machine's architecture with CMD /bin/sh and a PATH, and
/// an index naming the manifest "latest" (org.opencontainers.image.ref.name), which
/// `ctr images import --base-name NAME` turns into NAME:latest. Returns the archive's path.
[[nodiscard]] Result<std::filesystem::path> buildOciArchive(const std::filesystem::path &dir);

} // namespace husk::test
