# Sourced by dist_train.sh and dist_test.sh: dist_run SCRIPT GPUS ARGS runs
# tools/SCRIPT with ARGS in GPUS processes per node under
# torch.distributed.run; NNODES, NODE_RANK, PORT and MASTER_ADDR as in
# mmseg's scripts. With CUDA: NCCL, one process per GPU. Without CUDA: gloo,
# GPUS processes on the CPU (mmseg_encnet.engine.launch.setup_distributed).
dist_run() {
    local tools script=$1 gpus=$2
    tools="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    shift 2
    PYTHONPATH="$tools/..":$PYTHONPATH \
    python -m torch.distributed.run \
        --nnodes="${NNODES:-1}" \
        --node_rank="${NODE_RANK:-0}" \
        --master_addr="${MASTER_ADDR:-127.0.0.1}" \
        --nproc_per_node="$gpus" \
        --master_port="${PORT:-29500}" \
        "$tools/$script" "$@" --launcher pytorch
}
