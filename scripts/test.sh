#!/usr/bin/env bash
# README quick start, command 2: install what is missing, build from scratch if needed, and run
# every test: a check that each host program the tests run comes from a listed package, format
# check, unit tests (also under ASan+UBSan), integration tests with real containers, end-to-end
# tests with podman and containerd, man pages and completions against --help, the Debian
# package, and a check that nothing with a test's name is left behind. Ends with
# "N passed, N failed, N skipped".
set -uo pipefail
. "$(dirname "$0")/lib.sh"
need_root
install_missing $BUILD_PACKAGES $TEST_PACKAGES $PACKAGE_PACKAGES
build_husk || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

ASAN_DIR=${ASAN_DIR:-$HUSK_SRC/build-asan}
passed=0 failed=0 skipped=0
failures=()
logdir=$(mktemp -d /tmp/husk-testlogs-XXXXXX)
trap 'rm -rf "$logdir"' EXIT

# Every program the tests run must come from a package this project installs: a fresh machine
# has nothing else.
echo "==> host programs the tests run come from listed packages"
if check_commands "$TEST_COMMANDS" "$BUILD_PACKAGES $TEST_PACKAGES"; then
    passed=$((passed + 1)); echo "    all $(echo $TEST_COMMANDS | wc -w) found in scripts/lib.sh's packages"
else
    failed=$((failed + 1)); failures+=(host-programs)
fi

# What test runs leave if they fail to clean up, by the names tests give things: state roots
# and temp dirs, cgroup directories, named network namespaces, links and nf_tables tables in
# the host's network namespace (tests make theirs in private ones), and mounts. Entries already
# here belong to an earlier run that was killed (their names carry its pid); only what this run
# adds counts against it.
residue() {
    ls -d /run/husk-test-* /tmp/husk-bundle-* /tmp/husk-rootfs-* /tmp/husk-systemd-* \
        /tmp/husk-podman-* /tmp/husk-containerd-* /tmp/husk-e2e-* /tmp/husk-deb-* /run/netns/husktest* 2>/dev/null
    find /sys/fs/cgroup -maxdepth 4 -type d \( -name 'husktest*' -o -name 'husk-test*' \) 2>/dev/null
    ip -o link show 2>/dev/null | awk -F': ' '{print "link " $2}' | grep -E '^link (hk|husk|veth)'
    nft list tables 2>/dev/null | grep -E 'husk' | sed 's/^/nft /'
    grep -E 'husktest|husk-test|husk-bundle|husk-rootfs' /proc/self/mountinfo | awk '{print "mount " $5}'
}
residue_before=$(residue)
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
if ! command -v clang-format >/dev/null; then
    skipped=$((skipped + 1)); echo "    skipped: clang-format is not installed"
else
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
export HUSK_CRASHING=$BUILD_DIR/tests/integration/husk-crashing # crash_test: husk that dies on cue
echo "==> integration tests (real containers, private network namespace)"
for t in "$BUILD_DIR"/tests/integration/*_test; do
    [ -x "$t" ] && run_boost "integration/$(basename "$t")" unshare --net -- "$t"
done
echo "==> end-to-end tests (engines driving husk)"
for t in "$BUILD_DIR"/tests/e2e/*_test; do
    [ -x "$t" ] && run_boost "e2e/$(basename "$t")" unshare --net -- "$t"
done

# Adds a script's closing "NAME: N passed, N failed" to the totals; exit 77 means skipped (its
# last line says why), and a non-zero exit without a failure counted is one failure.
run_script() { # name, then the command
    local name=$1 log=$logdir/$1.log rc p f
    shift
    "$@" >"$log" 2>&1
    rc=$?
    if [ "$rc" = 77 ]; then
        skipped=$((skipped + 1)); echo "    $(tail -n 1 "$log")"; return
    fi
    p=$(tail -n 1 "$log" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
    f=$(tail -n 1 "$log" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
    p=${p:-0} f=${f:-0}
    [ "$rc" = 0 ] || [ "$f" != 0 ] || f=1
    passed=$((passed + p)) failed=$((failed + f))
    printf '    %-28s %4d passed %4d failed\n' "$name" "$p" "$f"
    if [ "$f" != 0 ]; then
        failures+=("$name"); grep -A 12 -E '^ *FAIL' "$log" | head -n 30 | sed 's/^/      /'
    fi
}

echo "==> man pages and shell completions cover every command and flag of --help"
run_script cli-docs "$HUSK_SRC/tests/docs/check_cli_docs.sh" "$HUSK_RUNTIME" "$HUSK_SRC"

echo "==> the include graph runs downwards (tests/docs/check_layers.sh)"
run_script layers "$HUSK_SRC/tests/docs/check_layers.sh" "$HUSK_SRC"

echo "==> fuzzing: each libFuzzer target for ${HUSK_FUZZ_SECONDS:-60} s under ASan+UBSan (tests/fuzz/run.sh)"
fuzzdir=$(mktemp -d /tmp/husk-fuzz-XXXXXX)
HUSK_FUZZ_DIR=$fuzzdir run_script fuzz "$HUSK_SRC/tests/fuzz/run.sh" --time "${HUSK_FUZZ_SECONDS:-60}"
grep -h '^fuzz [a-z_]*:' "$logdir/fuzz.log" | sed 's/^/    /'
rm -rf "$fuzzdir"

echo "==> the Debian package (build, lintian, install, run, purge)"
run_script package "$HUSK_SRC/scripts/package.sh"

# Whatever a test left behind is a failure of the suite.
echo "==> nothing left behind"
residue=$(residue | grep -vxF -e "${residue_before:-/nonexistent}")
if [ -n "$residue" ]; then
    failed=$((failed + 1)); failures+=(residue)
    echo "    tests left these behind:"; echo "$residue" | head -n 20 | sed 's/^/    /'
else
    passed=$((passed + 1)); echo "    clean"
fi

[ ${#failures[@]} = 0 ] || echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
