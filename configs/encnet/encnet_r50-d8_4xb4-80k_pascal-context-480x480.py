# encnet_r50-d8_4xb4-40k_pascal-context-480x480.py on mmseg's 80k schedule.
_base_ = './encnet_r50-d8_4xb4-40k_pascal-context-480x480.py'
param_scheduler = [dict(_base_.param_scheduler[0], end=80000)]
train_cfg = dict(max_iters=80000, val_interval=8000)
default_hooks = dict(checkpoint=dict(interval=8000))
