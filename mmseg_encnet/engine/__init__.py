from .hooks import NonFiniteLossHook, TrainingCurveHook, plot_training_curves

__all__ = ['NonFiniteLossHook', 'TrainingCurveHook', 'plot_training_curves']
