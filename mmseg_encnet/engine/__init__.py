from .hooks import (NonFiniteLossHook, RNGStateHook, TrainingCurveHook,
                    plot_training_curves)
from .runner import Runner

__all__ = [
    'NonFiniteLossHook', 'RNGStateHook', 'TrainingCurveHook',
    'plot_training_curves', 'Runner'
]
