from .inferencer import EncNetInferencer, save_presence_chart

__all__ = ['EncNetInferencer', 'save_presence_chart']
