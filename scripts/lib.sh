# Shared by quickstart.sh, test.sh and package.sh: install what is missing, build.
# shellcheck shell=bash

HUSK_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$HUSK_SRC/build}

# Debian packages the build needs (python3 embeds the pod pause image; libsystemd-dev is optional
# for the build but gives --systemd-cgroup; Boost.Test builds the tests) and busybox-static for
# the demo bundle.
BUILD_PACKAGES="g++ meson ninja-build pkgconf python3-minimal nlohmann-json3-dev libseccomp-dev libmnl-dev libnftnl-dev libcli11-dev libboost-test-dev libsystemd-dev busybox-static"
# What the test run uses besides: the host tools the tests call, and the engines
# driven end to end. podman's helpers are separate packages that --no-install-recommends leaves
# out: netavark (networks, and even `podman import`), aardvark-dns (its DNS), catatonit (--init
# and pods' infra image). clang-19 and its libFuzzer runtime build tests/fuzz: Debian 12's
# default clang 14 cannot compile std::expected, which husk's Result is.
TEST_PACKAGES="git coreutils tar util-linux mount bsdutils iproute2 nftables clang-format clang-19 libclang-rt-19-dev dbus-daemon runc podman conmon netavark aardvark-dns catatonit containerd"
# bench/: the runtimes husk is measured against, bc for the ratios, valgrind for bench/profile,
# GNU time for bench/run's peak RSS.
BENCH_PACKAGES="crun runc busybox-static iproute2 util-linux python3-minimal bc valgrind time"
# Building and checking the Debian package.
PACKAGE_PACKAGES="debhelper dpkg-dev fakeroot lintian man-db bash-completion binutils coreutils tar"

# Every program a test, the quick start or the package check runs on the host, by the name it is
# called by (or its path where it is not on PATH). check_commands resolves each to the package
# that owns it, so a test that needs something no listed package installs fails here, by name.
TEST_COMMANDS="g++ clang++-19 meson ninja pkg-config /usr/bin/python3 git busybox cp sha256sum tar unshare nsenter mount umount script ip nft clang-format dbus-daemon runc podman conmon /usr/lib/podman/netavark /usr/lib/podman/aardvark-dns catatonit containerd containerd-shim-runc-v2 ctr"
PACKAGE_COMMANDS="dpkg-buildpackage dh fakeroot lintian man readelf timeout tar"

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

# owning_package PATH: the Debian package that installed PATH ("" if none). dpkg records some
# files under /bin and others under /usr/bin (merged /usr), so both spellings are asked.
owning_package() {
    local path=$1 real c pkg
    real=$(readlink -f "$path")
    for c in "$path" "$real" "${path#/usr}" "${real#/usr}" "/usr$path" "/usr$real"; do
        pkg=$(dpkg -S "$c" 2>/dev/null | grep -v '^diversion' | head -n 1 | cut -d: -f1)
        if [ -n "$pkg" ]; then echo "$pkg"; return; fi
    done
}

# check_commands "COMMANDS" "PACKAGES": each command exists and comes from one of PACKAGES.
# Prints one line per problem and returns non-zero if there was any.
check_commands() {
    local commands=$1 packages=" $2 " bad=0 cmd path pkg
    for cmd in $commands; do
        if [ "${cmd#/}" != "$cmd" ]; then path=$cmd; [ -x "$path" ] || path=""; else path=$(command -v "$cmd" || true); fi
        if [ -z "$path" ]; then
            echo "    $cmd: not found (no package in scripts/lib.sh provides it)"; bad=1; continue
        fi
        pkg=$(owning_package "$path")
        if [ -z "$pkg" ]; then
            echo "    $cmd: $path belongs to no Debian package (installed by hand?)"; bad=1
        elif [ "${packages#* "$pkg" }" = "$packages" ]; then
            echo "    $cmd: $path comes from package $pkg, which scripts/lib.sh does not list"; bad=1
        fi
    done
    return $bad
}

# build_husk [TARGET...]: configure if needed (the release build the README describes), then
# build the targets (default: everything).
build_husk() {
    if [ ! -f "$BUILD_DIR/build.ninja" ]; then
        meson setup "$BUILD_DIR" "$HUSK_SRC" --buildtype=release >/dev/null
    fi
    echo "==> building ${*:-everything} in $BUILD_DIR"
    ninja -C "$BUILD_DIR" "$@" >/dev/null
}

# make_demo_bundle DIR HUSK: a busybox-static rootfs and a config from `husk spec`, edited to
# run a short command without a terminal (the quick start's and the package check's demo).
make_demo_bundle() {
    local dir=$1 husk=$2 applet
    rm -rf "$dir"
    mkdir -p "$dir/rootfs/bin" "$dir/rootfs/etc"
    cp /bin/busybox "$dir/rootfs/bin/busybox"
    for applet in $("$dir/rootfs/bin/busybox" --list); do
        [ "$applet" = busybox ] || ln -s busybox "$dir/rootfs/bin/$applet"
    done
    echo 'root:x:0:0:root:/root:/bin/sh' > "$dir/rootfs/etc/passwd"
    echo 'root:x:0:' > "$dir/rootfs/etc/group"
    "$husk" spec --bundle "$dir"
    # The default config runs an interactive shell on a terminal; the demo runs a command.
    sed -i -e 's/"terminal": true/"terminal": false/' \
        -e 's|^\(\t*\)"sh"$|\1"sh", "-c", "echo Hello from a husk container; echo hostname: $(hostname); echo user: $(id); echo pid: $$; ls /"|' \
        "$dir/config.json"
}
