# ./cpu_2k.py for an ImageNet-pretrained backbone: lr 0.01 over 1000
# iterations, validated at the end.
_base_ = ['./cpu_2k.py']
max_iters = 1000
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], end=max_iters)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
