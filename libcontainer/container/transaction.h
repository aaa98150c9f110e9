#pragma once

// A create in progress: every step that made something registers how to undo it, and unless
// the create commits, the steps are undone last first when the transaction goes out of scope.
// The spawned init belongs to it (its pidfd, from the clone), so the pidfd is open for exactly
// as long as the undo may kill through it, whatever order the caller's locals die in. Serves
// `create` (state dir, cgroups, netDevices, the init, poststop hooks) and `pod create` (pod
// dir, pause process, networking).

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "common/unique_fd.h"

namespace husk {

class CreateTransaction
{
public:
    CreateTransaction() = default;
    CreateTransaction(const CreateTransaction &) = delete;
    CreateTransaction &operator=(const CreateTransaction &) = delete;
    ~CreateTransaction() { rollback(); }

    /// Registers how to undo a step just made (or about to be made: undo steps must be safe
    /// when their step did not happen).
    void onUndo(std::function<void()> undo) { undo_.push_back(std::move(undo)); }
    /// Takes the spawned process (husk's child): on rollback it is SIGKILLed through its pidfd
    /// and reaped, at this point of the undo order.
    void ownProcess(pid_t pid, UniqueFd pidfd);
    /// Whether a process is owned (the init was spawned).
    bool spawned() const { return pid_ > 0; }
    /// The owned process's pidfd (-1 before the spawn).
    int pidfd() const { return pidfd_.get(); }
    /// The create succeeded: nothing is undone; the process lives on.
    void commit() { undo_.clear(); }
    /// Undoes every registered step, last first (run by the destructor unless committed).
    void rollback();

private:
    std::vector<std::function<void()>> undo_;
    UniqueFd pidfd_;
    pid_t pid_ = 0;
};

} // namespace husk
