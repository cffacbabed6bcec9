# mmseg's default runtime, plus: a check of every training image/label pair
# before training, a stop at the first non-finite loss (before the checkpoint
# of that iteration is written) and RNG states in checkpoints (so that
# --resume continues exactly where the run stopped).
_base_ = ['mmseg::_base_/default_runtime.py']
custom_hooks = [
    dict(type='mmseg_encnet.DataCheckHook'),
    dict(type='mmseg_encnet.NonFiniteLossHook'),
    dict(type='mmseg_encnet.RNGStateHook')
]
