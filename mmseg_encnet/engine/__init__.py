from .hooks import (CrashCheckpointHook, DataCheckHook, NonFiniteLossHook,
                    PreemptionHook, RNGStateHook, TrainingCurveHook,
                    check_image_label_pairs, plot_training_curves)
from .optim_wrapper import BF16OptimWrapper
from .runner import Runner, compile_network

__all__ = [
    'CrashCheckpointHook', 'DataCheckHook', 'check_image_label_pairs',
    'NonFiniteLossHook', 'PreemptionHook', 'RNGStateHook', 'TrainingCurveHook',
    'plot_training_curves', 'BF16OptimWrapper', 'Runner', 'compile_network'
]
