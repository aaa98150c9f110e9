# fish completion for husk: install as husk.fish in a directory of
# $fish_complete_path (/usr/share/fish/vendor_completions.d on Debian).
#
# Keep this file in step with `husk --help` and `husk COMMAND --help`:
# tests/docs/check_cli_docs.sh fails when a command or a long option that
# --help lists is missing here (or from husk.bash, _husk or the man pages).

# Whether option $opt of command $cmd ("create", "pod ls", ...; global
# options are accepted after the command too) takes a value.
function __husk_takes_arg --argument-names cmd opt
    set -l args --root --log --log-format
    switch "$cmd"
        case create run
            set -a args -b --bundle --pid-file --console-socket --preserve-fds --pod
        case exec
            set -a args -p --process --console-socket --pid-file --cwd -e --env -u --user \
                -g --additional-gids -c --cap --apparmor --process-label --preserve-fds \
                --cgroup --timeout
        case update
            set -a args -r --resources --memory --memory-swap --memory-reservation \
                --kernel-memory --cpu-share --cpu-shares --cpu-quota --cpu-period --cpu-rt-period \
                --cpu-rt-runtime --cpuset-cpus --cpuset-mems --pids-limit --blkio-weight \
                --l3-cache-schema --mem-bw-schema
        case events
            set -a args --interval
        case list ps check 'pod ls' 'network ls'
            set -a args -f --format
        case spec
            set -a args -b --bundle --seccomp --landlock
        case 'pod create'
            set -a args --network --ip -p --publish --dns --hostname
        case 'pod stop' 'pod restart'
            set -a args -t --timeout
        case 'network create'
            set -a args --subnet --gateway --range --ipv6-subnet --ipv6-gateway --bridge \
                --mtu --dns
    end
    contains -- $opt $args
end

# Print the command line's command ("-" before one; aliases resolved, so
# "list", "pod ls", "network rm") and how many positional arguments it
# has before the cursor.
function __husk_parse
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l cmd -
    set -l npos 0
    set -l skip 0
    set -l dashdash 0
    for t in $tokens
        if test $skip = 1
            set skip 0
            continue
        end
        # exec: everything after the container and the command is the command's
        if test $dashdash = 0; and not test "$cmd" = exec -a $npos -ge 2; and string match -q -- '-?*' $t
            if test "$t" = --
                set dashdash 1
            else if not string match -q -- '*=*' $t; and __husk_takes_arg $cmd $t
                set skip 1
            end
            continue
        end
        if test "$cmd" = -
            set cmd $t
            test $cmd = ls; and set cmd list
        else if contains -- $cmd pod network
            switch $t
                case list
                    set t ls
                case remove
                    set t rm
            end
            set cmd "$cmd $t"
        else
            set npos (math $npos + 1)
        end
    end
    printf '%s\n' $cmd $npos
end

# True when the command is one of the arguments ("-": no command yet).
function __husk_is
    set -l s (__husk_parse)
    contains -- $s[1] $argv
end

# __husk_arg N CMD...: true when the word at the cursor is positional
# argument N (from 0) of one of the commands.
function __husk_arg --argument-names n
    set -l s (__husk_parse)
    test $s[2] -eq $n; and contains -- $s[1] $argv[2..-1]
end

# Ask husk, under the --root given on the command line.
function __husk_query
    set -l tokens (commandline -opc)
    set -l root
    for i in (seq 2 (count $tokens))
        switch $tokens[$i]
            case --root
                set root --root $tokens[(math $i + 1)]
            case '--root=*'
                set root $tokens[$i]
        end
    end
    command $tokens[1] $root $argv 2>/dev/null
end

function __husk_containers
    __husk_query list -q
end

function __husk_pods
    __husk_query pod ls | tail -n +2 | string replace -r '\s.*' ''
end

function __husk_networks
    __husk_query network ls | tail -n +2 | string replace -r '\s.*' ''
end

function __husk_pod_networks
    printf '%s\n' bridge host none
    for n in (__husk_networks)
        printf 'bridge:%s\n' $n
    end
end

function __husk_signals
    set -l sigs HUP INT QUIT ILL TRAP ABRT IOT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM \
        TERM STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO \
        POLL PWR SYS
    printf '%s\n' $sigs SIG$sigs
end

function __husk_caps
    set -l caps CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID \
        SETPCAP LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK \
        IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT \
        SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL \
        SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON \
        BPF CHECKPOINT_RESTORE
    printf '%s\n' $caps CAP_$caps
end

