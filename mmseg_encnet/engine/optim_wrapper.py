"""Mixed-precision training in bfloat16 where mmengine's AMP does not go.

mmengine's ``AmpOptimWrapper`` is float16 with loss scaling and refuses to
run without a GPU/NPU/MLU/MUSA. CPUs with bfloat16 units (AVX512-BF16, AMX)
train about twice as fast under ``torch.autocast('cpu', torch.bfloat16)``;
bfloat16 has float32's exponent range, so no loss scaling is needed. Our
Encoding layer computes in float32 inside, whatever the autocast dtype.
"""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper
from torch import nn

from ..registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class BF16OptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose forward runs under bfloat16 autocast on the
    model's device (CPU or GPU). ``tools/train.py --amp`` selects it on a
    machine without CUDA; a config selects it with
    ``optim_wrapper=dict(type='mmseg_encnet.BF16OptimWrapper', ...)``.

    Args:
        **kwargs: Arguments of :class:`mmengine.optim.OptimWrapper`.
    """

    @contextmanager
    def optim_context(self, model: nn.Module):
        device = next(model.parameters()).device.type
        with super().optim_context(model), torch.autocast(
                device_type=device, dtype=torch.bfloat16):
            yield
