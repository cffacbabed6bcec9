"""EncNet (Context Encoding for Semantic Segmentation) for MMSegmentation.

Importing the package (or ``custom_imports=dict(imports=['mmseg_encnet'])``
in a config) registers ``mmseg_encnet.EncHead``, ``mmseg_encnet.SELoss``,
the demo dataset and hooks, and routes mmengine's checkpoint loading through
a restricted unpickler (see :mod:`mmseg_encnet.checkpoint`).
"""
from .checkpoint import use_safe_loaders
from .datasets import DemoStreetDataset
from .engine import TrainingCurveHook
from .models import (CrossEntropyLoss, EncHead, EncModule, Encoding, SELoss,
                     class_presence)
from .registry import DATASETS, HOOKS, MODELS

use_safe_loaders()

__version__ = '0.1.0'
__all__ = [
    'MODELS', 'DATASETS', 'HOOKS', 'CrossEntropyLoss', 'Encoding', 'EncModule',
    'EncHead', 'SELoss', 'class_presence', 'DemoStreetDataset',
    'TrainingCurveHook'
]
