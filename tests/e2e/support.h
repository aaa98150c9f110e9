#pragma once

// Helpers shared by the end-to-end tests (an engine such as podman or containerd driving the
// runtime under test): finding the engine's programs, small file and text utilities, starting
// a daemon, and finding the processes a test started. Their local images come from
// tests/e2e/image.h.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"

namespace husk::test {

/// The value of an environment variable, or fallback when it is unset or empty.
std::string envOr(const char *name, const std::string &fallback);
/// The first executable called name in $PATH (plus the sbin dirs), "" if there is none.
std::string findProgram(const std::string &name);
/// Writes text to path, replacing the file; false when that fails.
bool writeFile(const std::filesystem::path &path, const std::string &text);
/// The whole file, "" when it can't be read.
std::string readFile(const std::filesystem::path &path);
/// s without leading and trailing blanks, carriage returns and newlines.
std::string trim(std::string s);
/// A TOML basic string: "text" with backslashes and quotes escaped.
std::string toml(const std::string &text);
/// The non-empty lines of text, trimmed.
std::vector<std::string> lines(const std::string &text);
/// The whitespace-separated fields of a line.
std::vector<std::string> fields(const std::string &line);
/// The hex sha256 digest of a file (by sha256sum), "" when that fails.
std::string sha256File(const std::filesystem::path &path);

/// Polls condition every 50ms until it holds; false when timeout passes first. Runs the
/// termination hook (installTerminationHandler) meanwhile.
bool eventually(const std::function<bool()> &condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// Makes a fresh directory from a mkdtemp(3) pattern ending in XXXXXX.
[[nodiscard]] Result<std::filesystem::path> makeTempDir(const std::string &pattern);

/// Starts argv (an absolute path first) as a daemon: in a session of its own, so signals to
/// our process group (a terminal's, meson's) miss it, with stdin /dev/null and stdout and
/// stderr appended to log. It stays our child; stop it by its pid.
[[nodiscard]] Result<pid_t> spawnDaemon(const std::vector<std::string> &argv,
                                        const std::filesystem::path &log);
/// Whether pid is gone or a zombie (dead, only not reaped yet).
bool processGone(pid_t pid);

/// Every process other than us whose command line mentions text (and whose comm is comm,
/// when given): how a test finds the engine processes it started, which all carry its
/// private temp dir in their arguments.
std::vector<pid_t> processesMentioning(const std::string &text, const std::string &comm = {});

/// Prints why the test cannot run here and exits 77, which meson and scripts/test.sh count
/// as skipped.
[[noreturn]] void skipRun(const std::string &why);

} // namespace husk::test
