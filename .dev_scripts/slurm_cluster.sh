#!/usr/bin/env bash
# A real two-node Slurm cluster on this one machine, for the Slurm tests and
# CI (and for trying the cluster tools without a cluster):
#
#   sudo bash .dev_scripts/slurm_cluster.sh up     # install if missing, configure, start
#   sudo bash .dev_scripts/slurm_cluster.sh down   # stop the daemons that `up` started
#   bash .dev_scripts/slurm_cluster.sh status      # sinfo, or exit 1 when it is down
#
# Two slurmd (nodes n1 and n2, each on its own port, both on 127.0.0.1),
# slurmctld and munged, all as root; partition `debug` (default) with both
# nodes, CPUs only (no GPU gres), select/cons_tres, requeue allowed (a
# requeued job may start again after 30 s instead of Slurm's 120). The
# state lives in SLURM_CLUSTER_DIR (default /tmp/mmseg_encnet_slurm); the
# config is written there and to /etc/slurm/slurm.conf, where sinfo, srun
# and sbatch read it (an /etc/slurm/slurm.conf that this script did not
# write is left alone: then `up` refuses). Only daemons whose pids `up`
# recorded are stopped by `down`.
set -euo pipefail
DIR="${SLURM_CLUSTER_DIR:-/tmp/mmseg_encnet_slurm}"
CONF=/etc/slurm/slurm.conf
MARK="# written by mmseg_encnet .dev_scripts/slurm_cluster.sh"
CPUS="${SLURM_NODE_CPUS:-4}"  # per node; more than the machine has is fine
say() { echo "[slurm_cluster] $*"; }

install_packages() {
    command -v slurmctld >/dev/null && command -v munged >/dev/null && return
    say "installing Debian's slurm-wlm and munge"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q slurm-wlm munge >/dev/null ||
        { apt-get update -q >/dev/null && apt-get install -y -q slurm-wlm munge >/dev/null; }
}

write_config() {
    if [ -f "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
        say "$CONF exists and was not written by this script; not touching it"
        exit 1
    fi
    local host
    host="$(hostname)"
    mkdir -p "$DIR/state" "$DIR/spool/n1" "$DIR/spool/n2" /etc/slurm
    cat > "$DIR/slurm.conf" <<EOF
$MARK
ClusterName=mmsegencnet
SlurmctldHost=$host
SlurmctldPort=6817
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
# how long a requeued job waits before it may start again (120 s by default)
AuthInfo=cred_expire=30
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/%n
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.%n.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
JobRequeue=1
KillWait=30
InactiveLimit=0
MinJobAge=300
NodeName=n1 NodeHostname=$host NodeAddr=127.0.0.1 Port=17001 CPUs=$CPUS State=UNKNOWN
NodeName=n2 NodeHostname=$host NodeAddr=127.0.0.1 Port=17002 CPUs=$CPUS State=UNKNOWN
PartitionName=debug Nodes=n1,n2 Default=YES MaxTime=INFINITE State=UP
EOF
    cp "$DIR/slurm.conf" "$CONF"
    grep -qE '^[0-9.]+\s.*\bn1\b' /etc/hosts || echo '127.0.0.1 n1' >> /etc/hosts
    grep -qE '^[0-9.]+\s.*\bn2\b' /etc/hosts || echo '127.0.0.1 n2' >> /etc/hosts
}

is_up() {
    [ "$(sinfo -h -p debug -t idle,mixed,allocated -o '%D' 2>/dev/null | awk '{s+=$1} END {print s+0}')" = 2 ]
}

up() {
    install_packages
    if is_up; then say "already up"; sinfo; return; fi
    write_config
    if ! pgrep -x -r R,S,D munged >/dev/null; then
        say "starting munged"
        mkdir -p /run/munge && chown munge:munge /run/munge
        [ -s /etc/munge/munge.key ] || mungekey --create --force
        rm -f /run/munge/munged.pid
        runuser -u munge -- munged
        for _ in $(seq 50); do
            [ -s /run/munge/munged.pid ] && break
            sleep 0.1
        done
        cp /run/munge/munged.pid "$DIR/munged.pid"
    fi
    say "starting slurmctld and two slurmd (n1, n2) on $(hostname)"
    slurmctld -f "$CONF"
    for node in n1 n2; do
        slurmd -f "$CONF" -N "$node"
    done
    for _ in $(seq 60); do
        if is_up; then
            say "up: partition debug, nodes n1 n2 ($CPUS CPUs each, no GPU)"
            sinfo
            return
        fi
        # nodes that came back after an earlier `down` are resumed
        scontrol update nodename=n1,n2 state=resume >/dev/null 2>&1 || true
        sleep 1
    done
    say "the cluster did not come up; logs in $DIR"
    tail -n 20 "$DIR"/*.log || true
    exit 1
}

down() {
    local pidfile pid name
    for pidfile in "$DIR"/slurmd.n1.pid "$DIR"/slurmd.n2.pid \
                   "$DIR"/slurmctld.pid "$DIR"/munged.pid; do
        [ -f "$pidfile" ] || continue
        pid="$(cat "$pidfile")"
        name="$(basename "$pidfile" .pid)"
        # only the daemon that was started: a stale file's pid may be reused
        if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "${name%%.*}" ] &&
                kill "$pid"; then
            for _ in $(seq 100); do  # its shutdown takes a moment
                [ -d "/proc/$pid" ] && [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" != Z ] || break
                sleep 0.1
            done
            say "stopped $name (pid $pid)"
        fi
        rm -f "$pidfile"
    done
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) is_up && sinfo ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
