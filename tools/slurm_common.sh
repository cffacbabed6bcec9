# Sourced by slurm_train.sh, slurm_test.sh and slurm_submit.sh after they set
# PARTITION and JOB_NAME: the job's resources from mmseg's variables, as the
# array SLURM_RESOURCES of srun/sbatch options.
#   GPUS           ranks in all (default 4)
#   GPUS_PER_NODE  ranks per node (default 4)
#   CPUS_PER_TASK  CPUs per rank (default 5)
#   SRUN_ARGS      further srun options
# A partition whose nodes have GPU gres (sinfo's %G) gets --gres=gpu:N and
# one GPU per rank (NCCL); on one without, no gres is asked for and the
# ranks run on CPUs with gloo.
GPUS=${GPUS:-4}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}"

gres="$(sinfo -h -p "$PARTITION" -o %G)" || exit 1
if [ -z "$gres" ]; then
    echo "slurm: no partition '$PARTITION' (sinfo -p $PARTITION lists no node)" >&2
    exit 1
fi
SLURM_RESOURCES=(
    --partition="$PARTITION"
    --job-name="$JOB_NAME"
    --ntasks="$GPUS"
    --ntasks-per-node="$GPUS_PER_NODE"
    --cpus-per-task="$CPUS_PER_TASK"
)
if grep -q 'gpu' <<< "$gres"; then
    SLURM_RESOURCES+=(--gres=gpu:"$GPUS_PER_NODE")
else
    echo "slurm: partition '$PARTITION' has no GPU gres: $GPUS ranks on CPUs (gloo)" >&2
fi
