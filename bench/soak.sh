#!/usr/bin/env bash
# Soak: many lifecycles in a row, and what is left afterwards. Not part of scripts/test.sh (it
# takes minutes); its figures go in docs/security.md.
#
#   bench/soak.sh [CYCLES] [POD_CYCLES]      (default 10000 and 1000; root, after a build)
#
# CYCLES times: create, start (a container that sleeps), kill KILL, wait until stopped, delete.
# POD_CYCLES times: pod create with bridge networking, pod rm. Before and after it counts what
# a leak would grow: the soak shell's fds, mounts, cgroup directories, links, nft rules, leases,
# state entries and zombies; the pause process's and the last container init's fds; and the
# time per cycle over the first and the last 100 cycles. Runs in a private network namespace.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-10000}
P=${2:-1000}
HUSK=${HUSK:-$here/build/runtime/husk}
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
[ -x "$HUSK" ] || { echo "no husk at $HUSK (build first)" >&2; exit 1; }
if [ -z "${HUSK_SOAK_IN_NETNS:-}" ]; then
    . "$here/scripts/lib.sh"
    install_missing $BENCH_PACKAGES
    exec env HUSK_SOAK_IN_NETNS=1 unshare --net -- "$0" "$@"
fi
ip link set lo up

work=$(mktemp -d /tmp/husk-soak-XXXXXX)
root=$work/root
h() { "$HUSK" --root "$root" "$@"; }
cleanup() {
    for id in $(ls "$root" 2>/dev/null); do
        case $id in pods | networks | ipam) continue ;; esac
        h delete --force "$id" >/dev/null 2>&1 || true
    done
    for p in $(ls "$root/pods" 2>/dev/null); do h pod rm --force "$p" >/dev/null 2>&1 || true; done
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/bundle/rootfs/bin"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
ln -s busybox "$work/bundle/rootfs/bin/sleep"
"$HUSK" spec --bundle "$work/bundle"
python3 - "$work/bundle/config.json" <<'EOF'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/sleep", "600"]
json.dump(c, open(p, "w"))
EOF

zombies() { awk '$3 == "Z"' /proc/[0-9]*/stat 2>/dev/null | wc -l; }
count() { # label
    printf '%-8s fds %3d  mounts %4d  cgroup-dirs %5d  links %3d  nft-lines %4d  leases %3d  state-entries %3d  zombies %3d\n' \
        "$1" "$(ls /proc/$$/fd | wc -l)" "$(wc -l </proc/self/mountinfo)" \
        "$(find /sys/fs/cgroup -mindepth 1 -type d 2>/dev/null | wc -l)" \
        "$(ip -o link | wc -l)" "$(nft list ruleset 2>/dev/null | wc -l)" \
        "$(h network inspect husk 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("leases", [])))' 2>/dev/null || echo 0)" \
        "$(ls "$root" 2>/dev/null | grep -cvE '^(pods|networks|ipam)$' || true)" "$(zombies)"
}
now_ns() { date +%s%N; }

# A first pod makes the network's bridge and table, which stay: count after it.
h pod create warmup >/dev/null && h pod rm warmup
count before
t0=$(now_ns) first=0 last=0 initFds=
for i in $(seq 1 "$N"); do
    [ "$i" = $((N - 99)) ] && t1=$(now_ns)
    id=soak-$i
    h create --bundle "$work/bundle" "$id" </dev/null >/dev/null 2>&1
    h start "$id"
    [ "$i" = "$N" ] && initFds=$(ls "/proc/$(h state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')/fd" | wc -l)
    h kill "$id" KILL
    until h state "$id" | grep -q '"stopped"'; do sleep 0.01; done
    h delete "$id"
    [ "$i" = 100 ] && first=$((($(now_ns) - t0) / 10000000))
done
[ "$N" -ge 200 ] && last=$((($(now_ns) - t1) / 10000000))
count after
echo "containers: $N cycles; per cycle: first 100 $((first / 10)).$((first % 10)) ms, last 100 $((last / 10)).$((last % 10)) ms; last init's fds: $initFds"

t0=$(now_ns) pfirst=0 plast=0 pauseFds=
for i in $(seq 1 "$P"); do
    [ "$i" = $((P - 99)) ] && t1=$(now_ns)
    pid=$(h pod create "soakpod-$i" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pausePid"])')
    [ "$i" = "$P" ] && pauseFds=$(ls "/proc/$pid/fd" | wc -l)
    h pod rm "soakpod-$i"
    [ "$i" = 100 ] && pfirst=$((($(now_ns) - t0) / 10000000))
done
[ "$P" -ge 200 ] && plast=$((($(now_ns) - t1) / 10000000))
count after-pods
echo "pods: $P cycles; per cycle: first 100 $((pfirst / 10)).$((pfirst % 10)) ms, last 100 $((plast / 10)).$((plast % 10)) ms; last pause's fds: $pauseFds"
