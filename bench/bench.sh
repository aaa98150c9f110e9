#!/usr/bin/env bash
# Side-by-side container lifecycle benchmark: husk vs crun vs runc, in one run, reported as
# ratios to husk. Not a test: nothing here asserts a time.
#
#   bench/bench.sh [ITERATIONS]          (default 50; run as root, after a build)
#
# Measures, per runtime, the wall time of create + start + wait-for-exit + delete of a
# container running busybox `true` from the same bundle, and for husk pods: `pod create`
# with bridge networking vs with none (the cost of the networking) vs a plain create of the
# same bundle, plus crun with a veth set up by hand (`ip`) as the peer's way of doing it.
# Everything runs inside a private network namespace; crun 1.8 refuses this host's hybrid
# cgroups, so its loop runs in one private mount namespace with /sys/fs/cgroup/unified
# unmounted (once, not per container, so its numbers are not charged for the workaround).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-50}
HUSK=${HUSK:-$here/build/runtime/husk}
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
[ -x "$HUSK" ] || { echo "no husk at $HUSK (build first)" >&2; exit 1; }
if [ -z "${HUSK_BENCH_IN_NETNS:-}" ]; then
    . "$here/scripts/lib.sh"
    install_missing $BENCH_PACKAGES
fi

if [ -z "${HUSK_BENCH_IN_NETNS:-}" ]; then
    exec env HUSK_BENCH_IN_NETNS=1 unshare --net -- "$0" "$@"
fi
ip link set lo up

work=$(mktemp -d /tmp/husk-bench-XXXXXX)
cleanup() {
    local id
    for id in $(ls "$work/root-husk" 2>/dev/null); do
        case $id in pods | networks) continue ;; esac
        "$HUSK" --root "$work/root-husk" delete --force "$id" >/dev/null 2>&1 || true
    done
    for p in $(ls "$work/root-husk/pods" 2>/dev/null); do
        "$HUSK" --root "$work/root-husk" pod rm --force "$p" >/dev/null 2>&1 || true
    done
    for id in $(ls "$work/root-runc" 2>/dev/null); do
        runc --root "$work/root-runc" delete --force "$id" >/dev/null 2>&1 || true
    done
    for dir in root-crun root-crunv; do
        for id in $(ls "$work/$dir" 2>/dev/null); do
            unshare --mount --propagation private sh -c \
                'umount -l /sys/fs/cgroup/unified 2>/dev/null; crun --root "$0" delete --force "$1"' \
                "$work/$dir" "$id" >/dev/null 2>&1 || true
        done
    done
    rm -rf "$work"
}
trap cleanup EXIT

# The bundle: static busybox and a config whose process is `true`.
mkdir -p "$work/bundle/rootfs/bin"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
ln -s busybox "$work/bundle/rootfs/bin/true"
ln -s busybox "$work/bundle/rootfs/bin/sleep"
(cd "$work/bundle" && "$HUSK" spec)
python3 - "$work/bundle/config.json" <<'EOF'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
c["ociVersion"] = "1.0.2"  # crun 1.8 refuses newer versions; every runtime here takes 1.0.2
json.dump(c, open(p, "w"))
EOF

now_ns() { date +%s%N; }

# One runtime's loop: create, start, wait until stopped, delete. Prints ms per container.
lifecycle_loop() { # runtime-command root
    local rt=$1 root=$2 start end
    mkdir -p "$root"
    start=$(now_ns)
    for i in $(seq 1 "$N"); do
        $rt --root "$root" create --bundle "$work/bundle" "b$i" </dev/null >/dev/null
        $rt --root "$root" start "b$i"
        while $rt --root "$root" state "b$i" 2>/dev/null | grep -q '"running"'; do :; done
        $rt --root "$root" delete "b$i"
    done
    end=$(now_ns)
    echo "scale=3; ($end - $start) / 1000000 / $N" | bc
}
export -f lifecycle_loop now_ns
export N work

echo "husk bench: $N containers per runtime, $(nproc) CPUs, $(uname -r)"
declare -A ms
ms[husk]=$(lifecycle_loop "$HUSK" "$work/root-husk")
if command -v crun >/dev/null; then
    ms[crun]=$(unshare --mount --propagation private bash -c \
        'umount -l /sys/fs/cgroup/unified 2>/dev/null; lifecycle_loop crun "$0"' "$work/root-crun")
