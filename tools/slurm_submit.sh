#!/usr/bin/env bash
# A requeueable training job: slurm_submit.sh PARTITION JOB_NAME CONFIG [ARGS]
# prints the job id as its last line. GPUS, GPUS_PER_NODE, CPUS_PER_TASK,
# SRUN_ARGS as in slurm_common.sh, and
#   TIME         the job's time limit (sbatch --time; default: the partition's)
#   SIGNAL_LEAD  seconds before the limit at which Slurm sends SIGUSR1
#                (default 300)
#   OUTPUT       the job's log (default slurm-%j.out here, appended to on
#                every start)
# On SIGUSR1 (from Slurm before the limit, or `scancel --signal=USR1 JOB`)
# the ranks finish their iteration and checkpoint, and the job requeues
# itself (mmseg_encnet.PreemptionHook); every start runs train.py --resume,
# so a requeued job continues from the checkpoint and a first start with no
# checkpoint in the work dir starts fresh.
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
SIGNAL_LEAD=${SIGNAL_LEAD:-300}
source "$(dirname "$0")/slurm_common.sh"

printf -v train '%q ' python -u "$TOOLS/train.py" "$CONFIG" --launcher=slurm --resume "${@:4}"
sbatch --parsable \
    "${SLURM_RESOURCES[@]}" \
    --requeue \
    --open-mode=append \
    --output="${OUTPUT:-slurm-%j.out}" \
    --signal=USR1@"$SIGNAL_LEAD" \
    ${TIME:+--time="$TIME"} \
    --wrap="srun --kill-on-bad-exit=1 $SRUN_ARGS $train"
