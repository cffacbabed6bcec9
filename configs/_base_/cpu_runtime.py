# What the CPU recipes (the demo, CamVid) share on top of encnet_runtime.py:
# iteration-based loops, mmseg's hooks with short intervals, our hooks plus
# the training-curve plot, seed 0. Each recipe adds its schedule.
_base_ = ['./encnet_runtime.py']
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
    dict(type='mmseg_encnet.PreemptionHook'),
    dict(type='mmseg_encnet.TrainingCurveHook')
]
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
