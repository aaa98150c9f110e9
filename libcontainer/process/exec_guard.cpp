#include "libcontainer/process/exec_guard.h"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "common/unique_fd.h"

namespace husk {

namespace {

constexpr int kMaxInterpreterDepth = 5; // the program and the kernel's 4 interpreter levels

bool sameFile(const struct stat &a, const struct stat &b)
{
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

bool readAt(int fd, void *buf, size_t len, off_t off)
{
    return ::pread(fd, buf, len, off) == static_cast<ssize_t>(len);
}

// The path in an ELF file's PT_INTERP program header, "" when it has none or is not ELF.
template <typename Ehdr, typename Phdr> std::string elfInterpreter(int fd)
{
    Ehdr eh;
    if (!readAt(fd, &eh, sizeof eh, 0) || eh.e_phentsize != sizeof(Phdr))
        return {};
    for (unsigned i = 0; i < eh.e_phnum && i < 128; ++i) {
        Phdr ph;
        if (!readAt(fd, &ph, sizeof ph, static_cast<off_t>(eh.e_phoff + i * sizeof ph)))
            return {};
        if (ph.p_type != PT_INTERP)
            continue;
        if (ph.p_filesz == 0 || ph.p_filesz > 4096)
            return {};
        std::string path(ph.p_filesz, '\0');
        if (!readAt(fd, path.data(), path.size(), static_cast<off_t>(ph.p_offset)))
            return {};
        path.resize(std::strlen(path.c_str()));
        return path;
    }
    return {};
}

// What the kernel runs path with: the "#!" interpreter or the ELF interpreter, else "".
std::string interpreterOf(int fd)
{
    char head[256];
    ssize_t n = ::pread(fd, head, sizeof head - 1, 0);
    if (n < 4)
        return {};
    head[n] = '\0';
    if (head[0] == '#' && head[1] == '!') {
        const char *p = head + 2;
        while (*p == ' ' || *p == '\t')
            ++p;
        const char *end = p;
        while (*end != '\0' && *end != ' ' && *end != '\t' && *end != '\n')
            ++end;
        return std::string(p, end);
    }
    if (std::memcmp(head, ELFMAG, SELFMAG) != 0)
        return {};
    if (head[EI_CLASS] == ELFCLASS64)
        return elfInterpreter<Elf64_Ehdr, Elf64_Phdr>(fd);
    if (head[EI_CLASS] == ELFCLASS32)
        return elfInterpreter<Elf32_Ehdr, Elf32_Phdr>(fd);
    return {};
}

} // namespace

Result<struct stat> runtimeBinaryId()
{
    struct stat st;
    if (::stat("/proc/self/exe", &st) < 0)
        return failErrno("stat /proc/self/exe");
    return st;
}

Result<void> refuseRuntimeBinary(const std::string &path, const struct stat &runtime)
{
    std::string current = path;
    for (int depth = 0; depth < kMaxInterpreterDepth && !current.empty(); ++depth) {
        struct stat st;
        if (::stat(current.c_str(), &st) < 0)
            return {}; // the exec itself will report it
        if (sameFile(st, runtime))
            return fail("process.args[0]: \"" + path + "\" would execute the host's husk binary" +
                        (current != path ? " (through \"" + current + "\")" : std::string()) +
                        "; refused (CVE-2019-5736)");
        UniqueFd fd(::open(current.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
        if (!fd || !S_ISREG(st.st_mode))
            return {};
        current = interpreterOf(fd.get());
    }
    return {};
}

} // namespace husk
