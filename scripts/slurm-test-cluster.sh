#!/usr/bin/env bash
# Starts or stops a throwaway one-node Slurm cluster for tests, without systemd:
#
#   scripts/slurm-test-cluster.sh start DIR [PORT]   write DIR/slurm.conf, start munged (if no
#                                                    munge daemon answers), slurmctld and
#                                                    slurmd, wait until the node is idle
#   scripts/slurm-test-cluster.sh stop DIR           cancel the cluster's jobs, stop its
#                                                    daemons (SIGTERM, SIGKILL after 10 s) and
#                                                    remove DIR
#
# Clients use the cluster with SLURM_CONF=DIR/slurm.conf (also written to DIR/env). slurmctld
# listens on PORT and slurmd on PORT+1; without PORT both are derived from DIR, so clusters of
# builds side by side do not collide. The munge daemon is shared by every cluster on the
# machine and left running. Runs as root (the daemons and jobs run as root). When slurmctld is
# not installed, `start` says so and exits 0: the tests that need the cluster skip themselves.
# CAIRN_SLURM_CPUS declares more CPUs than the machine has (SlurmdParameters=config_overrides),
# so that more jobs run at once on a small machine.
set -euo pipefail

usage() {
  echo "usage: $0 start DIR [PORT] | stop DIR" >&2
  exit 2
}
[[ $# -ge 2 && $# -le 3 ]] || usage
action=$1
dir=$2
[[ "$dir" == /* ]] || dir=$PWD/$dir
conf=$dir/slurm.conf
export SLURM_CONF=$conf
export PATH=$PATH:/usr/sbin:/sbin

if [[ $# -eq 3 ]]; then
  port=$3
  [[ "$port" =~ ^[0-9]+$ ]] || usage
else
  sum=$(printf '%s' "$dir" | cksum | cut -d' ' -f1)
  port=$((30000 + (sum % 10000) * 2))
fi

log() { echo "slurm-test-cluster: $*" >&2; }

# Whether process $1 is alive (a zombie, which nobody may reap in a container, is not).
alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)
  [[ -n "$state" && "$state" != Z ]]
}

# Prints the daemons' logs and stops what started; for a failed start.
fail() {
  log "$*; logs:"
  tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 2>/dev/null || true
  stop
  exit 1
}

# Sends SIGTERM to the process in pid file $1, then SIGKILL if it is alive after 10 s.
stop_pid_file() {
  local file=$1 pid
  [[ -f "$file" ]] || return 0
  pid=$(cat "$file" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do
    alive "$pid" || return 0
    sleep 0.1
  done
  log "pid $pid did not stop after SIGTERM; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

stop() {
  if [[ -f "$conf" ]]; then
    scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
  fi
  stop_pid_file "$dir/slurmd.pid"
  stop_pid_file "$dir/slurmctld.pid"
  rm -rf "$dir"
}

start_munge() {
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi
  if [[ ! -f /etc/munge/munge.key ]]; then
    mkdir -p /etc/munge
    mungekey --create --keyfile=/etc/munge/munge.key
  fi
  chown munge:munge /etc/munge /etc/munge/munge.key
  chmod 0700 /etc/munge
  chmod 0400 /etc/munge/munge.key
  # Without systemd nothing creates the socket directory.
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  chmod 0755 /run/munge
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do
    if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  log "munged does not answer (munge -n | unmunge failed)"
  return 1
}

write_conf() {
  local hw cpus mem host overrides=""
  hw=$(slurmd -C | head -n 1)
  cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$hw")
  mem=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
  host=$(hostname -s)
  if [[ -n "${CAIRN_SLURM_CPUS:-}" ]]; then
    cpus=$CAIRN_SLURM_CPUS
    overrides="SlurmdParameters=config_overrides"
  fi
  # Headroom: a node declaring more memory than the machine has is unusable.
  mem=$((mem * 9 / 10))
  mkdir -p "$dir/state" "$dir/spool" "$dir/log"
  cat >"$conf" <<EOF
# A one-node test cluster written by scripts/slurm-test-cluster.sh.
ClusterName=cairntest
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
# No cgroups without systemd.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Without a default, a job that does not ask for memory takes the whole node.
DefMemPerCPU=512
# No accounting database: finished jobs are read from the job completion log (sacct -c).
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.log
MinJobAge=3600
# A job whose afterok parent failed is killed instead of pending forever.
DependencyParameters=kill_invalid_depend
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
KillWait=2
InactiveLimit=0
ReturnToService=2
MpiDefault=none
$overrides
NodeName=localhost NodeHostname=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
  echo "export SLURM_CONF=$conf" >"$dir/env"
}

case "$action" in
  start)
    if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null; then
      log "slurmctld is not installed (apt-get install slurm-wlm munge); skipping"
      exit 0
    fi
    [[ $(id -u) -eq 0 ]] || { log "must run as root"; exit 1; }
    stop
    start_munge || fail "munge does not work"
    write_conf
    slurmctld -f "$conf" || fail "slurmctld did not start"
    slurmd -f "$conf" -N localhost || fail "slurmd did not start"
    for _ in $(seq 300); do
      state=$(sinfo -h -o %T 2>/dev/null | head -n 1 || true)
      if [[ "$state" == idle ]]; then
        log "up on port $port: export SLURM_CONF=$conf"
        exit 0
      fi
      sleep 0.1
    done
    fail "the node did not become idle within 30 s (state: ${state:-none})"
    ;;
  stop)
    stop
    ;;
  *)
    usage
    ;;
esac
