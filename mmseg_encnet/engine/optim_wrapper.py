"""Mixed-precision training in bfloat16 where mmengine's AMP does not go.

mmengine's ``AmpOptimWrapper`` is float16 with loss scaling and refuses to
run without a GPU/NPU/MLU/MUSA. CPUs with bfloat16 units (AVX512-BF16, AMX)
train about twice as fast under ``torch.autocast('cpu', torch.bfloat16)``;
CPUs without them (AVX2 only) emulate bfloat16, far slower than float32,
so there the wrapper trains in float32.
bfloat16 has float32's exponent range, so no loss scaling is needed. Our
Encoding layer computes in float32 inside, whatever the autocast dtype.
"""
import logging
from contextlib import contextmanager, nullcontext

import torch
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper
from torch import nn

from ..registry import OPTIM_WRAPPERS

# The CPU flags that mean bfloat16 units: x86 (AVX512-BF16, AMX), Arm.
BF16_FLAGS = ('avx512_bf16', 'amx_bf16', 'bf16')


def cpu_has_bf16_units() -> bool:
    """Whether this CPU computes bfloat16 natively: ``torch.cpu.
    get_capabilities()`` where torch has it, else the Linux CPU flags, else
    (an older torch elsewhere) yes."""
    if hasattr(torch.cpu, 'get_capabilities'):
        capabilities = torch.cpu.get_capabilities()
        return any(capabilities.get(flag, False) for flag in BF16_FLAGS)
    try:
        with open('/proc/cpuinfo') as f:
            flags = set(f.read().split())
    except OSError:
        return True
    return bool(flags.intersection(BF16_FLAGS))


@OPTIM_WRAPPERS.register_module()
class BF16OptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose forward runs under bfloat16 autocast on the
    model's device (CPU or GPU). ``tools/train.py --amp`` selects it on a
    machine without CUDA; a config selects it with
    ``optim_wrapper=dict(type='mmseg_encnet.BF16OptimWrapper', ...)``.

    Args:
        cpu_fallback (bool): On a CPU without bfloat16 units, train in
            float32 (with a warning) instead. Default: True.
        **kwargs: Arguments of :class:`mmengine.optim.OptimWrapper`.
    """

    def __init__(self, cpu_fallback: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cpu_fallback = cpu_fallback
        self._autocast = None  # decided on the first forward

    def _use_autocast(self, device: str) -> bool:
        if self._autocast is None:
            self._autocast = (
                device != 'cpu' or not self.cpu_fallback
                or cpu_has_bf16_units())
            if not self._autocast:
                print_log(
                    'BF16OptimWrapper: this CPU has no bfloat16 units '
                    '(AVX512-BF16 or AMX), where bfloat16 is emulated and '
                    'slower than float32: training in float32 '
                    '(cpu_fallback=False forces bfloat16)',
                    logger='current',
                    level=logging.WARNING)
        return self._autocast

    @contextmanager
    def optim_context(self, model: nn.Module):
        device = next(model.parameters()).device.type
        autocast = torch.autocast(
            device_type=device, dtype=torch.bfloat16) if self._use_autocast(
                device) else nullcontext()
        with super().optim_context(model), autocast:
            yield
