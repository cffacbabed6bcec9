from .efficientnet_lite import convert_efficientnet_lite, package_checkpoint
from .pytorch_encoding import (EncNetCheckpoint, config_for,
                               convert_pytorch_encoding, describe)

__all__ = [
    'convert_efficientnet_lite', 'package_checkpoint', 'EncNetCheckpoint',
    'config_for', 'convert_pytorch_encoding', 'describe'
]
