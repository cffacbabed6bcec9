#!/usr/bin/env bash
# Training on a Slurm cluster: slurm_train.sh PARTITION JOB_NAME CONFIG [ARGS]
# GPUS, GPUS_PER_NODE, CPUS_PER_TASK, SRUN_ARGS as in slurm_common.sh; on a
# partition without GPUs the ranks train on CPUs.
set -x
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
source "$(dirname "$0")/slurm_common.sh"

srun "${SLURM_RESOURCES[@]}" \
    --kill-on-bad-exit=1 \
    $SRUN_ARGS \
    python -u "$TOOLS/train.py" "$CONFIG" --launcher=slurm "${@:4}"