complete -c husk -f
complete -c husk -s h -l help -d 'Print this help message and exit'

# Global options
complete -c husk -n '__husk_is -' -s v -l version -d 'Display program version information and exit'
complete -c husk -n '__husk_is -' -l root -x -a '(__fish_complete_directories)' -d 'Root directory for storage of container state'
complete -c husk -n '__husk_is -' -l log -r -F -d 'Log file path (default: stderr)'
complete -c husk -n '__husk_is -' -l log-format -x -a 'text json' -d 'Log format: text or json'
complete -c husk -n '__husk_is -' -l debug -d 'Enable debug logging'
complete -c husk -n '__husk_is -' -l systemd-cgroup -d "Make the container's cgroup a transient systemd unit (create/run)"
complete -c husk -n '__husk_is -' -l rootless -x -a 'true false auto' -d 'As runc: cgroups husk may not make are a warning'
complete -c husk -n '__husk_is -' -l criu -r -F -d 'Path to criu (checkpoint/restore, not in husk yet)'

# Commands
complete -c husk -n '__husk_is -' -a create -d 'Create a container (its init waits for start)'
complete -c husk -n '__husk_is -' -a start -d 'Run the user process of a created container'
complete -c husk -n '__husk_is -' -a run -d 'Create and start a container, wait for it, delete it'
complete -c husk -n '__husk_is -' -a delete -d 'Delete a stopped container and its resources'
complete -c husk -n '__husk_is -' -a exec -d 'Run a new process in a running container'
complete -c husk -n '__husk_is -' -a pause -d 'Freeze every process of a container'
complete -c husk -n '__husk_is -' -a resume -d 'Thaw a paused container'
complete -c husk -n '__husk_is -' -a update -d 'Change the resource limits of a container'
complete -c husk -n '__husk_is -' -a events -d 'Print resource usage and OOM events as JSON'
complete -c husk -n '__husk_is -' -a pod -d "Pods sharing a pause process's network, IPC and UTS namespaces"
complete -c husk -n '__husk_is -' -a network -d 'Manage the bridge networks pods use'
complete -c husk -n '__husk_is -' -a state -d "Print a container's state as JSON"
complete -c husk -n '__husk_is -' -a 'list ls' -d 'List the containers under --root'
complete -c husk -n '__husk_is -' -a kill -d "Send a signal to a container's init"
complete -c husk -n '__husk_is -' -a ps -d "List the processes in a container's cgroup"
complete -c husk -n '__husk_is -' -a spec -d 'Write a default config.json into the bundle'
complete -c husk -n '__husk_is -' -a features -d 'Print the features this build implements as JSON'
complete -c husk -n '__husk_is -' -a check -d 'Report what this host offers husk, feature by feature'
complete -c husk -n '__husk_is -' -a help -d 'Show the help of husk or of a command'

# Container ids, signals, the command of exec
complete -c husk -n '__husk_arg 0 start delete exec pause resume update events state kill ps' -a '(__husk_containers)' -d Container
complete -c husk -n '__husk_arg 1 kill' -a '(__husk_signals)' -d Signal
complete -c husk -n '__husk_arg 1 exec' -a '(__fish_complete_command)'
complete -c husk -n '__husk_is exec; and not __husk_arg 0 exec; and not __husk_arg 1 exec' -F

# create, run
complete -c husk -n '__husk_is create run' -s b -l bundle -x -a '(__fish_complete_directories)' -d 'Path to the bundle directory (default: current directory)'
complete -c husk -n '__husk_is create run' -l pid-file -r -F -d "File to write the init's pid to"
complete -c husk -n '__husk_is create run' -l console-socket -r -F -d 'AF_UNIX socket that receives the pty master when process.terminal is true'
complete -c husk -n '__husk_is create run' -l preserve-fds -x -d 'Pass N additional file descriptors (3..3+N-1) to the container'
complete -c husk -n '__husk_is create run' -l no-pivot -d 'Do not use pivot_root (for a rootfs on ramfs; chroot after MS_MOVE)'
complete -c husk -n '__husk_is create run' -l no-new-keyring -d 'Do not create a new session keyring for the container'
complete -c husk -n '__husk_is create run' -l pod -x -a '(__husk_pods)' -d 'Join the network, IPC and UTS namespaces of this husk pod'
complete -c husk -n '__husk_is run' -s d -l detach -d 'Return after start instead of waiting'
complete -c husk -n '__husk_is run' -l keep -d 'Do not delete the container after it exits'

