# ./cpu_2k.py over 5000 iterations, a checkpoint every 1000.
_base_ = ['./cpu_2k.py']
max_iters = 5000
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], end=max_iters)
]
train_cfg = dict(max_iters=max_iters)
default_hooks = dict(checkpoint=dict(interval=1000))
