# Schedule of the SIFT Flow recipes on an ImageNet-pretrained backbone: the
# from-scratch one (./siftflow_runtime.py) at lr 0.01 over 1000 iterations
# of batch 8 (3.6 epochs of train/).
_base_ = ['./siftflow_runtime.py']
max_iters = 1000
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], end=max_iters)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
