#include "libcontainer/cgroups/devices_bpf.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "common/file.h"
#include "common/unique_fd.h"
#include "libcontainer/cgroups/resources.h"

namespace husk::cgroups {

namespace {

// The instructions the filter needs (linux/filter.h's macros are not in the UAPI headers).
bpf_insn loadCtxWord(uint8_t dst, int16_t off)
{
    return {BPF_LDX | BPF_W | BPF_MEM, dst, BPF_REG_1, off, 0};
}

bpf_insn alu32Imm(uint8_t op, uint8_t dst, int32_t imm)
{
    return {static_cast<uint8_t>(BPF_ALU | op | BPF_K), dst, 0, 0, imm};
}

bpf_insn mov64Reg(uint8_t dst, uint8_t src)
{
    return {BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0};
}

bpf_insn mov64Imm(uint8_t dst, int32_t imm)
{
    return {BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm};
}

// A jump whose offset is set once the rule's block is complete (to "next rule").
bpf_insn jumpImm(uint8_t op, uint8_t dst, int32_t imm)
{
    return {static_cast<uint8_t>(BPF_JMP | op | BPF_K), dst, 0, 0, imm};
}

bpf_insn exitInsn()
{
    return {BPF_JMP | BPF_EXIT, 0, 0, 0, 0};
}

// Registers after the prologue: R2 device type, R3 requested access, R4 major, R5 minor.
constexpr uint8_t kType = BPF_REG_2;
constexpr uint8_t kAccess = BPF_REG_3;
constexpr uint8_t kMajor = BPF_REG_4;
constexpr uint8_t kMinor = BPF_REG_5;
constexpr int32_t kAllAccess = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

int32_t accessBits(const std::string &access)
{
    if (access.empty())
        return kAllAccess;
    int32_t bits = 0;
    for (char c : access)
        bits |= c == 'm'   ? BPF_DEVCG_ACC_MKNOD
                : c == 'r' ? BPF_DEVCG_ACC_READ
                           : BPF_DEVCG_ACC_WRITE;
    return bits;
}

// One rule: a block of tests that jump past the block on a mismatch, then the verdict. Returns
// whether the block always decides (no test), so nothing after it could ever run.
bool appendRule(std::vector<bpf_insn> &prog, const spec::DeviceRule &r)
{
    std::vector<bpf_insn> block;
    std::vector<size_t> jumps;
    auto test = [&](bpf_insn insn) {
        jumps.push_back(block.size());
        block.push_back(insn);
    };
    if (r.type == "c" || r.type == "b")
        test(jumpImm(BPF_JNE, kType, r.type == "c" ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK));
    int32_t bits = accessBits(r.access);
    if (bits != kAllAccess) {
        if (r.allow) {
            // Allow only when every requested bit is in the rule.
            test(jumpImm(BPF_JSET, kAccess, kAllAccess & ~bits));
        } else {
            // Deny when any requested bit is in the rule.
            block.push_back(mov64Reg(BPF_REG_1, kAccess));
            block.push_back(alu32Imm(BPF_AND, BPF_REG_1, bits));
            test(jumpImm(BPF_JEQ, BPF_REG_1, 0));
        }
    }
    if (r.type != "a" && !r.type.empty()) {
        if (r.major && *r.major >= 0)
            test(jumpImm(BPF_JNE, kMajor, static_cast<int32_t>(*r.major)));
        if (r.minor && *r.minor >= 0)
            test(jumpImm(BPF_JNE, kMinor, static_cast<int32_t>(*r.minor)));
    }
    block.push_back(mov64Imm(BPF_REG_0, r.allow ? 1 : 0));
    block.push_back(exitInsn());
    for (size_t j : jumps)
        block[j].off = static_cast<int16_t>(block.size() - 1 - j);
    prog.insert(prog.end(), block.begin(), block.end());
    return jumps.empty();
}

long bpf(int cmd, bpf_attr &attr)
{
    return ::syscall(SYS_bpf, cmd, &attr, sizeof attr);
}

Result<UniqueFd> loadProgram(const std::vector<bpf_insn> &program)
{
    static const char license[] = "Apache-2.0";
    bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = reinterpret_cast<uintptr_t>(program.data());
    attr.insn_cnt = static_cast<uint32_t>(program.size());
    attr.license = reinterpret_cast<uintptr_t>(license);
    int fd = static_cast<int>(bpf(BPF_PROG_LOAD, attr));
    if (fd >= 0)
        return UniqueFd(fd);
    int code = errno;
    if (code != EACCES && code != EINVAL)
        return fail("load the device filter: bpf(BPF_PROG_LOAD)", code);
    // Load again with the verifier's log, so the error says what it disliked.
    std::string log(64 * 1024, '\0');
    attr.log_buf = reinterpret_cast<uintptr_t>(log.data());
    attr.log_size = static_cast<uint32_t>(log.size());
    attr.log_level = 1;
    fd = static_cast<int>(bpf(BPF_PROG_LOAD, attr));
    if (fd >= 0)
        return UniqueFd(fd);
    log.resize(std::strlen(log.c_str()));
    while (!log.empty() && log.back() == '\n')
        log.pop_back();
    return fail("load the device filter: bpf(BPF_PROG_LOAD): verifier: " + log, code);
}

// The ids of the device programs attached to the cgroup itself (not inherited ones).
Result<std::vector<uint32_t>> attachedPrograms(int cgroupFd)
{
    std::vector<uint32_t> ids(64);
    bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.query.target_fd = static_cast<uint32_t>(cgroupFd);
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = reinterpret_cast<uintptr_t>(ids.data());
    attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
    if (bpf(BPF_PROG_QUERY, attr) < 0)
        return failErrno("query the device programs: bpf(BPF_PROG_QUERY)");
    ids.resize(attr.query.prog_cnt);
    return ids;
}

} // namespace

std::vector<bpf_insn> deviceFilterProgram(const std::vector<spec::DeviceRule> &rules)
{
    std::vector<bpf_insn> prog = {
        // R1 is the struct bpf_cgroup_dev_ctx: access_type = (access << 16) | type.
        loadCtxWord(kType, offsetof(bpf_cgroup_dev_ctx, access_type)),
        alu32Imm(BPF_AND, kType, 0xffff),
        loadCtxWord(kAccess, offsetof(bpf_cgroup_dev_ctx, access_type)),
        alu32Imm(BPF_RSH, kAccess, 16),
        loadCtxWord(kMajor, offsetof(bpf_cgroup_dev_ctx, major)),
        loadCtxWord(kMinor, offsetof(bpf_cgroup_dev_ctx, minor)),
    };
    std::vector<spec::DeviceRule> all = rules;
    const std::vector<spec::DeviceRule> &defaults = defaultDeviceRules();
    all.insert(all.end(), defaults.begin(), defaults.end());
    // Last rule first; a rule that matches everything ends the program (the verifier refuses
    // unreachable instructions).
    for (auto it = all.rbegin(); it != all.rend(); ++it)
        if (appendRule(prog, *it))
            return prog;
    prog.push_back(mov64Imm(BPF_REG_0, 1));
    prog.push_back(exitInsn());
    return prog;
}

Result<void> attachDeviceFilter(const std::string &dir, const std::vector<bpf_insn> &program)
{
    UniqueFd cgroup = HUSK_TRY(openFd(dir, O_RDONLY | O_DIRECTORY));
    std::vector<uint32_t> old = HUSK_TRY(attachedPrograms(cgroup.get()));
    UniqueFd prog = HUSK_TRY(loadProgram(program));
    bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.target_fd = static_cast<uint32_t>(cgroup.get());
    attr.attach_bpf_fd = static_cast<uint32_t>(prog.get());
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (bpf(BPF_PROG_ATTACH, attr) < 0)
        return failErrno("attach the device filter to " + dir + ": bpf(BPF_PROG_ATTACH)");
    // The new program is in force before the old ones go, so there is no moment without one.
    for (uint32_t id : old) {
        std::memset(&attr, 0, sizeof attr);
        attr.prog_id = id;
        long fd = bpf(BPF_PROG_GET_FD_BY_ID, attr);
        if (fd < 0)
            return failErrno("detach the old device filter " + std::to_string(id) +
                             ": bpf(BPF_PROG_GET_FD_BY_ID)");
        UniqueFd oldProg(static_cast<int>(fd));
        std::memset(&attr, 0, sizeof attr);
        attr.target_fd = static_cast<uint32_t>(cgroup.get());
        attr.attach_bpf_fd = static_cast<uint32_t>(oldProg.get());
        attr.attach_type = BPF_CGROUP_DEVICE;
        if (bpf(BPF_PROG_DETACH, attr) < 0 && errno != ENOENT)
            return failErrno("detach the old device filter " + std::to_string(id) + " from " + dir +
                             ": bpf(BPF_PROG_DETACH)");
    }
    return {};
}

} // namespace husk::cgroups
