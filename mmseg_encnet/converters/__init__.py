from .pytorch_encoding import (EncNetCheckpoint, config_for,
                               convert_pytorch_encoding, describe)

__all__ = [
    'EncNetCheckpoint', 'config_for', 'convert_pytorch_encoding', 'describe'
]
