#!/usr/bin/env bash
# Builds the Debian package from this checkout and checks it as a user would: lintian reports no
# errors; it installs; the installed husk runs the demo container; `man husk-pod` renders; bash
# completes `husk cr<TAB>`; the zsh and fish completions are in place; it purges leaving nothing.
# Prints one line per check and ends with "package: N passed, N failed". Exit 0 when all passed,
# 1 when any failed, 77 when it cannot run here (a husk package is installed already: this
# check would replace it). The .deb is left in $HUSK_DEB_DIR when that is set.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
need_root
install_missing $BUILD_PACKAGES $PACKAGE_PACKAGES

if dpkg-query -W -f='${Status}' husk 2>/dev/null | grep -q 'install ok installed'; then
    echo "skipped: a husk package is installed on this machine, and this check would replace it"
    exit 77
fi

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "    ok   $1"; }
bad() { failed=$((failed + 1)); echo "    FAIL $1"; }

work=$(mktemp -d /tmp/husk-deb-XXXXXX)
installed=no
cleanup() {
    [ "$installed" = no ] || dpkg --purge husk >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

echo "==> programs the package check runs come from listed packages"
if check_commands "$PACKAGE_COMMANDS" "$PACKAGE_PACKAGES"; then ok "package tools"; else bad "package tools"; fi

# A copy of the checkout (with .git, for the commit in --version; without build trees), so the
# build's files and the .deb land outside the source tree.
echo "==> dpkg-buildpackage -us -uc -b -jauto"
mkdir -p "$work/src"
tar -C "$HUSK_SRC" --exclude=./build --exclude=./build-asan --exclude=./demo --exclude='./obj-*' \
    -cf - . | tar -C "$work/src" -xf -
if (cd "$work/src" && dpkg-buildpackage -us -uc -b -jauto) >"$work/build.log" 2>&1; then
    ok "dpkg-buildpackage"
else
    bad "dpkg-buildpackage"
    { grep -E 'error:|FAILED:|^dpkg-buildpackage: error' "$work/build.log" || tail -n 10 "$work/build.log"; } |
        head -n 12 | cut -c1-300 | sed 's/^/      /'
    echo "package: $passed passed, $failed failed"; exit 1
fi
deb=$(ls "$work"/husk_*.deb | head -n 1)
echo "    $(basename "$deb"): $(du -k "$deb" | cut -f1) KiB"
echo "    Depends: $(dpkg-deb -f "$deb" Depends)"
echo "    Recommends: $(dpkg-deb -f "$deb" Recommends)"
missing_deps=""
for lib in libseccomp2 libmnl0 libnftnl11 libstdc++6; do
    dpkg-deb -f "$deb" Depends | grep -q "$lib" || missing_deps+=" $lib"
done
if [ -z "$missing_deps" ]; then ok "Depends names the libraries husk links"; else
    bad "Depends lacks:$missing_deps"
fi
[ -z "${HUSK_DEB_DIR:-}" ] || cp "$deb" "$HUSK_DEB_DIR/"

echo "==> lintian"
lintian --no-tag-display-limit "$deb" >"$work/lintian.log" 2>&1
errors=$(grep -c '^E:' "$work/lintian.log")
if [ "$errors" = 0 ]; then ok "lintian: no errors ($(grep -c '^W:' "$work/lintian.log") warnings)"; else
    bad "lintian: $errors errors"; grep '^E:' "$work/lintian.log" | head -n 20 | sed 's/^/      /'
fi

echo "==> install"
if dpkg -i "$deb" >"$work/install.log" 2>&1; then installed=yes; ok "dpkg -i"; else
    bad "dpkg -i"; tail -n 10 "$work/install.log" | sed 's/^/      /'
    echo "package: $passed passed, $failed failed"; exit 1
fi
files=$(dpkg -L husk)
for f in /usr/sbin/husk /usr/sbin/husk-cni /usr/share/man/man8/husk.8.gz /usr/share/man/man8/husk-pod.8.gz \
    /usr/share/bash-completion/completions/husk /usr/share/zsh/vendor-completions/_husk \
    /usr/share/fish/vendor_completions.d/husk.fish; do
    if grep -qxF "$f" <<<"$files" && [ -e "$f" ]; then ok "installs $f"; else bad "installs $f"; fi
done
pages=$(grep -c '^/usr/share/man/man8/husk.*\.8\.gz$' <<<"$files")
want=$(ls "$HUSK_SRC"/man/*.8 | wc -l)
if [ "$pages" = "$want" ]; then ok "all $want man pages"; else bad "man pages: $pages installed, $want in man/"; fi
if readelf -S /usr/sbin/husk 2>/dev/null | grep -qE '\.(symtab|debug_info)'; then
    bad "/usr/sbin/husk is stripped"
else
    ok "/usr/sbin/husk is stripped ($(du -k /usr/sbin/husk | cut -f1) KiB)"
fi

echo "==> the installed husk runs a container"
make_demo_bundle "$work/bundle" /usr/sbin/husk >/dev/null
id=husk-test-deb-$$
out=$(timeout 60 /usr/sbin/husk --root "$work/state" run --bundle "$work/bundle" "$id" 2>&1)
rc=$?
/usr/sbin/husk --root "$work/state" delete --force "$id" >/dev/null 2>&1
if [ "$rc" = 0 ] && grep -q 'Hello from a husk container' <<<"$out"; then ok "husk run of the demo bundle"; else
    bad "husk run of the demo bundle (exit $rc)"; head -n 10 <<<"$out" | sed 's/^/      /'
fi

echo "==> man and completions"
if MANPAGER=cat MANWIDTH=80 man husk-pod 2>/dev/null | grep -q 'husk-pod'; then ok "man husk-pod renders"; else
    bad "man husk-pod renders"
fi
completed=$(bash -c '. /usr/share/bash-completion/bash_completion 2>/dev/null
    . /usr/share/bash-completion/completions/husk
    COMP_WORDS=(husk cr); COMP_CWORD=1; COMP_LINE="husk cr"; COMP_POINT=7
    _husk husk cr husk; printf "%s\n" "${COMPREPLY[@]}"')
if [ "$completed" = create ]; then ok "bash completes husk cr<TAB> to create"; else
    bad "bash completes husk cr<TAB> to create (got: $(echo $completed))"
fi

echo "==> purge"
if dpkg --purge husk >"$work/purge.log" 2>&1; then
    installed=no
    left=""
    for f in $files; do [ -f "$f" ] && left+=" $f"; done
    if [ -z "$left" ]; then ok "purged, no file left"; else bad "purge left:$left"; fi
else
    bad "dpkg --purge"; tail -n 10 "$work/purge.log" | sed 's/^/      /'
fi

echo "package: $passed passed, $failed failed"
[ "$failed" = 0 ]
