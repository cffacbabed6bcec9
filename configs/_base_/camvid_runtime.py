# Schedule and runtime of the CamVid CPU recipes: from scratch (no
# pretrained weights can be downloaded here), bfloat16 autocast
# (mmseg_encnet.BF16OptimWrapper; GPUs: AmpOptimWrapper or OptimWrapper),
# SGD with poly decay, validation on val/ every 1000 iterations.
_base_ = ['./encnet_runtime.py']
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
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=1000,
        max_keep_ckpts=2, save_best='mIoU'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook', draw=True, interval=25))
custom_hooks = [
    dict(type='mmseg_encnet.DataCheckHook'),
    dict(type='mmseg_encnet.NonFiniteLossHook'),
    dict(type='mmseg_encnet.RNGStateHook'),
    dict(type='mmseg_encnet.TrainingCurveHook')
]
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
