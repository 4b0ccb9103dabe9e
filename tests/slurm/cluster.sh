#!/usr/bin/env bash
# A private single-node Slurm cluster on localhost, for integration tests (docs/slurm.md).
#
#   cluster.sh check        exit 0 when the daemons and client commands exist and we are
#                           root; else say what is missing and exit 77
#   cluster.sh start DIR    munged, slurmctld and slurmd with everything under DIR (absolute);
#                           returns once the node is idle and the scheduler runs, having
#                           written DIR/env.sh (SLURM_CONF for the client commands)
#   cluster.sh stop DIR     stops what `start DIR` started; safe to repeat
#
# Nothing outside DIR is written except, for a long DIR, a short directory for the Unix
# sockets (see cmd_start), and nothing is shared with a system Slurm or munge: own key, own
# munge socket, own ports. Needs root: slurmd starts jobs as their user, which only root may do.
set -euo pipefail

readonly START_TIMEOUT_S=60   # munged + slurmctld + slurmd up and the node idle
readonly STOP_TIMEOUT_S=10    # per daemon, after SIGTERM, before SIGKILL
readonly LOG_TAIL_LINES=40
readonly SUN_PATH_BUDGET=80   # a Unix socket path must fit in 108 bytes; leave room for names

die() {
  echo "cluster.sh: $*" >&2
  exit 1
}

usage() {
  echo "usage: cluster.sh check | start DIR | stop DIR" >&2
  exit 2
}

# ---- check ---------------------------------------------------------------------------------

