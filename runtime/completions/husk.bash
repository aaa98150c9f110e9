# bash completion for husk                                  -*- shell-script -*-
#
# Keep this file in step with `husk --help` and `husk COMMAND --help`:
# tests/docs/check_cli_docs.sh fails when a command or a long option that
# --help lists is missing here (or from _husk, husk.fish or the man pages).
#
# Install as /usr/share/bash-completion/completions/husk, or source it.
# It needs nothing from the bash-completion package, but uses its file and
# command completion when that is loaded.

_husk_commands='create start run delete exec pause resume update events pod
network state list ls kill ps spec features check help'
_husk_pod_commands='create ls list inspect stop restart rm'
_husk_network_commands='ls list inspect create rm remove'
_husk_signals='HUP INT QUIT ILL TRAP ABRT IOT BUS FPE KILL USR1 SEGV USR2 PIPE
ALRM TERM STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH
IO POLL PWR SYS'
_husk_capabilities='CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID
SETUID SETPCAP LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW
IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN
SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE
AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND
AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE'

# _husk_options KEY: set `flags` (options without a value) and `args`
# (options that take one) of the command KEY: "" for the global options,
# "create", ..., "pod create", "network rm" (aliases already resolved).
_husk_options()
{
    flags='-h --help' args=''
    case $1 in
    '') flags+=' -v --version --debug --systemd-cgroup'
        args='--root --log --log-format --rootless --criu' ;;
    create) flags+=' --no-pivot --no-new-keyring'
        args='-b --bundle --pid-file --console-socket --preserve-fds --pod' ;;
    run) flags+=' -d --detach --keep --no-pivot --no-new-keyring'
        args='-b --bundle --pid-file --console-socket --preserve-fds --pod' ;;
    delete) flags+=' -f --force' ;;
    exec) flags+=' -t --tty -d --detach --no-new-privs --ignore-paused'
        args='-p --process --console-socket --pid-file --cwd -e --env -u --user
              -g --additional-gids -c --cap --apparmor --process-label
              --preserve-fds --cgroup --timeout' ;;
    update) args='-r --resources --memory --memory-swap --memory-reservation
              --kernel-memory --cpu-share --cpu-shares --cpu-quota --cpu-period
              --cpu-rt-period --cpu-rt-runtime --cpuset-cpus --cpuset-mems
              --pids-limit --blkio-weight --l3-cache-schema --mem-bw-schema' ;;
    events) flags+=' --stats' args='--interval' ;;
    list) flags+=' -q --quiet' args='-f --format' ;;
    kill) flags+=' -a --all' ;;
    ps | check) args='-f --format' ;;
    spec) flags+=' --rootless' args='-b --bundle --seccomp --landlock' ;;
    'pod create') flags+=' --share-pid'
        args='--network --ip -p --publish --dns --hostname' ;;
    'pod ls' | 'network ls') args='-f --format' ;;
    'pod stop' | 'pod restart') args='-t --timeout' ;;
    'pod rm') flags+=' -f --force' ;;
    'network create') flags+=' --no-masquerade'
        args='--subnet --gateway --range --ipv6-subnet --ipv6-gateway --bridge
              --mtu --dns' ;;
    esac
}

# _husk_takes_arg CMD WORD: whether WORD is an option of CMD (or a global
# option, which husk also accepts after the command) that takes a value.
_husk_takes_arg()
{
    local flags args a
    for a in "$1" ''; do
        _husk_options "$a"
        [[ " ${args//$'\n'/ } " == *" $2 "* ]] && return 0
    done
    return 1
}

