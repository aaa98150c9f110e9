#include "libcontainer/security/lsm.h"

#include <sys/stat.h>

#include <cerrno>

#include "common/file.h"
#include "common/log.h"
#include "common/text.h"

namespace husk {

bool apparmorEnabled(const std::string &enabledFile)
{
    auto text = readFile(enabledFile);
    return text && trimBlanks(*text) == "Y";
}

bool selinuxEnabled(const std::string &selinuxFs)
{
    struct stat st;
    return ::stat((selinuxFs + "/enforce").c_str(), &st) == 0;
}

Result<void> checkApparmor(const std::string &profile, const std::string &enabledFile)
{
    if (!profile.empty() && !apparmorEnabled(enabledFile))
        return fail("process.apparmorProfile: AppArmor is not enabled on this host");
    return {};
}

Result<void> checkSelinuxLabel(const std::string &label, const std::string &selinuxFs)
{
    if (!label.empty() && !selinuxEnabled(selinuxFs))
        return fail("process.selinuxLabel: SELinux is not enabled on this host");
    return {};
}

bool dropSelinuxLabelsWithoutSelinux(spec::Config &config, const std::string &selinuxFs)
{
    const bool processLabel =
        config.process && config.process->selinuxLabel && !config.process->selinuxLabel->empty();
    const bool mountLabel = config.linux && !config.linux->mountLabel.empty();
    if ((!processLabel && !mountLabel) || selinuxEnabled(selinuxFs))
        return false;
    log::warn(std::string("SELinux is not enabled on this host: ") +
              (processLabel ? "process.selinuxLabel" : "") +
              (processLabel && mountLabel ? " and " : "") + (mountLabel ? "linux.mountLabel" : "") +
              " ignored");
    if (processLabel)
        config.process->selinuxLabel.reset();
    if (mountLabel)
        config.linux->mountLabel.clear();
    return true;
}

Result<void> checkMountLabel(const std::string &label, const std::string &selinuxFs)
{
    if (!label.empty() && !selinuxEnabled(selinuxFs))
        return fail("linux.mountLabel: SELinux is not enabled on this host");
    return {};
}

Result<void> applyApparmor(const std::string &profile)
{
    // thread-self: the attribute is per task, and the file is refused to any other task.
    std::string data = "exec " + profile;
    auto r = writeExisting("/proc/thread-self/attr/apparmor/exec", data);
    if (!r && r.error().code() == ENOENT) // before 5.8 AppArmor used the shared attr file
        r = writeExisting("/proc/thread-self/attr/exec", data);
    return r;
}

Result<void> applySelinuxLabel(const std::string &label)
{
    return writeExisting("/proc/thread-self/attr/exec", label);
}

std::string formatMountLabel(std::string_view data, std::string_view label)
{
    if (label.empty())
        return std::string(data);
    std::string option = "context=\"" + std::string(label) + "\"";
    return data.empty() ? option : std::string(data) + "," + option;
}

} // namespace husk
