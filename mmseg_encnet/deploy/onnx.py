"""Export a segmentor to ONNX and check it against PyTorch with onnxruntime.

The exported graph is mmseg's ``mode='tensor'`` forward: normalised images
(N, 3, H, W) in, the decode head's raw outputs out (segmentation logits at
feature resolution and, for EncNet, the SE logits). The Encoding layer
exports as plain MatMul/Softmax operators.
"""
import inspect
from typing import List, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor, nn


class SegmentorTensorMode(nn.Module):
    """``segmentor(inputs, mode='tensor')`` as a module with tensor outputs.
    """

    def __init__(self, segmentor: nn.Module) -> None:
        super().__init__()
        self.segmentor = segmentor

    def forward(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        outputs = self.segmentor(inputs, mode='tensor')
        return tuple(outputs) if isinstance(outputs,
                                            (tuple, list)) else (outputs, )


def output_names(wrapper: SegmentorTensorMode,
                 shape: Sequence[int]) -> List[str]:
    with torch.no_grad():
        count = len(wrapper(torch.zeros(1, 3, *shape)))
    return ['seg_logits', 'se_logits'
            ][:count] + [f'output_{i}' for i in range(2, count)]


def export_onnx(segmentor: nn.Module,
                shape: Sequence[int],
                path: str,
                dynamic: bool = False,
                opset: int = 17) -> SegmentorTensorMode:
    """Export ``segmentor`` (in eval mode) for inputs of ``(1, 3, *shape)``.

    With ``dynamic``, batch, height and width are dynamic axes. Returns the
    eval-mode wrapper that was exported, for checking.
    """
    wrapper = SegmentorTensorMode(segmentor).eval()
    names = output_names(wrapper, shape)
    dynamic_axes = None
    if dynamic:
        dynamic_axes = {'input': {0: 'batch', 2: 'height', 3: 'width'}}
        dynamic_axes.update({
            name: {
                0: 'batch'
            } if name == 'se_logits' else {
                0: 'batch',
                2: 'feat_height',
                3: 'feat_width'
            }
            for name in names
        })
    options = {}
    if 'dynamo' in inspect.signature(torch.onnx.export).parameters:
        options['dynamo'] = False  # torch >= 2.5: keep the TorchScript path
    with torch.no_grad():
        torch.onnx.export(
            wrapper, (torch.zeros(1, 3, *shape), ),
            path,
            input_names=['input'],
            output_names=names,
            dynamic_axes=dynamic_axes,
            opset_version=opset,
            **options)
    wrapper.eval()  # the exporter restores the flag it found; keep it eval
    return wrapper


def check_onnx(path: str, wrapper: SegmentorTensorMode,
               inputs: Sequence[Tensor]) -> List[float]:
    """Largest absolute difference between onnxruntime and PyTorch outputs,
    one per input batch."""
    import onnxruntime

    session = onnxruntime.InferenceSession(
        path, providers=['CPUExecutionProvider'])
    diffs = []
    for batch in inputs:
        with torch.no_grad():
            expected = wrapper(batch)
        got = session.run(None, {'input': batch.numpy()})
        diffs.append(
            max(
                float(np.abs(g - e.numpy()).max())
                for g, e in zip(got, expected)))
    return diffs
