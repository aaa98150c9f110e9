#include "libcontainer/container/transaction.h"

#include "libcontainer/process/pidfd.h"

namespace husk {

void CreateTransaction::ownProcess(pid_t pid, UniqueFd pidfd)
{
    pid_ = pid;
    pidfd_ = std::move(pidfd);
    // Registered in place, so the process dies after what was made later (netDevices moved
    // into its namespace come back first) and before what was made earlier (its cgroups).
    onUndo([this] {
        if (pidfd_)
            (void)killThroughPidfd(pidfd_.get(), Reap::Child, 5000);
    });
}

void CreateTransaction::rollback()
{
    while (!undo_.empty()) {
        std::function<void()> undo = std::move(undo_.back());
        undo_.pop_back();
        undo();
    }
}

} // namespace husk
