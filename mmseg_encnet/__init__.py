"""EncNet (Context Encoding for Semantic Segmentation) for MMSegmentation.

Importing the package (or ``custom_imports=dict(imports=['mmseg_encnet'])``
in a config) registers ``mmseg_encnet.EncHead`` and ``mmseg_encnet.SELoss``.
"""
from .models import EncHead, EncModule, Encoding, SELoss, class_presence
from .registry import MODELS

__version__ = '0.1.0'
__all__ = [
    'MODELS', 'Encoding', 'EncModule', 'EncHead', 'SELoss', 'class_presence'
]
