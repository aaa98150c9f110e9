#!/bin/bash
# check_cli_docs.sh HUSK_BINARY SRC_DIR
#
# Checks that the man pages and the shell completions keep up with husk's
# command line. It reads `HUSK_BINARY --help` and the --help of every command
# and subcommand (pod and network ones too; an alias such as "list, ls" is
# one command with both names), then for each command checks that
#   - its man page exists in SRC_DIR/man: husk-CMD.8 (resume: husk-pause.8;
#     pod SUB: husk-pod.8; network SUB: husk-network.8; the global options:
#     husk.8), and names the command and every long option of it;
#   - SRC_DIR/runtime/completions/husk.bash, _husk and husk.fish name the
#     command and every long option of it.
# --help and --version are checked once, with the global options.
#
# Prints "ok   CMD" or "FAIL CMD: missing ... in FILE; ..." per command, then
# "cli-docs: N passed, N failed". Exit status: 0 when nothing failed, 1 when
# something did, 2 on a usage error or when HUSK_BINARY cannot be run.

set -u
export LC_ALL=C

prog=${0##*/}
if [[ $# -ne 2 ]]; then
    echo "usage: $prog HUSK_BINARY SRC_DIR" >&2
    exit 2
fi
bin=$1 src=${2%/}
if [[ ! -d $src ]]; then
    echo "$prog: $src is not a directory" >&2
    exit 2
fi
if [[ $bin != */* ]]; then
    bin=$(type -P -- "$bin") || { echo "$prog: $1: not found" >&2; exit 2; }
fi

# Bound each run of husk: a hung --help must not hang the check.
limit=()
command -v timeout >/dev/null && limit=(timeout 10)

# husk_help WORD...: the --help text of `husk WORD...`.
husk_help() {
    "${limit[@]}" "$bin" "$@" --help </dev/null 2>&1
}

# parse_help: from a CLI11 --help text on stdin, print "opt --flag" for each
# long option and "cmd NAME[,ALIAS...]" for each subcommand, whatever the
# order of the sections and lines.
parse_help() {
    awk '
        /^[A-Za-z][A-Za-z ]*:[ \t]*$/ { section = $0; sub(/:.*/, "", section); next }
        section ~ /Option|Flag/ && /^ +-/ {
            n = split($1, f, ",")
            for (i = 1; i <= n; i++)
                if (f[i] ~ /^--[A-Za-z0-9]/) print "opt " f[i]
            next
        }
        section ~ /Subcommand/ && /^  [A-Za-z0-9]/ {
            names = substr($0, 3)
            sub(/  .*/, "", names)
            gsub(/[ \t]*,[ \t]*/, ",", names)
            sub(/[ \t]+$/, "", names)
            print "cmd " names
        }'
}

# The text of a file to search: roff with \- made -, font escapes, \& and
# the like removed, and comment lines dropped.
load_man() {
    sed -e '/^[.'\'']\\"/d' -e 's/\\-/-/g' -e 's/\\(hy/-/g' \
        -e 's/\\f\[[^]]*\]//g' -e 's/\\f([A-Za-z0-9][A-Za-z0-9]//g' -e 's/\\f[A-Za-z0-9]//g' \
        -e 's/\\[&%:|^]//g' "$1"
}

# has TEXT WORD [fish]: whether WORD occurs in TEXT as a whole word (not as a
# part of a longer option or name). With "fish", a long option may also be
# written as `-l name` or `--long-option name`.
B='[^A-Za-z0-9_-]'
has() {
    local text=$'\n'$1$'\n' word=$2 re
    re="$B$word$B"
    [[ $text =~ $re ]] && return 0
    if [[ ${3-} == fish && $word == --* ]]; then
        re="$B(-l|--long-option|--long)[[:space:]]+[\"']?${word#--}[\"']?$B"
        [[ $text =~ $re ]] && return 0
    fi
    return 1
}

# Load the completion files once.
completions=(husk.bash _husk husk.fish)
declare -A comp_text comp_ok comp_style=([husk.bash]=bash [_husk]=zsh [husk.fish]=fish)
for c in "${completions[@]}"; do
    f=$src/runtime/completions/$c
    if [[ -r $f ]]; then
        comp_text[$c]=$(<"$f") comp_ok[$c]=1
    else
        comp_text[$c]='' comp_ok[$c]=0
    fi
done
declare -A man_text man_ok

# The man page of a command, relative to SRC_DIR: husk-NAME.8 for one of its
# names, with these exceptions; a subcommand's is its parent's.
declare -A man_alias=([resume]=pause)
man_page() { # PARENT NAME...
    local parent=$1 n
    shift
    if [[ -n $parent ]]; then
        echo "man/husk-${parent%% *}.8"
        return
    fi
    for n in "$@"; do
        n=${man_alias[$n]:-$n}
        [[ -e $src/man/husk-$n.8 ]] && { echo "man/husk-$n.8"; return; }
    done
    echo "man/husk-${man_alias[$1]:-$1}.8"
}

top=$(husk_help) || true
if ! grep -q '^Subcommands:' <<<"$top"; then
    echo "$prog: cannot run $bin --help:" >&2
    head -n 5 <<<"$top" >&2
    exit 2
fi

passed=0 failed=0

# check LABEL PARENT NAMES MAN FLAGS: check one command; NAMES and FLAGS are
# space-separated.
check() {
    local label=$1 parent=$2 names=$3 man=$4 flags=$5 problems=() n miss c
    if [[ -z ${man_ok[$man]+set} ]]; then
        if [[ -r $src/$man ]]; then
            man_text[$man]=$(load_man "$src/$man") man_ok[$man]=1
        else
            man_text[$man]='' man_ok[$man]=0
        fi
    fi
    if ((man_ok[$man])); then
        miss=()
        for n in $names $flags; do
            has "${man_text[$man]}" "$n" || miss+=("$n")
        done
        ((${#miss[@]})) && problems+=("missing ${miss[*]} in $man")
    else
        problems+=("no man page $man")
    fi
    for c in "${completions[@]}"; do
        if ((!comp_ok[$c])); then
            problems+=("no runtime/completions/$c")
            continue
        fi
        miss=()
        for n in $names $flags; do
            has "${comp_text[$c]}" "$n" "${comp_style[$c]}" || miss+=("$n")
        done
        ((${#miss[@]})) && problems+=("missing ${miss[*]} in $c")
    done
    if ((${#problems[@]})); then
        local IFS=';'
        local msg="${problems[*]}"
        echo "FAIL $label: ${msg//;/; }"
        ((failed++))
    else
        echo "ok   $label"
        ((passed++))
    fi
}

# flags_of HELP-TEXT: the long options, less --help and --version.
flags_of() {
    parse_help <<<"$1" | awk '$1 == "opt" && $2 != "--help" && $2 != "--version" { print $2 }' |
        sort -u | tr '\n' ' '
}

# The global options.
check "global options" "" "" man/husk.8 "$(parse_help <<<"$top" | awk '$1 == "opt" { print $2 }' |
    sort -u | tr '\n' ' ')"

# Every command, then the subcommands of pod and network (or any other
# command that has some), breadth first.
queue=()
while read -r kind names; do
    [[ $kind == cmd ]] && queue+=("|$names")
done < <(parse_help <<<"$top")
for ((q = 0; q < ${#queue[@]}; q++)); do
    parent=${queue[q]%%|*} names=${queue[q]#*|}
    names=${names//,/ }
    primary=${names%% *}
    label=${parent:+$parent }$primary
    [[ $names == *' '* ]] && label+=" (${names#* })"
    if ! text=$(husk_help $parent $primary) || [[ -z $text ]]; then
        echo "FAIL $label: cannot run husk ${parent:+$parent }$primary --help"
        ((failed++))
        continue
    fi
    check "$label" "$parent" "$names" "$(man_page "$parent" $names)" "$(flags_of "$text")"
    while read -r kind sub; do
        [[ $kind == cmd ]] && queue+=("${parent:+$parent }$primary|$sub")
    done < <(parse_help <<<"$text")
done

echo "cli-docs: $passed passed, $failed failed"
((failed == 0))
