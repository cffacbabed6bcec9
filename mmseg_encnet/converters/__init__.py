from .pytorch_encoding import convert_pytorch_encoding

__all__ = ['convert_pytorch_encoding']
