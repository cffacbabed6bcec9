"""BF16OptimWrapper: bfloat16 autocast for the forward, float32 weights."""
import os

import pytest
import torch
from mmengine.logging import MMLogger
from mmseg.registry import OPTIM_WRAPPERS
from torch import nn

from mmseg_encnet.engine import BF16OptimWrapper
from mmseg_encnet.engine import optim_wrapper as module


def test_forward_in_bfloat16_update_in_float32():
    torch.manual_seed(0)
    model = nn.Linear(4, 2)
    wrapper = OPTIM_WRAPPERS.build(
        dict(
            type='mmseg_encnet.BF16OptimWrapper',
            cpu_fallback=False,
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    assert isinstance(wrapper, BF16OptimWrapper)
    x = torch.randn(3, 4)
    with wrapper.optim_context(model):
        out = model(x)
    assert out.dtype == torch.bfloat16
    assert model(x).dtype == torch.float32  # only inside the context
    loss = out.float().pow(2).mean()
    grad, = torch.autograd.grad(loss, model.weight, retain_graph=True)
    before = model.weight.detach().clone()
    wrapper.update_params(loss)
    assert model.weight.dtype == torch.float32
    torch.testing.assert_close(model.weight.detach(), before - 0.1 * grad)


@pytest.mark.parametrize('units,fallback,dtype,warned', [
    (False, True, torch.float32, True),
    (False, False, torch.bfloat16, False),
    (True, True, torch.bfloat16, False),
])
def test_cpus_without_bfloat16_units_train_in_float32(monkeypatch, capsys,
                                                      units, fallback, dtype,
                                                      warned):
    monkeypatch.setattr(module, 'cpu_has_bf16_units', lambda: units)
    MMLogger.get_instance('test_bf16_fallback')
    model = nn.Linear(4, 2)
    wrapper = BF16OptimWrapper(
        cpu_fallback=fallback,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    for _ in range(2):
        with wrapper.optim_context(model):
            assert model(torch.randn(3, 4)).dtype == dtype
    logged = capsys.readouterr().out
    assert logged.count('training in float32') == int(warned)


def test_cpu_bf16_probe_agrees_with_the_cpu_flags(monkeypatch):
    """torch's capabilities (where torch has them) and, without them, the
    reading of /proc/cpuinfo both say what the kernel's flags say."""
    if not os.path.isfile('/proc/cpuinfo'):
        pytest.skip('no /proc/cpuinfo to check against')
    with open('/proc/cpuinfo') as f:
        flags = set(f.read().split())
    expected = bool(flags & {'avx512_bf16', 'amx_bf16', 'bf16'})
    assert module.cpu_has_bf16_units() is expected
    monkeypatch.delattr(torch.cpu, 'get_capabilities', raising=False)
    assert module.cpu_has_bf16_units() is expected
