"""Hooks of mmseg_encnet, one per file."""
from .crash_checkpoint_hook import CrashCheckpointHook
from .data_check_hook import DataCheckHook, check_image_label_pairs
from .non_finite_loss_hook import NonFiniteLossHook
from .preemption_hook import PreemptionHook
from .rng_state_hook import RNGStateHook
from .training_curve_hook import (CURVE_KEY, TrainingCurveHook,
                                  plot_training_curves)

__all__ = [
    'CrashCheckpointHook', 'DataCheckHook', 'check_image_label_pairs',
    'NonFiniteLossHook', 'PreemptionHook', 'RNGStateHook', 'TrainingCurveHook',
    'plot_training_curves', 'CURVE_KEY'
]
