#!/usr/bin/env bash
# Testing on a Slurm cluster: slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [ARGS]
# GPUS, GPUS_PER_NODE, CPUS_PER_TASK, SRUN_ARGS as in slurm_common.sh; on a
# partition without GPUs the ranks test on CPUs.
set -x
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
source "$(dirname "$0")/slurm_common.sh"

srun "${SLURM_RESOURCES[@]}" \
    --kill-on-bad-exit=1 \
    $SRUN_ARGS \
    python -u "$TOOLS/test.py" "$CONFIG" "$CHECKPOINT" --launcher=slurm "${@:5}"
