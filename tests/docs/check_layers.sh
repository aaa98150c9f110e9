#!/bin/bash
# check_layers.sh SRC_DIR
#
# Checks that husk's include graph only runs downwards: a file may include headers of its own
# folder and of folders in lower layers, never of a folder at its own layer or above. The
# layers, lowest first (CONTRIBUTING.md explains them):
#
#   1 common
#   2 spec, netlink
#   3 libcontainer/namespaces, libcontainer/security, libcontainer/cgroups
#   4 libcontainer/rootfs
#   5 libcontainer/process
#   6 libcontainer/network
#   7 libcontainer/introspect
#   8 libcontainer/container
#   9 libcontainer/pod
#  10 runtime
#
# tests/ and bench/ may include anything. A file or header outside these folders is an error,
# so a new folder has to be given its place here.
#
# Prints "FAIL FILE: ..." per violation, then "layers: N passed, N failed" counting files (and
# the includes read). Exit status: 0 clean, 1 violations, 2 usage.

set -u
export LC_ALL=C
prog=${0##*/}
if [[ $# -ne 1 || ! -d $1 ]]; then
    echo "usage: $prog SRC_DIR" >&2
    exit 2
fi
cd "$1" || exit 2

# The folder ("unit") of a path and its layer.
unit_of() {
    case $1 in
    libcontainer/*/*) local rest=${1#libcontainer/}; echo "libcontainer/${rest%%/*}" ;;
    libcontainer/*) echo "libcontainer" ;;
    */*) echo "${1%%/*}" ;;
    *) echo "" ;;
    esac
}
layer_of() {
    case $1 in
    common) echo 1 ;;
    spec | netlink) echo 2 ;;
    libcontainer/namespaces | libcontainer/security | libcontainer/cgroups) echo 3 ;;
    libcontainer/rootfs) echo 4 ;;
    libcontainer/process) echo 5 ;;
    libcontainer/network) echo 6 ;;
    libcontainer/introspect) echo 7 ;;
    libcontainer/container) echo 8 ;;
    libcontainer/pod) echo 9 ;;
    runtime) echo 10 ;;
    *) echo "" ;;
    esac
}

files=0 includes=0 bad=0 badfiles=0
while IFS= read -r file; do
    unit=$(unit_of "$file")
    case $unit in tests | bench) continue ;; esac
    files=$((files + 1))
    mine=$(layer_of "$unit")
    if [[ -z $mine ]]; then
        echo "FAIL $file: folder \"$unit\" has no layer in $prog"
        bad=$((bad + 1)) badfiles=$((badfiles + 1))
        continue
    fi
    before=$bad
    while IFS= read -r header; do
        includes=$((includes + 1))
        their_unit=$(unit_of "$header")
        [[ $their_unit == "$unit" ]] && continue
        # Generated headers (version.h, pause_image.h) sit in the build tree beside their
        # folder: a bare name is the file's own folder.
        [[ $header != */* ]] && continue
        theirs=$(layer_of "$their_unit")
        if [[ -z $theirs ]]; then
            echo "FAIL $file: includes \"$header\", whose folder has no layer in $prog"
            bad=$((bad + 1))
        elif ((theirs >= mine)); then
            echo "FAIL $file: includes \"$header\" ($their_unit, layer $theirs) from $unit (layer $mine)"
            bad=$((bad + 1))
        fi
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
    ((bad > before)) && badfiles=$((badfiles + 1))
done < <(git ls-files '*.cpp' '*.h' | grep -v '/pause/')

echo "($includes includes read, $bad against the layers)"
echo "layers: $((files - badfiles)) passed, $badfiles failed"
((bad == 0))