# Join the words that bash split at '=' or ':' (COMP_WORDBREAKS) back into
# the words of the command line: sets words, cword and wraw (the index in
# COMP_WORDS where each word starts).
_husk_split_words()
{
    local rest=$COMP_LINE tok trimmed i gap
    words=() wraw=() cword=0
    for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
        tok=${COMP_WORDS[i]}
        trimmed=${rest#"${rest%%[![:space:]]*}"}
        gap=$((${#trimmed} != ${#rest}))
        if [[ $trimmed != "$tok"* ]]; then
            # COMP_LINE does not match (set by hand?): take the words as they are
            words=("${COMP_WORDS[@]}") wraw=() cword=$COMP_CWORD
            for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do wraw+=("$i"); done
            return
        fi
        rest=${trimmed:${#tok}}
        if ((i > 0 && !gap)); then
            words[${#words[@]} - 1]+=$tok
        else
            words+=("$tok") wraw+=("$i")
        fi
        ((i == COMP_CWORD)) && cword=$((${#words[@]} - 1))
    done
}

# _husk_reply PREFIX VALUE CANDIDATE...: reply with the candidates that
# start with VALUE; PREFIX (such as "--format=") is the part of the word
# before the value. Whatever readline already took as a separate word (up
# to the last '=' or ':') is cut off again.
_husk_reply()
{
    local pre=$1 val=$2 full b cut c
    shift 2
    full=$pre$val
    b=''
    [[ $COMP_WORDBREAKS == *=* ]] && b+='='
    [[ $COMP_WORDBREAKS == *:* ]] && b+=':'
    cut=''
    [[ -n $b && $full == *[$b]* ]] && cut=${full%"${full##*[$b]}"}
    COMPREPLY=()
    for c in "$@"; do
        c=$pre$c
        [[ $c == "$full"* ]] && COMPREPLY+=("${c#"$cut"}")
    done
}

# _husk_files PREFIX VALUE [-d]: files (directories with -d).
_husk_files()
{
    local pre=$1 cur=$2 IFS=$'\n'
    compopt -o filenames 2>/dev/null
    if [[ -z $pre ]] && declare -F _filedir >/dev/null; then
        _filedir ${3:+-d}
        return
    fi
    if [[ $3 == -d ]]; then
        _husk_reply "$pre" "$cur" $(compgen -d -- "$cur")
    else
        _husk_reply "$pre" "$cur" $(compgen -f -- "$cur")
    fi
}

# _husk_query WHAT: the names husk knows under the --root of the command
# line: container ids, pod names or network names.
_husk_query()
{
    local bin=${words[0]}
    [[ $bin == '~/'* ]] && bin=$HOME/${bin#'~/'}
    local -a g=()
    [[ -n $root ]] && g=(--root "$root")
    case $1 in
    containers) "$bin" "${g[@]}" list -q 2>/dev/null ;;
    pods) "$bin" "${g[@]}" pod ls 2>/dev/null | awk 'NR > 1 { print $1 }' ;;
    networks) "$bin" "${g[@]}" network ls 2>/dev/null | awk 'NR > 1 { print $1 }' ;;
    esac
}

# _husk_value CMD OPTION PREFIX VALUE: complete the value of an option.
_husk_value()
{
    local cmd=$1 opt=$2 pre=$3 cur=$4
    case $opt in
    --root | -b | --bundle) _husk_files "$pre" "$cur" -d ;;
    --log | --pid-file | --console-socket | -p | --process | -r | --resources)
        if [[ $cmd == 'pod create' ]]; then
            return # -p is --publish there
        fi
        _husk_files "$pre" "$cur" ;;
    --log-format) _husk_reply "$pre" "$cur" text json ;;
    --rootless) _husk_reply "$pre" "$cur" true false auto ;;
    -f | --format)
        if [[ $cmd == check ]]; then
            _husk_reply "$pre" "$cur" text json
        else
            _husk_reply "$pre" "$cur" table json
        fi ;;
    --seccomp) _husk_reply "$pre" "$cur" default strict audit unconfined ;;
    --landlock) _husk_reply "$pre" "$cur" server desktop ;;
    --pod) _husk_reply "$pre" "$cur" $(_husk_query pods) ;;
    --network)
        local n nets=(bridge host none)
        for n in $(_husk_query networks); do nets+=("bridge:$n"); done
        _husk_reply "$pre" "$cur" "${nets[@]}" ;;
    -c | --cap)
        # husk takes a capability with or without CAP_
        local c caps=()
        for c in $_husk_capabilities; do
            [[ $cur == CAP_* ]] && c=CAP_$c
            caps+=("$c")
        done
        _husk_reply "$pre" "$cur" "${caps[@]}" ;;
    esac
}

