from .enc_head import EncHead, EncModule
from .encoding import Encoding
from .se_loss import SELoss, class_presence

__all__ = ['Encoding', 'EncModule', 'EncHead', 'SELoss', 'class_presence']
