#pragma once

// Shared by the libcontainer unit tests: error capture, configs from JSON text, temp dirs.

// meson's boost dependency already passes -DBOOST_TEST_DYN_LINK=1.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.h"
#include "spec/config.h"
#include "spec/parse.h"

namespace lc_test {

/// The full error text (message and strerror) of a Result that must have failed.
template <typename T> std::string errorText(const husk::Result<T> &r)
{
    BOOST_REQUIRE_MESSAGE(!r, "expected an error, got success");
    return r.error().what();
}

/// The message (without strerror) of a Result that must have failed.
template <typename T> std::string errorMessage(const husk::Result<T> &r)
{
    BOOST_REQUIRE_MESSAGE(!r, "expected an error, got success");
    return r.error().message();
}

/// The errno of a Result that must have failed.
template <typename T> int errorCode(const husk::Result<T> &r)
{
    BOOST_REQUIRE_MESSAGE(!r, "expected an error, got success");
    return r.error().code();
}

/// Requires success and returns the value.
template <typename T> T require(husk::Result<T> r)
{
    BOOST_REQUIRE_MESSAGE(r, "unexpected error: " + (r ? std::string() : r.error().what()));
    return std::move(*r);
}

/// Requires success of a Result<void>.
inline void requireOk(const husk::Result<void> &r)
{
    BOOST_REQUIRE_MESSAGE(r, "unexpected error: " + (r ? std::string() : r.error().what()));
}

/// Parses config.json text that must be valid.
inline husk::spec::Config configFromText(std::string_view text)
{
    return require(husk::spec::parseConfigText(text));
}

/// Whether text contains part (for BOOST_TEST with a readable failure).
inline bool contains(const std::string &text, std::string_view part)
{
    return text.find(part) != std::string::npos;
}

/// A directory under $TMPDIR (or /tmp) removed with its contents on destruction.
class TempDir
{
public:
    /// Creates a fresh directory.
    TempDir()
    {
        std::string tmpl = (std::filesystem::temp_directory_path() / "husk-unit-XXXXXX").string();
        BOOST_REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path_ = tmpl;
    }
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
    ~TempDir()
    {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }

    /// The directory's absolute path.
    const std::string &path() const { return path_; }
    /// A path inside the directory.
    std::string operator/(std::string_view name) const { return path_ + "/" + std::string(name); }

private:
    std::string path_;
};

} // namespace lc_test