_husk()
{
    local words wraw cword
    COMPREPLY=()
    _husk_split_words
    local cur=${words[cword]} cmd='' root='' opt='' w i npos=0 dashdash=0

    # Walk the words before the cursor: the command (and pod or network
    # subcommand), --root, and how many positionals are given.
    for ((i = 1; i < cword; i++)); do
        w=${words[i]}
        if ((dashdash)) || [[ $w != -?* ]]; then
            if [[ -z $cmd ]]; then
                cmd=$w
                [[ $cmd == ls ]] && cmd=list
            elif [[ ($cmd == pod || $cmd == network) && $npos == 0 ]]; then
                case $w in
                list) w=ls ;;
                remove) w=rm ;;
                esac
                cmd="$cmd $w"
            else
                ((npos++))
                if [[ $cmd == exec ]] && ((npos == 2)); then
                    # the rest is the command run in the container
                    local off=${wraw[i]}
                    if declare -F _comp_command_offset >/dev/null; then
                        _comp_command_offset "$off"
                    elif declare -F _command_offset >/dev/null; then
                        _command_offset "$off"
                    fi
                    return 0
                fi
            fi
            continue
        fi
        if [[ $w == -- ]]; then
            dashdash=1
            continue
        fi
        case $w in
        --root=*) root=${words[i]#--root=} ;;
        --root) root=${words[i + 1]} ;;
        esac
        if [[ $w != *=* ]] && _husk_takes_arg "$cmd" "$w"; then
            ((i + 1 == cword)) && opt=$w
            ((i++))
        fi
    done
    root=${root#[\"\']} root=${root%[\"\']}
    [[ $root == '~/'* ]] && root=$HOME/${root#'~/'}

    # The value of an option: "--opt value" or "--opt=value".
    if [[ -n $opt ]]; then
        _husk_value "$cmd" "$opt" '' "$cur"
        return 0
    fi
    if ((!dashdash)) && [[ $cur == --*=* ]] && _husk_takes_arg "$cmd" "${cur%%=*}"; then
        _husk_value "$cmd" "${cur%%=*}" "${cur%%=*}=" "${cur#*=}"
        return 0
    fi

    local flags args
    if ((!dashdash)) && [[ $cur == -* ]]; then
        _husk_options "$cmd"
        _husk_reply '' "$cur" $flags $args
        return 0
    fi

    case $cmd,$npos in
    ,*) _husk_reply '' "$cur" $_husk_commands ;;
    pod,0) _husk_reply '' "$cur" $_husk_pod_commands ;;
    network,0) _husk_reply '' "$cur" $_husk_network_commands ;;
    start,0 | delete,0 | exec,0 | pause,0 | resume,0 | update,0 | events,0 | \
        state,0 | kill,0 | ps,0 | 'pod restart,1')
        _husk_reply '' "$cur" $(_husk_query containers) ;;
    kill,1)
        # a signal name with or without SIG (or a number, not completed)
        local s sigs=()
        for s in $_husk_signals; do
            [[ $cur == SIG* ]] && s=SIG$s
            sigs+=("$s")
        done
        _husk_reply '' "$cur" "${sigs[@]}" ;;
    exec,1)
        local IFS=$'\n'
        _husk_reply '' "$cur" $(compgen -c -- "$cur" | sort -u) ;;
    'pod inspect,0' | 'pod stop,0' | 'pod restart,0' | 'pod rm,0')
        _husk_reply '' "$cur" $(_husk_query pods) ;;
    'network inspect,0' | 'network rm,0')
        _husk_reply '' "$cur" $(_husk_query networks) ;;
    esac
    return 0
}

complete -F _husk husk
