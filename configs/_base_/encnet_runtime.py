# mmseg's default runtime, plus our Runner (the config is checked before the
# build, checkpoints are written atomically, --resume keeps the run's seed;
# selected here, so mmseg's tools and `mim train` get it too), a check of
# every training image/label pair before training, a stop at the first
# non-finite loss (before the checkpoint of that iteration is written) and
# RNG states in checkpoints (so that --resume continues exactly where the run
# stopped). The model bases import mmseg_encnet (custom_imports).
_base_ = ['mmseg::_base_/default_runtime.py']
runner_type = 'mmseg_encnet.Runner'
custom_hooks = [
    dict(type='mmseg_encnet.DataCheckHook'),
    dict(type='mmseg_encnet.NonFiniteLossHook'),
    dict(type='mmseg_encnet.RNGStateHook')
]
