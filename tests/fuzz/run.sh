#!/usr/bin/env bash
# Builds husk's libFuzzer targets with clang (ASan + UBSan) and runs each one.
#
#   tests/fuzz/run.sh [--time SECONDS | --runs N] [TARGET...]
#
# Targets: config (config.json -> spec::Config + validate), state (state.json -> StateRecord and
# the accessors on its recorded config), cgroup_layout (mountinfo and /proc/PID/cgroup), netlink
# (RTM_NEWLINK/NEWADDR/NEWROUTE attribute parsers). Seeds are tests/fuzz/corpus/<target>/; what
# the fuzzer finds goes to a scratch corpus, never into the tree. A crash leaves its input in
# $HUSK_FUZZ_DIR/<target>/ and fails the run. The last line is "fuzz: N passed, N failed".
set -uo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${HUSK_FUZZ_DIR:-/tmp/husk-fuzz}
CXX=${HUSK_FUZZ_CXX:-clang++-19}
limit=(-max_total_time=60)
targets=()
while [ $# -gt 0 ]; do
    case $1 in
    --time) limit=(-max_total_time="$2"); shift 2 ;;
    --runs) limit=(-runs="$2"); shift 2 ;;
    *) targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=(config state cgroup_layout netlink)

if ! command -v "$CXX" >/dev/null; then
    echo "fuzz: skipped: $CXX is not installed (scripts/lib.sh installs clang-19)"
    exit 77
fi

# husk's sources each target needs (beyond the target itself).
common="common/file.cpp common/log.cpp"
spec="spec/config.cpp spec/default_spec.cpp spec/json_reader.cpp spec/landlock.cpp
      spec/parse.cpp spec/parse_linux.cpp spec/parse_process.cpp spec/seccomp_profiles.cpp
      spec/state.cpp spec/template.cpp spec/validate.cpp spec/validate_linux.cpp"
declare -A sources=(
    [config]="$common $spec"
    [state]="$common common/crash_point.cpp $spec libcontainer/container/state_store.cpp
             libcontainer/container/status.cpp"
    [cgroup_layout]="$common libcontainer/cgroups/layout.cpp"
    [netlink]="$common netlink/link.cpp netlink/address.cpp netlink/route.cpp
               netlink/ip_address.cpp netlink/message.cpp netlink/socket.cpp netlink/netns.cpp"
)
declare -A libs=([netlink]="-lmnl")

flags=(-std=c++2b -O1 -g -D_GNU_SOURCE -I"$SRC" -fno-omit-frame-pointer
       -fsanitize=address,undefined -fno-sanitize-recover=undefined)
mkdir -p "$OUT/obj"
passed=0 failed=0
compile() { # source -> object path (cached by source and flags)
    local src=$1 obj
    obj="$OUT/obj/$(echo "$src" | tr / _).o"
    if [ ! -f "$obj" ] || [ "$SRC/$src" -nt "$obj" ]; then
        "$CXX" "${flags[@]}" -fsanitize=fuzzer-no-link -c "$SRC/$src" -o "$obj" || return 1
    fi
    echo "$obj"
}

for t in "${targets[@]}"; do
    [ -n "${sources[$t]:-}" ] || { echo "fuzz: unknown target $t"; failed=$((failed + 1)); continue; }
    objs=()
    ok=1
    for s in ${sources[$t]}; do
        [ -f "$SRC/$s" ] || continue
        o=$(compile "$s") || { ok=0; break; }
        objs+=("$o")
    done
    bin="$OUT/${t}_fuzz"
    if [ $ok = 1 ]; then
        "$CXX" "${flags[@]}" -fsanitize=fuzzer "$SRC/tests/fuzz/${t}_fuzz.cpp" "${objs[@]}" \
            ${libs[$t]:-} -o "$bin" || ok=0
    fi
    if [ $ok = 0 ]; then
        echo "fuzz $t: build failed"; failed=$((failed + 1)); continue
    fi
    corpus="$OUT/$t/corpus" artifacts="$OUT/$t/"
    rm -rf "$corpus"; mkdir -p "$corpus"
    cp "$SRC/tests/fuzz/corpus/$t"/* "$corpus"/ 2>/dev/null
    log="$OUT/$t/fuzz.log"
    # -rss_limit_mb: a parse may not take more than 2 GiB; -timeout: nor 10 s per input (wall
    # time, so it allows for a loaded machine; a parse takes microseconds).
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        "$bin" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -max_len=1048576 -print_final_stats=1 \
        -artifact_prefix="$artifacts" "$corpus" >"$log" 2>&1
    rc=$?
    execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$')
    secs=$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | grep -oE '[0-9]+ second' | grep -oE '[0-9]+')
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1)
    if [ $rc = 0 ]; then
        passed=$((passed + 1))
        echo "fuzz $t: ${execs:-?} executions in ${secs:-?} s, $cov, no crash"
    else
        failed=$((failed + 1))
        echo "fuzz $t: FAILED (rc $rc) after ${execs:-?} executions; input and log in $OUT/$t/"
        grep -E 'ERROR|SUMMARY|runtime error' "$log" | head -n 5 | sed 's/^/    /'
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ $failed = 0 ]
