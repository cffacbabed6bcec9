# Schedule and runtime of the CamVid CPU recipes: from scratch (no
# pretrained weights can be downloaded here), bfloat16 autocast
# (mmseg_encnet.BF16OptimWrapper; GPUs: AmpOptimWrapper or OptimWrapper),
# SGD with poly decay, validation on val/ every 1000 iterations.
_base_ = ['./cpu_runtime.py']
max_iters = 5000
optim_wrapper = dict(
    type='mmseg_encnet.BF16OptimWrapper',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=0.0005),
    clip_grad=None)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, begin=0, end=200, by_epoch=False),
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=200,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=1000)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=1000, save_best='mIoU'),
    visualization=dict(interval=25))
