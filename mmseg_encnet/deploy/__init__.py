from .onnx import SegmentorTensorMode, check_onnx, export_onnx

__all__ = ['SegmentorTensorMode', 'export_onnx', 'check_onnx']
