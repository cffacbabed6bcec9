# mmseg's default runtime with the plugin (./mmseg_encnet.py), as the CPU
# recipes run: a training-curve plot beside the plugin's hooks, seed 0.
_base_ = ['mmseg::_base_/default_runtime.py', './mmseg_encnet.py']
custom_hooks = [
    *_base_.custom_hooks,
    dict(type='mmseg_encnet.TrainingCurveHook')
]
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
