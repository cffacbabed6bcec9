"""BF16OptimWrapper: bfloat16 autocast for the forward, float32 weights."""
import torch
from mmseg.registry import OPTIM_WRAPPERS
from torch import nn

from mmseg_encnet.engine import BF16OptimWrapper


def test_forward_in_bfloat16_update_in_float32():
    torch.manual_seed(0)
    model = nn.Linear(4, 2)
    wrapper = OPTIM_WRAPPERS.build(
        dict(
            type='mmseg_encnet.BF16OptimWrapper',
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
