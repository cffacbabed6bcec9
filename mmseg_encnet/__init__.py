"""EncNet (Context Encoding for Semantic Segmentation) for MMSegmentation.

Importing the package (or ``custom_imports=dict(imports=['mmseg_encnet'])``
in a config) registers ``mmseg_encnet.EncHead``, ``mmseg_encnet.SELoss``,
the demo dataset and hooks, and lets mmengine load its own checkpoints with
``torch.load(weights_only=True)``.
"""
from .checkpoint import allow_mmengine_checkpoints
from .datasets import DemoStreetDataset
from .engine import TrainingCurveHook
from .models import EncHead, EncModule, Encoding, SELoss, class_presence
from .registry import DATASETS, HOOKS, MODELS

allow_mmengine_checkpoints()

__version__ = '0.1.0'
__all__ = [
    'MODELS', 'DATASETS', 'HOOKS', 'Encoding', 'EncModule', 'EncHead',
    'SELoss', 'class_presence', 'DemoStreetDataset', 'TrainingCurveHook'
]
