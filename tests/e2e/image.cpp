#include "tests/e2e/image.h"

#include <sys/utsname.h>

#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/e2e/support.h"
#include "tests/integration/command.h"

namespace husk::test {

namespace fs = std::filesystem;
using nlohmann::json;

Result<fs::path> buildRootfsTar(const fs::path &dir)
{
    std::string busybox = envOr("HUSK_BUSYBOX", "/bin/busybox");
    fs::path root = dir / "rootfs";
    for (const char *sub : {"bin", "etc", "proc", "sys", "dev", "tmp", "root", "var/tmp"})
        fs::create_directories(root / sub);
    fs::permissions(root / "tmp", fs::perms(01777));
    fs::permissions(root / "var/tmp", fs::perms(01777));
    std::error_code ec;
    fs::copy_file(busybox, root / "bin/busybox", ec);
    if (ec)
        return fail("copy " + busybox + ": " + ec.message());
    CommandResult list = runCommand({busybox, "--list"}, {.timeout = 10s});
    if (!list.ok())
        return fail("busybox --list failed: " + list.describe());
    std::istringstream applets(list.out);
    std::string applet;
    while (std::getline(applets, applet)) {
        if (applet.empty() || applet == "busybox" || applet.find('/') != std::string::npos)
            continue;
        fs::create_symlink("busybox", root / "bin" / applet, ec);
    }
    if (!writeFile(root / "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                                        "nobody:x:65534:65534:nobody:/:/bin/false\n") ||
        !writeFile(root / "etc/group", "root:x:0:\nnogroup:x:65534:\n"))
        return fail("cannot write /etc/passwd or /etc/group in " + root.string());
    fs::path tar = dir / "rootfs.tar";
    CommandResult made =
        runCommand({"tar", "--numeric-owner", "-C", root.string(), "-cf", tar.string(), "."},
                   {.timeout = 60s});
    if (!made.ok())
        return fail("tar failed: " + made.describe());
    removeTree(root);
    return tar;
}

namespace {

/// Moves file into the layout's blobs/sha256 under its digest; returns its OCI descriptor.
Result<json> addBlob(const fs::path &layout, const fs::path &file, const std::string &mediaType)
{
    std::string digest = sha256File(file);
    if (digest.empty())
        return fail("sha256sum " + file.string() + " failed");
    std::error_code ec;
    auto size = fs::file_size(file, ec);
    fs::create_directories(layout / "blobs/sha256", ec);
    fs::rename(file, layout / "blobs/sha256" / digest, ec);
    if (ec)
        return fail("move " + file.string() + " into the image layout: " + ec.message());
    return json{{"mediaType", mediaType}, {"digest", "sha256:" + digest}, {"size", size}};
}

/// The OCI name of this machine's architecture (uname's x86_64 is amd64).
std::string ociArchitecture()
{
    struct utsname u {};
    ::uname(&u);
    std::string machine = u.machine;
    if (machine == "x86_64")
        return "amd64";
    if (machine == "aarch64")
        return "arm64";
    return machine;
}

} // namespace

Result<fs::path> buildOciArchive(const fs::path &dir)
{
    fs::path tar = HUSK_TRY(buildRootfsTar(dir));
    fs::path layout = dir / "image";
    fs::create_directories(layout);
    std::string diffId = sha256File(tar);
    json layer = HUSK_TRY(addBlob(layout, tar, "application/vnd.oci.image.layer.v1.tar"));
    json config = {
        {"architecture", ociArchitecture()},
        {"os", "linux"},
        {"config", {{"Env", {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}}, {"Cmd", {"/bin/sh"}}}},
        {"rootfs", {{"type", "layers"}, {"diff_ids", {"sha256:" + diffId}}}},
    };
    fs::path file = dir / "config.json";
    if (!writeFile(file, config.dump()))
        return fail("cannot write " + file.string());
    json configDesc = HUSK_TRY(addBlob(layout, file, "application/vnd.oci.image.config.v1+json"));
    json manifest = {{"schemaVersion", 2},
                     {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                     {"config", configDesc},
                     {"layers", json::array({layer})}};
    file = dir / "manifest.json";
    if (!writeFile(file, manifest.dump()))
        return fail("cannot write " + file.string());
    json manifestDesc =
        HUSK_TRY(addBlob(layout, file, "application/vnd.oci.image.manifest.v1+json"));
    manifestDesc["annotations"] = {{"org.opencontainers.image.ref.name", "latest"}};
    json index = {{"schemaVersion", 2}, {"manifests", json::array({manifestDesc})}};
    if (!writeFile(layout / "index.json", index.dump()) ||
        !writeFile(layout / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})"))
        return fail("cannot write the image layout's index in " + layout.string());
    fs::path archive = dir / "image.tar";
    CommandResult made = runCommand({"tar", "-C", layout.string(), "-cf", archive.string(),
                                     "oci-layout", "index.json", "blobs"},
                                    {.timeout = 60s});
    if (!made.ok())
        return fail("tar failed: " + made.describe());
    removeTree(layout);
    return archive;
}

} // namespace husk::test
