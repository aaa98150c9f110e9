# Shared by quickstart.sh and test.sh: install what is missing, build.
# shellcheck shell=bash

HUSK_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$HUSK_SRC/build}

# Debian packages the build needs, and those the tests drive husk with.
BUILD_PACKAGES="g++ meson ninja-build pkg-config git nlohmann-json3-dev libseccomp-dev libmnl-dev libnftnl-dev libcli11-dev libboost-test-dev libsystemd-dev busybox-static"
TEST_PACKAGES="iproute2 util-linux clang-format dbus-daemon runc podman containerd nftables"

need_root() {
    if [ "$(id -u)" != 0 ]; then
        echo "husk: this script must run as root (containers need it)" >&2
        exit 1
    fi
}

install_missing() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "==> installing: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

# build_husk [TARGET...]: configure if needed, then build the targets (default: everything).
build_husk() {
    if [ ! -f "$BUILD_DIR/build.ninja" ]; then
        meson setup "$BUILD_DIR" "$HUSK_SRC" >/dev/null
    fi
    echo "==> building ${*:-everything} in $BUILD_DIR"
    ninja -C "$BUILD_DIR" "$@" >/dev/null
}