# delete
complete -c husk -n '__husk_is delete' -s f -l force -d 'Kill the container first if it is still running'

# exec
complete -c husk -n '__husk_is exec' -s p -l process -r -F -d "A process.json (the runtime-spec's process object) instead of the command"
complete -c husk -n '__husk_is exec' -s t -l tty -d 'Allocate a pseudo-terminal'
complete -c husk -n '__husk_is exec' -l console-socket -r -F -d 'AF_UNIX socket that receives the pty master (with --tty)'
complete -c husk -n '__husk_is exec' -s d -l detach -d 'Return once the process runs'
complete -c husk -n '__husk_is exec' -l pid-file -r -F -d "File to write the process's pid to"
complete -c husk -n '__husk_is exec' -l cwd -x -d 'Working directory inside the container'
complete -c husk -n '__husk_is exec' -s e -l env -x -d 'KEY=VALUE to set (repeatable)'
complete -c husk -n '__husk_is exec' -s u -l user -x -d 'UID[:GID] to run as'
complete -c husk -n '__husk_is exec' -s g -l additional-gids -x -d 'Additional group (repeatable)'
complete -c husk -n '__husk_is exec' -s c -l cap -x -a '(__husk_caps)' -d 'Add a capability (repeatable)'
complete -c husk -n '__husk_is exec' -l no-new-privs -d 'Set no_new_privs'
complete -c husk -n '__husk_is exec' -l apparmor -x -d 'AppArmor profile for the process'
complete -c husk -n '__husk_is exec' -l process-label -x -d 'SELinux label for the process'
complete -c husk -n '__husk_is exec' -l preserve-fds -x -d 'Pass N additional file descriptors (3..3+N-1) to the process'
complete -c husk -n '__husk_is exec' -l cgroup -x -d "A sub-cgroup of the container's to run the process in"
complete -c husk -n '__husk_is exec' -l ignore-paused -d 'Exec even if the container is paused'
complete -c husk -n '__husk_is exec' -l timeout -x -d 'Kill the process after SECONDS and exit 124'

# update
complete -c husk -n '__husk_is update' -s r -l resources -r -F -d 'A linux.resources JSON file ("-" for stdin); the flags are then ignored'
complete -c husk -n '__husk_is update' -l memory -x -d 'Memory limit (e.g. 512m; -1 unlimited)'
complete -c husk -n '__husk_is update' -l memory-swap -x -d 'Memory plus swap limit (-1 unlimited)'
complete -c husk -n '__husk_is update' -l memory-reservation -x -d 'Memory soft limit'
complete -c husk -n '__husk_is update' -l kernel-memory -x -d 'Deprecated: ignored with a warning'
complete -c husk -n '__husk_is update' -l cpu-shares -x -d 'Relative CPU weight'
complete -c husk -n '__husk_is update' -l cpu-share -x -d 'Relative CPU weight (runc\'s spelling)'
complete -c husk -n '__husk_is update' -l l3-cache-schema -x -d 'Intel RDT L3 cache schema'
complete -c husk -n '__husk_is update' -l mem-bw-schema -x -d 'Intel RDT memory bandwidth schema'
complete -c husk -n '__husk_is update' -l cpu-quota -x -d 'CPU time per period, in microseconds'
complete -c husk -n '__husk_is update' -l cpu-period -x -d 'CFS period, in microseconds'
complete -c husk -n '__husk_is update' -l cpu-rt-period -x -d 'Realtime period, in microseconds'
complete -c husk -n '__husk_is update' -l cpu-rt-runtime -x -d 'Realtime runtime, in microseconds'
complete -c husk -n '__husk_is update' -l cpuset-cpus -x -d 'CPUs to run on (e.g. 0-1)'
complete -c husk -n '__husk_is update' -l cpuset-mems -x -d 'Memory nodes to use'
complete -c husk -n '__husk_is update' -l pids-limit -x -d 'Maximum number of processes'
complete -c husk -n '__husk_is update' -l blkio-weight -x -d 'Block IO weight (10-1000)'

# events
complete -c husk -n '__husk_is events' -l interval -x -d 'Time between stats events (e.g. 5s, 500ms)'
complete -c husk -n '__husk_is events' -l stats -d 'Print one stats event and exit'

# list, ls
complete -c husk -n '__husk_is list' -s f -l format -x -a 'table json' -d 'Table or json'
complete -c husk -n '__husk_is list' -s q -l quiet -d 'Print only the ids'

# kill
complete -c husk -n '__husk_is kill' -s a -l all -d 'Send the signal to every process in the container'

