# Schedule of the SIFT Flow CPU recipes: the CamVid one (from scratch,
# bfloat16, SGD with poly decay) over 2000 iterations of batch 8 (7 epochs
# of train/), a checkpoint every 200 to resume from (--resume); the runs'
# wall times are in docs/real-data.md.
_base_ = ['./camvid_runtime.py']
max_iters = 2000
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], end=max_iters)
]
train_cfg = dict(max_iters=max_iters)
default_hooks = dict(checkpoint=dict(interval=200))
