#pragma once

#include <cerrno>
#include <cstring>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace husk {

/// A failure: an errno (0 when there is none) and a message chain, outermost context first.
class Error
{
public:
    Error() = default;
    /// An error with a message and an optional errno.
    explicit Error(std::string message, int code = 0) : code_(code), message_(std::move(message)) {}

    /// The errno carried by this error, 0 when none.
    int code() const { return code_; }
    /// The message chain without the errno text.
    const std::string &message() const { return message_; }
    /// The full text: "context: ...: message: strerror(errno)".
    std::string what() const
    {
        if (code_ == 0)
            return message_;
        return message_ + ": " + std::strerror(code_);
    }
    /// Prefixes a context ("mount /proc") to the message chain.
    Error &&context(std::string_view ctx) &&
    {
        message_ = std::string(ctx) + (message_.empty() ? "" : ": ") + message_;
        return std::move(*this);
    }

private:
    int code_ = 0;
    std::string message_;
};

/// The return type of every function that can fail.
template <typename T = void> using Result = std::expected<T, Error>;

/// A failure with a message and no errno.
inline std::unexpected<Error> fail(std::string message)
{
    return std::unexpected(Error(std::move(message)));
}

/// A failure with a message and an explicit errno.
inline std::unexpected<Error> fail(std::string message, int code)
{
    return std::unexpected(Error(std::move(message), code));
}

/// A failure with a message and the current errno (read before anything can change it).
inline std::unexpected<Error> failErrno(std::string message)
{
    int code = errno;
    return std::unexpected(Error(std::move(message), code));
}

/// Adds context to the error of a failed Result and returns it as an unexpected.
inline std::unexpected<Error> wrap(Error e, std::string_view ctx)
{
    return std::unexpected(std::move(e).context(ctx));
}

} // namespace husk

// Evaluates a Result expression; on failure returns its error from the enclosing function,
// otherwise yields its value. __extension__ keeps -Wpedantic quiet about the statement expression.
#define HUSK_TRY(expr)                                                                             \
    __extension__({                                                                                \
        auto husk_try_r_ = (expr);                                                                 \
        if (!husk_try_r_)                                                                          \
            return std::unexpected(std::move(husk_try_r_).error());                                \
        std::move(husk_try_r_).value();                                                            \
    })

// As HUSK_TRY, adding a context string to the error on the way up.
#define HUSK_TRY_CTX(expr, ctx)                                                                    \
    __extension__({                                                                                \
        auto husk_try_r_ = (expr);                                                                 \
        if (!husk_try_r_)                                                                          \
            return std::unexpected(std::move(husk_try_r_).error().context(ctx));                   \
        std::move(husk_try_r_).value();                                                            \
    })
