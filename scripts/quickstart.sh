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
make_demo_bundle "$DEMO" "$HUSK"

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
