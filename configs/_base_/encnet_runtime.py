# mmseg's default runtime, plus a stop at the first non-finite loss (before
# the checkpoint of that iteration is written).
_base_ = ['mmseg::_base_/default_runtime.py']
custom_hooks = [dict(type='mmseg_encnet.NonFiniteLossHook')]
