from .hooks import (NonFiniteLossHook, RNGStateHook, TrainingCurveHook,
                    plot_training_curves)

__all__ = [
    'NonFiniteLossHook', 'RNGStateHook', 'TrainingCurveHook',
    'plot_training_curves'
]
