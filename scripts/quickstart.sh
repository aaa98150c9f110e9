#!/usr/bin/env bash
# README quick start, command 1: install what is missing, build husk, and run a demo container
# from a bundle made from busybox-static and husk's own default config (`husk spec`).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root
install_missing $BUILD_PACKAGES
build_husk runtime/husk

HUSK=$BUILD_DIR/runtime/husk
DEMO=$HUSK_SRC/demo
ROOT=/run/husk
ID=husk-demo-$$

echo "==> making a busybox bundle in $DEMO"
rm -rf "$DEMO"
mkdir -p "$DEMO/rootfs/bin" "$DEMO/rootfs/etc"
cp /bin/busybox "$DEMO/rootfs/bin/busybox"
for applet in $("$DEMO/rootfs/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$DEMO/rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$DEMO/rootfs/etc/passwd"
echo 'root:x:0:' > "$DEMO/rootfs/etc/group"
"$HUSK" spec --bundle "$DEMO"
# The default config runs an interactive shell on a terminal; the demo runs a command instead.
sed -i -e 's/"terminal": true/"terminal": false/' \
    -e 's|^\(\t*\)"sh"$|\1"sh", "-c", "echo Hello from a husk container; echo hostname: $(hostname); echo user: $(id); echo pid: $$; ls /"|' \
    "$DEMO/config.json"

cleanup() { "$HUSK" --root "$ROOT" delete --force "$ID" 2>/dev/null || true; }
trap cleanup EXIT
echo "==> husk create $ID"
"$HUSK" --root "$ROOT" create --bundle "$DEMO" "$ID"
"$HUSK" --root "$ROOT" state "$ID"
echo "==> husk start $ID"
"$HUSK" --root "$ROOT" start "$ID"
for _ in $(seq 50); do
    "$HUSK" --root "$ROOT" state "$ID" | grep -q '"status": "stopped"' && break
    sleep 0.1
done
"$HUSK" --root "$ROOT" state "$ID"
"$HUSK" --root "$ROOT" delete "$ID"
trap - EXIT
echo "==> done: husk is at $HUSK (try: $HUSK run --bundle $DEMO demo)"
