# Schedule and runtime of the CPU demo: a few minutes on 2 cores, from
# scratch (no pretrained weights can be downloaded), evaluated at the end.
_base_ = ['./encnet_runtime.py', './datasets/demo_street.py']
max_iters = 600
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=0.0005),
    clip_grad=None)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, begin=0, end=50, by_epoch=False),
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=50,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=200)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=200, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # Overlays of predictions on every 8th val image, in the work dir.
    visualization=dict(type='SegVisualizationHook', draw=True, interval=8))
custom_hooks = [
    dict(type='mmseg_encnet.DataCheckHook'),
    dict(type='mmseg_encnet.NonFiniteLossHook'),
    dict(type='mmseg_encnet.RNGStateHook'),
    dict(type='mmseg_encnet.TrainingCurveHook')
]
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