# ps
complete -c husk -n '__husk_is ps' -s f -l format -x -a 'table json' -d 'Table (ps output) or json (an array of pids)'

# spec
complete -c husk -n '__husk_is spec' -s b -l bundle -x -a '(__fish_complete_directories)' -d 'Directory to write config.json to'
complete -c husk -n '__husk_is spec' -l rootless -d 'A config for running as an unprivileged user'
complete -c husk -n '__husk_is spec' -l seccomp -x -a 'default strict audit unconfined' -d 'Built-in seccomp profile'
complete -c husk -n '__husk_is spec' -l landlock -x -a 'server desktop' -d 'Landlock preset: server or desktop'

# check
complete -c husk -n '__husk_is check' -s f -l format -x -a 'text json' -d 'Text or json'

# pod
complete -c husk -n '__husk_is pod' -a create -d "Start a pod's pause process"
complete -c husk -n '__husk_is pod' -a 'ls list' -d 'List pods'
complete -c husk -n '__husk_is pod' -a inspect -d "Print a pod's state as JSON"
complete -c husk -n '__husk_is pod' -a stop -d 'Stop the members (TERM, then KILL) and the pause'
complete -c husk -n '__husk_is pod' -a restart -d 'Recreate one member from its bundle: stop, delete, create and start it'
complete -c husk -n '__husk_is pod' -a rm -d 'Remove a pod, its members and its state'
complete -c husk -n '__husk_arg 0 "pod inspect" "pod stop" "pod restart" "pod rm"' -a '(__husk_pods)' -d Pod
complete -c husk -n '__husk_arg 1 "pod restart"' -a '(__husk_containers)' -d 'Member container'
complete -c husk -n '__husk_is "pod create"' -l network -x -a '(__husk_pod_networks)' -d 'bridge[:NETWORK], host or none'
complete -c husk -n '__husk_is "pod create"' -l ip -x -d "A static address on the pod's network"
complete -c husk -n '__husk_is "pod create"' -s p -l publish -x -d '[HOSTIP:]HOSTPORT:PORT[/tcp|udp] port forward (repeatable)'
complete -c husk -n '__husk_is "pod create"' -l dns -x -d "DNS server for the pod's resolv.conf (repeatable)"
complete -c husk -n '__husk_is "pod create"' -l hostname -x -d "The pod's hostname (default: its name)"
complete -c husk -n '__husk_is "pod create"' -l share-pid -d 'Members share one PID namespace'
complete -c husk -n '__husk_is "pod ls"' -s f -l format -x -a 'table json' -d 'Table or json'
complete -c husk -n '__husk_is "pod stop" "pod restart"' -s t -l timeout -x -d 'Seconds before KILL'
complete -c husk -n '__husk_is "pod rm"' -s f -l force -d 'Kill running members; a missing pod is no error'

# network
complete -c husk -n '__husk_is network' -a 'ls list' -d 'List the networks'
complete -c husk -n '__husk_is network' -a inspect -d 'Print a network and its leases as JSON'
complete -c husk -n '__husk_is network' -a create -d 'Define a network (writes NAME.json)'
complete -c husk -n '__husk_is network' -a 'rm remove' -d 'Remove a network no container uses'
complete -c husk -n '__husk_arg 0 "network inspect" "network rm"' -a '(__husk_networks)' -d Network
complete -c husk -n '__husk_is "network ls"' -s f -l format -x -a 'table json' -d 'Table or json'
complete -c husk -n '__husk_is "network create"' -l subnet -x -d 'IPv4 subnet, e.g. 10.78.0.0/24'
complete -c husk -n '__husk_is "network create"' -l gateway -x -d "The bridge's IPv4 address (default: first host)"
complete -c husk -n '__husk_is "network create"' -l range -x -d 'START-END: where addresses are allocated from'
complete -c husk -n '__husk_is "network create"' -l ipv6-subnet -x -d 'IPv6 subnet, for dual stack'
complete -c husk -n '__husk_is "network create"' -l ipv6-gateway -x -d "The bridge's IPv6 address"
complete -c husk -n '__husk_is "network create"' -l bridge -x -d "The bridge's name (default: the first free huskN)"
complete -c husk -n '__husk_is "network create"' -l mtu -x -d 'The MTU of the bridge and veths'
complete -c husk -n '__husk_is "network create"' -l no-masquerade -d 'No NAT for traffic leaving the subnet'
complete -c husk -n '__husk_is "network create"' -l dns -x -d "A DNS server for members' resolv.conf (repeatable)"
