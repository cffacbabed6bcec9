from .backbones import EfficientNetLite
from .cross_entropy_loss import CrossEntropyLoss
from .enc_head import EncHead, EncModule
from .encoding import Encoding
from .se_loss import SELoss, class_presence

__all__ = [
    'EfficientNetLite', 'CrossEntropyLoss', 'Encoding', 'EncModule', 'EncHead',
    'SELoss', 'class_presence'
]
