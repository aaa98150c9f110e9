#!/usr/bin/env bash
# README quick start, command 2: install what is missing, build from scratch if needed, and run
# every test: format check, unit tests (also under ASan+UBSan), integration tests with real
# containers, and end-to-end tests with podman and containerd. Ends with "N passed, N failed,
# N skipped".
set -uo pipefail
. "$(dirname "$0")/lib.sh"
need_root
install_missing $BUILD_PACKAGES $TEST_PACKAGES
build_husk || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

ASAN_DIR=${ASAN_DIR:-$HUSK_SRC/build-asan}
passed=0 failed=0 skipped=0
failures=()
logdir=$(mktemp -d /tmp/husk-testlogs-XXXXXX)
trap 'rm -rf "$logdir"' EXIT

# What test runs leave if they fail to clean up. Entries already here belong to an earlier run
# that was killed (their names carry its pid); only what this run adds counts against it.
residue_glob='/run/husk-test-* /tmp/husk-bundle-* /tmp/husk-rootfs-* /tmp/husk-systemd-* /tmp/husk-podman-* /tmp/husk-containerd-*'
residue_before=$(ls -d $residue_glob 2>/dev/null)
[ -z "$residue_before" ] || { echo "==> left by an earlier, killed run (not counted):"; echo "$residue_before" | sed 's/^/    /'; }

# Adds a Boost.Test binary's "N test cases out of M passed/failed/skipped" to the totals.
# A binary that dies without a report counts as one failure; exit 77 means "skipped".
count_boost() {
    local name=$1 log=$2 rc=$3
    local p f s
    p=$(grep -oE '[0-9]+ test cases? out of [0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
    f=$(grep -oE '[0-9]+ test cases? out of [0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
    s=$(grep -oE '[0-9]+ test cases? out of [0-9]+ skipped' "$log" | awk '{s+=$1} END {print s+0}')
    if [ "$rc" = 77 ]; then
        echo "    skipped: $(tail -n 1 "$log")"
        skipped=$((skipped + 1))
        return
    fi
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
        f=1
    fi
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
    [ "$f" = 0 ] || failures+=("$name")
    printf '    %-28s %4d passed %4d failed %4d skipped\n' "$name" "$p" "$f" "$s"
    if [ "$f" != 0 ]; then
        grep -E 'error: in|fatal error|failure occurred|Assertion|Sanitizer|runtime error' "$log" | head -n 40 | sed 's/^/      /'
    fi
}

run_boost() { # name, then the command
    local name=$1
    shift
    local log=$logdir/${name//\//_}.log
    "$@" --report_level=short >"$log" 2>&1
    count_boost "$name" "$log" $?
}

echo "==> format (clang-format)"
if command -v clang-format >/dev/null; then
    bad=$(cd "$HUSK_SRC" && git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run 2>&1 | grep -c 'warning:' || true)
    if [ "$bad" = 0 ]; then passed=$((passed + 1)); echo "    clean"; else
        failed=$((failed + 1)); failures+=(format)
        echo "    $bad lines need clang-format:"
        (cd "$HUSK_SRC" && git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run 2>&1 | grep 'warning:' | head -n 10 | sed 's/^/      /')
    fi
fi

echo "==> unit tests"
for t in "$BUILD_DIR"/tests/unit/*_test; do
    [ -x "$t" ] && run_boost "unit/$(basename "$t")" "$t"
done

echo "==> unit tests under ASan+UBSan ($ASAN_DIR)"
if [ ! -f "$ASAN_DIR/build.ninja" ]; then
    # -O0: the sanitizers do the checking, and an unoptimised build compiles much faster.
    meson setup "$ASAN_DIR" "$HUSK_SRC" --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
if ninja -C "$ASAN_DIR" $(cd "$ASAN_DIR" && ninja -t targets all | grep -oE '^tests/unit/[a-z_]+_test(:| )' | tr -d ': ' | sort -u) >"$logdir/asan-build.log" 2>&1; then
    for t in "$ASAN_DIR"/tests/unit/*_test; do
        [ -x "$t" ] && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 run_boost "asan/$(basename "$t")" "$t"
    done
else
    failed=$((failed + 1)); failures+=(asan-build); tail -n 20 "$logdir/asan-build.log"
fi

# Integration and e2e tests make real containers; each runs in a network namespace of its own
# so nothing touches the host's links or routes.
export HUSK_RUNTIME=$BUILD_DIR/runtime/husk HUSK_PROBE=$BUILD_DIR/tests/probe/husk-probe
echo "==> integration tests (real containers, private network namespace)"
for t in "$BUILD_DIR"/tests/integration/*_test; do
    [ -x "$t" ] && run_boost "integration/$(basename "$t")" unshare --net -- "$t"
done
echo "==> end-to-end tests (engines driving husk)"
for t in "$BUILD_DIR"/tests/e2e/*_test; do
    [ -x "$t" ] && run_boost "e2e/$(basename "$t")" unshare --net -- "$t"
done

# Whatever a test left behind is a failure of the suite.
residue=$(ls -d $residue_glob 2>/dev/null | grep -vxF -e "${residue_before:-/nonexistent}" | head -n 5)
if [ -n "$residue" ]; then
    failed=$((failed + 1)); failures+=(residue)
    echo "==> tests left these behind:"; echo "$residue" | sed 's/^/    /'
fi

[ ${#failures[@]} = 0 ] || echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
