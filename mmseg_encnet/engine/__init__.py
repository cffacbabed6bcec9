from .hooks import TrainingCurveHook, plot_training_curves

__all__ = ['TrainingCurveHook', 'plot_training_curves']
