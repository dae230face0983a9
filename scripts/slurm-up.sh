#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for `vpae sweep --launcher slurm` and its tests: installs
# Debian's munge, slurmctld, slurmd and slurm-client (root, no systemd needed), writes a minimal
# slurm.conf from what `slurmd -C` reports, starts munged, slurmctld and slurmd, and waits until the
# node takes jobs. Safe to run again: it leaves a working cluster with the same configuration as it
# is, and restarts one whose slurm.conf differs.
#
#   sudo scripts/slurm-up.sh          (or as root)   then: sinfo; vpae sweep FILE --launcher slurm
#   scripts/slurm-up.sh --down                         stops the daemons
#
# The configuration is for a test cluster: no accounting (squeue --json works, sacct does not),
# proctrack/linuxproc and task/none (no cgroups in a container), one partition `debug` holding the node.
set -euo pipefail

CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
STATE=/var/spool/slurmctld
SPOOL=/var/spool/slurmd
LOGS=/var/log/slurm

log() { printf 'slurm-up: %s\n' "$*" >&2; }

if [ "${1:-}" = "--down" ]; then
  pkill -x slurmd || true
  pkill -x slurmctld || true
  log "stopped slurmd and slurmctld"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  log "needs root (it installs packages and starts system daemons)"
  exit 1
fi

need=()
for p in munge slurmctld slurmd slurm-client; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || true
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# munge: the key comes with the package; the daemon runs as the munge user
mkdir -p /run/munge /var/log/munge /var/lib/munge /etc/munge
chown munge: /run/munge /var/log/munge /var/lib/munge /etc/munge
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
  chown munge: /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
fi
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  pkill -x munged || true
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
fi
munge -n | unmunge >/dev/null || { log "munge does not work"; exit 1; }

host=$(hostname -s)
# slurmd -C prints this node's NodeName line (CPUs, boards, sockets, cores, threads, memory)
node=$(slurmd -C | head -n 1 | sed "s/^NodeName=[^ ]*/NodeName=$host/")
# AuthInfo cred_expire: how long a job credential lives, and so how long Slurm holds a requeued task
# before it may start again (default 120 s); on this test cluster a requeued task is back in ~16 s.
conf=$(cat <<EOF
# written by vpae scripts/slurm-up.sh: a one-node test cluster
ClusterName=vpae
SlurmctldHost=$host
SlurmUser=slurm
AuthType=auth/munge
AuthInfo=cred_expire=15
StateSaveLocation=$STATE
SlurmdSpoolDir=$SPOOL
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
KillWait=30
$node State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
)

if [ -f "$CONF" ] && [ "$(cat "$CONF")" = "$conf" ] && sinfo -h -o '%T' 2>/dev/null | grep -E '^(idle|mixed|allocated)' >/dev/null; then
  log "a cluster is already up: $(sinfo -h -o '%P %D %T' | tr '\n' ' ')"
  exit 0
fi
mkdir -p "$CONF_DIR" "$STATE" "$SPOOL" "$LOGS"
chown slurm: "$STATE" "$LOGS"
printf '%s\n' "$conf" >"$CONF"

pkill -x slurmctld || true
pkill -x slurmd || true
sleep 0.5
# -i: ignore state left by an earlier cluster; both daemons stay in the background
slurmctld -i
slurmd
for _ in $(seq 100); do
  if sinfo -h -o '%T' 2>/dev/null | grep -E '^(idle|mixed|allocated)' >/dev/null; then
    log "up: $(sinfo -h -o 'partition %P, %D node(s), %c CPUs, state %T')"
    exit 0
  fi
  sleep 0.2
done
log "the node did not come up; see $LOGS/slurmctld.log and $LOGS/slurmd.log"
sinfo || true
exit 1
