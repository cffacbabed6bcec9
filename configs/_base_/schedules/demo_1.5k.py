# ./cpu_2k.py for the demo: 1500 iterations at lr 0.025 with gradients
# clipped at norm 5 (why: docs/demo.md), validated every 300.
_base_ = ['./cpu_2k.py']
max_iters = 1500
optim_wrapper = dict(
    optimizer=dict(lr=0.025), clip_grad=dict(_delete_=True, max_norm=5.0))
param_scheduler = [
    dict(_base_.param_scheduler[0], end=50),
    dict(_base_.param_scheduler[1], begin=50, end=max_iters)
]
train_cfg = dict(max_iters=max_iters, val_interval=300)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(
        _delete_=True,
        type='CheckpointHook',
        by_epoch=False,
        interval=200,
        max_keep_ckpts=2),
    visualization=dict(interval=8))