# Exit 77 (CTest's SKIP_RETURN_CODE for the smoke test) rather than fail: a developer
# without root or without the packages gets "skipped". CI runs as root with the packages
# installed (docs/slurm.md), so there a 77 means the CI image is broken and is worth a look.
cmd_check() {
  local missing=() bin
  for bin in munged mungekey slurmctld slurmd sbatch sinfo sdiag squeue scancel timeout; do
    command -v "$bin" >/dev/null 2>&1 || missing+=("$bin")
  done
  if ((${#missing[@]})); then
    echo "cluster.sh: missing commands: ${missing[*]}" >&2
    echo "cluster.sh: on Debian 12: apt-get install munge slurmctld slurmd slurm-client" >&2
    exit 77
  fi
  if [[ $(id -u) -ne 0 ]]; then
    echo "cluster.sh: must run as root (slurmd starts jobs as their owner)" >&2
    exit 77
  fi
}

# ---- helpers -------------------------------------------------------------------------------

# TCP ports anything on this machine holds (any state, IPv4 and IPv6), one per line.
ports_in_use() {
  local f _ local_address _rest
  for f in /proc/net/tcp /proc/net/tcp6; do
    [[ -r $f ]] || continue
    # After the header, the second field is the local ADDR:PORT, both in hex.
    while read -r _ local_address _rest; do
      [[ $local_address == *:* ]] && echo $((16#${local_address##*:}))
    done < <(tail -n +2 "$f")
  done
}

# Two free ports below the kernel's ephemeral range (so no outgoing connection takes them
# between now and the daemons' bind), random so that clusters started side by side differ.
pick_ports() {
  local lo=20000 hi eph_lo used p ports=()
  read -r eph_lo _ </proc/sys/net/ipv4/ip_local_port_range
  hi=$((eph_lo - 1))
  ((hi > lo + 100)) || { lo=10000; hi=$((eph_lo - 1)); }
  used=" $(ports_in_use | tr '\n' ' ') "
  while ((${#ports[@]} < 2)); do
    p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo)))
    [[ $used == *" $p "* || " ${ports[*]-} " == *" $p "* ]] && continue
    ports+=("$p")
  done
  echo "${ports[@]}"
}

# Whether PID runs. An exited daemon stays a zombie until PID 1 reaps it, and a container's
# PID 1 may reap late or never: count zombies as gone.
running() {
  local pid=$1 stat state
  { read -r stat <"/proc/$pid/stat"; } 2>/dev/null || return 1
  read -r state _ <<<"${stat##*) }"
  [[ $state != Z ]]
}

pid_alive() {
  local pidfile=$1 pid
  [[ -s $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] && running "$pid"
}

# SIGTERM the daemon of PIDFILE, wait up to STOP_TIMEOUT_S, then SIGKILL.
stop_pidfile() {
  local name=$1 pidfile=$2 pid i
  pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  pid=$(<"$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT_S * 10; i++)); do
    running "$pid" || break
    sleep 0.1
  done
  if running "$pid"; then
    echo "cluster.sh: $name ($pid) ignored SIGTERM for ${STOP_TIMEOUT_S}s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# The slurmstepd processes of this cluster (each holds slurmd's log file open) and all their
# descendants (the jobs), one pid per line: what a stopped slurmd leaves running.
job_pids() {
  local dir=$1 proc pid stat ppid comm fd
  local -A children=()
  local stepds=()
  # `read` rather than $(cat): no fork per process, so a busy machine is scanned quickly.
  for proc in /proc/[0-9]*; do
    pid=${proc#/proc/}
    { read -r stat <"$proc/stat" && read -r comm <"$proc/comm"; } 2>/dev/null || continue
    # The fields after the command name, which is in parentheses and may hold anything.
    read -r _ ppid _ <<<"${stat##*) }"
    children[$ppid]+=" $pid"
    [[ $comm == slurmstepd ]] || continue
    for fd in "$proc"/fd/*; do
      if [[ $(readlink 2>/dev/null "$fd") == "$dir/log/slurmd.log" ]]; then
        stepds+=("$pid")
        break
      fi
    done
  done
  local todo=("${stepds[@]}")
  while ((${#todo[@]})); do
    pid=${todo[-1]}
    unset 'todo[-1]'
    echo "$pid"
    # shellcheck disable=SC2206 # the list is pids separated by spaces
    todo+=(${children[$pid]-})
  done
}

# The short socket directory a long DIR gets (DIR/sockets links to it), and the link.
remove_sockets_link() {
  local dir=$1 target
  [[ -L $dir/sockets ]] || return 0
  target=$(readlink "$dir/sockets")
  [[ $target == /tmp/slurm-* ]] && rm -rf "$target"
  rm -f "$dir/sockets"
}

print_logs() {
  local dir=$1 log
  for log in "$dir"/log/munged.log "$dir"/log/slurmctld.log "$dir"/log/slurmd.log \
    "$dir"/log/*.stderr; do
    [[ -s $log ]] || continue
    echo "---- last $LOG_TAIL_LINES lines of $log" >&2
    tail -n "$LOG_TAIL_LINES" "$log" >&2
  done
}

# ---- start ---------------------------------------------------------------------------------

write_slurm_conf() {
  local dir=$1 host=$2 ctld_port=$3 slurmd_port=$4 sockdir=$5 node_hw
  # The node's hardware as slurmd itself will report it, so the controller never drains the
  # node for having less than configured. slurmd -C prints UpTime on a line of its own.
  node_hw=$(slurmd -C 2>/dev/null | sed -n 's/^NodeName=[^ ]* //p') || node_hw=
  if [[ -z $node_hw ]]; then
    # Less than the machine has is safe: the node is then used below its size.
    node_hw="CPUs=1 RealMemory=$(($(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) / 2048))"
  fi
  cat >"$dir/slurm.conf" <<EOF
# Written by tests/slurm/cluster.sh: a private single-node cluster (docs/slurm.md).
ClusterName=trnsim-test
# The controller checks this name against its own short hostname; clients use the address.
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sockdir/munge.sock

StateSaveLocation=$dir/state
SlurmdSpoolDir=$sockdir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$dir/plugstack.conf

# No cgroups: a container need not delegate any to us.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core

# A node that comes back (slurmd restarted) is usable at once.
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
MessageTimeout=10
InactiveLimit=0
KillWait=5
MinJobAge=60
SchedulerType=sched/backfill
# Schedule a submitted batch job at once rather than up to 3 s later: tests submit many
# short jobs and wait for each.
SchedulerParameters=batch_sched_delay=0
# No mail to send; the default /bin/mail is usually not installed.
MailProg=/bin/true

NodeName=$host NodeAddr=127.0.0.1 $node_hw State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  # An empty SPANK stack: the system's /etc/slurm/plugstack.conf is not ours to load.
  : >"$dir/plugstack.conf"
}

# The node's state as sinfo prints it (idle, down*, unk*, ...), or nothing.
node_state() {
  local dir=$1
  SLURM_CONF=$dir/slurm.conf timeout 10 sinfo --noheader --format=%t 2>/dev/null | head -n 1
}

# How many cycles the controller's main scheduler has run (sdiag), or nothing.
scheduler_cycles() {
  local dir=$1
  SLURM_CONF=$dir/slurm.conf timeout 10 sdiag 2>/dev/null \
    | awk '/^Main schedule statistics/ { main = 1 } main && /Total cycles:/ { print $3; exit }'
}

start_failed() {
  shift
  echo "cluster.sh: start failed: $*" >&2
  exit 1
}

# The EXIT trap of `start` while it runs: however it fails (start_failed, or a command that
# set -e stops at), show the logs and stop what was started.
start_exit() {
  local status=$? dir=$1
  ((status == 0)) && return 0
  print_logs "$dir"
  cmd_stop "$dir" >/dev/null 2>&1 || true
  exit "$status"
}

cmd_start() {
  local dir=$1 host ports ctld_port slurmd_port sockdir t0 state i
  [[ $dir == /* ]] || die "DIR must be an absolute path, got '$dir'"
  # slurm.conf has no quoting for paths.
  [[ $dir != *[[:space:]#=]* ]] || die "DIR must not contain spaces, '#' or '=', got '$dir'"
  cmd_check
  mkdir -p "$dir"
  if pid_alive "$dir/run/slurmctld.pid" || pid_alive "$dir/run/slurmd.pid" \
    || pid_alive "$dir/run/munged.pid"; then
    die "a cluster is already running in $dir; run 'cluster.sh stop $dir' first"
  fi
  rm -rf "$dir/state" "$dir/run" "$dir/log" "$dir/env.sh"
  mkdir -p "$dir/state" "$dir/run" "$dir/log"
  # shellcheck disable=SC2064 # dir is fixed from here on
  trap "start_exit '$dir'" EXIT

  # Unix socket paths (munge's, and slurmd's per-step sockets in its spool directory) must
  # fit in 108 bytes; a deep build directory does not leave room, so they go to a short
  # directory under /tmp that `stop` removes (DIR/sockets points to it).
  remove_sockets_link "$dir"
  if ((${#dir} + 10 <= SUN_PATH_BUDGET)); then
    sockdir=$dir/sock
    rm -rf "$sockdir"
    mkdir "$sockdir"
  else
    sockdir=$(mktemp -d /tmp/slurm-XXXXXX)
    ln -s "$sockdir" "$dir/sockets"
  fi
  # munged wants its socket's directory searchable by all (a job of any user may ask it).
  chmod 0755 "$sockdir"
  mkdir -p "$sockdir/spool"

  t0=$(date +%s.%N)
  host=$(uname -n)
  host=${host%%.*}
  read -r ctld_port slurmd_port <<<"$(pick_ports)"

  write_slurm_conf "$dir" "$host" "$ctld_port" "$slurmd_port" "$sockdir"

  # munge: a fresh key (never the system's), so credentials from another cluster do not
  # pass. --force turns munged's checks of the directories above DIR (a group-writable
  # build tree, say) from errors into warnings: they are not ours to fix.
  rm -f "$dir/munge.key"
  mungekey --create --keyfile="$dir/munge.key" >/dev/null 2>&1 \
    || dd if=/dev/urandom of="$dir/munge.key" bs=1024 count=1 status=none
  chmod 0400 "$dir/munge.key"
  munged --force --socket="$sockdir/munge.sock" --key-file="$dir/munge.key" \
    --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" \
    --seed-file="$dir/state/munged.seed" 2>"$dir/log/munged.stderr" \
    || start_failed "$dir" "munged did not start"

  # -i: ignore state a previous run left (there is none; StateSaveLocation is fresh).
  # Both daemonize; their stderr before that goes to a file print_logs shows.
  slurmctld -i -f "$dir/slurm.conf" 2>"$dir/log/slurmctld.stderr" \
    || start_failed "$dir" "slurmctld did not start"
  slurmd -N "$host" -f "$dir/slurm.conf" 2>"$dir/log/slurmd.stderr" \
    || start_failed "$dir" "slurmd did not start"

  # Ready means the node is idle and the main scheduler has run once: it first runs a few
  # seconds after slurmctld starts, and a job submitted before then waits for it.
  for ((i = 0; ; i++)); do
    state=$(node_state "$dir")
    [[ $state == idle && $(scheduler_cycles "$dir") -gt 0 ]] && break
    if ((i >= START_TIMEOUT_S * 4)); then
      start_failed "$dir" "node $host not idle and scheduling after ${START_TIMEOUT_S}s" \
        "(node state: '${state:-none}')"
    fi
    pid_alive "$dir/run/slurmctld.pid" || start_failed "$dir" "slurmctld exited"
    pid_alive "$dir/run/slurmd.pid" || start_failed "$dir" "slurmd exited"
    sleep 0.25
  done

  trap - EXIT
  cat >"$dir/env.sh" <<EOF
# Source this to use the cluster in $dir (sinfo, sbatch, squeue, scancel, scontrol).
export SLURM_CONF=$dir/slurm.conf
EOF
  echo "cluster.sh: cluster up in $dir (node $host, ports $ctld_port/$slurmd_port," \
    "$(awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.1f", t1 - t0 }')s);" \
    "source $dir/env.sh to use it"
}

# ---- stop ----------------------------------------------------------------------------------

cmd_stop() {
  local dir=$1 pid jobs i
  [[ $dir == /* ]] || die "DIR must be an absolute path, got '$dir'"
  [[ -d $dir ]] || return 0
  # Cancel what still runs while the controller can do it properly (slurmd does not end
  # jobs when it stops); then, after a bounded wait, kill what is left.
  if pid_alive "$dir/run/slurmctld.pid"; then
    jobs=$(SLURM_CONF=$dir/slurm.conf timeout 10 squeue --noheader --format=%A 2>/dev/null) || true
    if [[ -n $jobs ]]; then
      # shellcheck disable=SC2086 # one argument per job id
      SLURM_CONF=$dir/slurm.conf timeout 10 scancel $jobs 2>/dev/null || true
      for ((i = 0; i < STOP_TIMEOUT_S * 10; i++)); do
        [[ -z $(job_pids "$dir") ]] && break
        sleep 0.1
      done
    fi
  fi
  stop_pidfile slurmd "$dir/run/slurmd.pid"
  stop_pidfile slurmctld "$dir/run/slurmctld.pid"
  for pid in $(job_pids "$dir"); do
    echo "cluster.sh: killing leftover job process $pid" >&2
    kill -KILL "$pid" 2>/dev/null || true
  done
  stop_pidfile munged "$dir/run/munged.pid"
  remove_sockets_link "$dir"
  echo "cluster.sh: stopped the cluster in $dir"
}

# ---- main ----------------------------------------------------------------------------------

(($# >= 1)) || usage
case $1 in
check)
  (($# == 1)) || usage
  cmd_check
  ;;
start)
  (($# == 2)) || usage
  cmd_start "$2"
  ;;
stop)
  (($# == 2)) || usage
  cmd_stop "$2"
  ;;
*) usage ;;
esac
