# Schedule and runtime of the CPU demo: from scratch (no pretrained weights
# can be downloaded), in bfloat16 autocast (mmseg_encnet.BF16OptimWrapper:
# float32 on CPUs without bfloat16 units), evaluated every 300 iterations.
# Half the CamVid lr and gradients clipped at norm 5 (a logged step's norm
# is about 1): at lr 0.05 unclipped a loss spike can leave EncNet's context
# branch dead for good (docs/demo.md).
_base_ = ['./cpu_runtime.py', './datasets/demo_street.py']
max_iters = 1500
optim_wrapper = dict(
    type='mmseg_encnet.BF16OptimWrapper',
    optimizer=dict(type='SGD', lr=0.025, momentum=0.9, weight_decay=0.0005),
    clip_grad=dict(max_norm=5.0))
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
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=300)