fi
if command -v runc >/dev/null; then
    ms[runc]=$(lifecycle_loop runc "$work/root-runc")
fi

printf '\n%-8s %14s %10s\n' runtime "ms/container" "vs husk"
for rt in husk crun runc; do
    [ -n "${ms[$rt]:-}" ] || continue
    printf '%-8s %14s %9.2fx\n' "$rt" "${ms[$rt]}" "$(echo "${ms[$rt]} / ${ms[husk]}" | bc -l)"
done

# Pods: the cost of bridge networking per pod.
pod_loop() { # network-flag
    local start end
    start=$(now_ns)
    for i in $(seq 1 "$N"); do
        "$HUSK" --root "$work/root-husk" pod create --network "$1" "p$1$i" >/dev/null
    done
    end=$(now_ns)
    for i in $(seq 1 "$N"); do
        "$HUSK" --root "$work/root-husk" pod rm "p$1$i"
    done
    echo "scale=3; ($end - $start) / 1000000 / $N" | bc
}
plain_create() {
    local start end
    start=$(now_ns)
    for i in $(seq 1 "$N"); do
        "$HUSK" --root "$work/root-husk" create --bundle "$work/bundle" "c$i" </dev/null >/dev/null
    done
    end=$(now_ns)
    for i in $(seq 1 "$N"); do
        "$HUSK" --root "$work/root-husk" delete --force "c$i"
    done
    echo "scale=3; ($end - $start) / 1000000 / $N" | bc
}
# crun plus a veth set up by hand for each container, as a CNI-less peer would.
crun_with_veth() {
    local start end pid
    ip link add hkbench0 type bridge 2>/dev/null || true
    ip link set hkbench0 up
    start=$(now_ns)
    for i in $(seq 1 "$N"); do
        crun --root "$work/root-crunv" create --bundle "$work/bundle" "v$i" </dev/null >/dev/null
        pid=$(crun --root "$work/root-crunv" state "v$i" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
        ip link add "hkv$i" type veth peer name eth0 netns "$pid"
        ip link set "hkv$i" master hkbench0 up
        nsenter -t "$pid" -n ip addr add "10.99.$((i / 250)).$((i % 250 + 2))/16" dev eth0
        nsenter -t "$pid" -n ip link set eth0 up
        nsenter -t "$pid" -n ip route add default via 10.99.0.1
    done
    end=$(now_ns)
    for i in $(seq 1 "$N"); do
        crun --root "$work/root-crunv" delete --force "v$i" >/dev/null 2>&1 || true
    done
    echo "scale=3; ($end - $start) / 1000000 / $N" | bc
}
export -f crun_with_veth
export HUSK

bridge=$(pod_loop bridge)
none=$(pod_loop none)
plain=$(plain_create)
printf '\n%-40s %10s\n' "husk pods" "ms each"
printf '%-40s %10s\n' "pod create --network bridge" "$bridge"
printf '%-40s %10s\n' "pod create --network none" "$none"
printf '%-40s %10s\n' "networking added per pod" "$(echo "$bridge - $none" | bc)"
printf '%-40s %10s\n' "plain create of the same bundle" "$plain"
if command -v crun >/dev/null; then
    cv=$(unshare --mount --propagation private bash -c \
        'umount -l /sys/fs/cgroup/unified 2>/dev/null; crun_with_veth')
    printf '%-40s %10s\n' "crun create + veth/address/route by ip" "$cv"
fi

# The pause process's memory.
"$HUSK" --root "$work/root-husk" pod create --network bridge prss >/dev/null
pid=$("$HUSK" --root "$work/root-husk" pod inspect prss | python3 -c 'import json,sys; print(json.load(sys.stdin)["pausePid"])')
sleep 0.2
printf '\npause process: %s, %s\n' "$(grep VmRSS /proc/$pid/status | tr -s ' ')" \
    "$(grep '^Pss:' /proc/$pid/smaps_rollup | tr -s ' ')"
"$HUSK" --root "$work/root-husk" pod rm prss
