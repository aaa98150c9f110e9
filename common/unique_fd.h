#pragma once

#include <unistd.h>

#include <utility>

namespace husk {

/// Move-only owner of a file descriptor; closes it when destroyed.
class UniqueFd
{
public:
    UniqueFd() = default;
    /// Takes ownership of fd (may be -1).
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(const UniqueFd &) = delete;
    UniqueFd &operator=(const UniqueFd &) = delete;
    UniqueFd(UniqueFd &&other) noexcept : fd_(other.release()) {}
    UniqueFd &operator=(UniqueFd &&other) noexcept
    {
        if (this != &other)
            reset(other.release());
        return *this;
    }
    ~UniqueFd() { reset(); }

    /// The descriptor, still owned.
    int get() const { return fd_; }
    /// Whether a descriptor is held.
    bool isValid() const { return fd_ >= 0; }
    explicit operator bool() const { return isValid(); }
    /// Gives up ownership and returns the descriptor.
    [[nodiscard]] int release() { return std::exchange(fd_, -1); }
    /// Closes the held descriptor and takes fd instead.
    void reset(int fd = -1)
    {
        int old = std::exchange(fd_, fd);
        if (old >= 0)
            ::close(old);
    }

private:
    int fd_ = -1;
};

} // namespace husk
