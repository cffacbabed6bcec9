import copy

import pytest
import torch
from mmseg.models.utils import Encoding as MMSegEncoding

from mmseg_encnet import Encoding
from mmseg_encnet.models.encoding import _EncodingFunction


def naive_encoding(x, codewords, scale):
    """The paper's formula, materialising every residual x_i - d_k."""
    residuals = x.flatten(2).transpose(1, 2).unsqueeze(2) - codewords
    assignment = torch.softmax(scale * residuals.pow(2).sum(3), dim=2)
    return (assignment.unsqueeze(3) * residuals).sum(1)


def make(shape, num_codes, dtype, seed=0):
    torch.manual_seed(seed)
    layer = Encoding(shape[1], num_codes).to(dtype)
    # Codewords at the data's scale, so assignments are soft, not one-hot.
    with torch.no_grad():
        layer.codewords.normal_()
        layer.scale.uniform_(-0.5, -0.05)
    x = torch.randn(shape, dtype=dtype, requires_grad=True)
    return layer, x


@pytest.mark.parametrize('dtype,tol', [(torch.float64, 1e-10),
                                       (torch.float32, 1e-4)])
@pytest.mark.parametrize('shape,num_codes', [((2, 8, 5, 7), 4),
                                             ((3, 6, 1, 1), 5),
                                             ((1, 4, 3, 2), 1),
                                             ((3, 16, 4, 4), 32)])
def test_matches_naive_formula(shape, num_codes, dtype, tol):
    layer, x = make(shape, num_codes, dtype)
    out = layer(x)
    ref = naive_encoding(x, layer.codewords, layer.scale)
    assert out.shape == (shape[0], num_codes, shape[1])
    assert out.dtype == dtype
    torch.testing.assert_close(out, ref, rtol=tol, atol=tol)

    grad_out = torch.randn_like(out)
    params = (x, layer.codewords, layer.scale)
    grads = torch.autograd.grad(out, params, grad_out)
    ref_grads = torch.autograd.grad(ref, params, grad_out)
    for grad, ref_grad in zip(grads, ref_grads):
        torch.testing.assert_close(grad, ref_grad, rtol=tol, atol=tol)


@pytest.mark.parametrize('shape,num_codes', [((2, 4, 3, 3), 3),
                                             ((1, 3, 1, 1), 1),
                                             ((3, 2, 2, 1), 4)])
def test_gradcheck(shape, num_codes):
    layer, x = make(shape, num_codes, torch.float64)
    codewords = layer.codewords.detach().requires_grad_()
    scale = layer.scale.detach().requires_grad_()
    assert torch.autograd.gradcheck(
        lambda x, d, s: _EncodingFunction.apply(x.flatten(2), d, s),
        (x, codewords, scale))


def test_parameters_match_mmseg():
    torch.manual_seed(1)
    ours = Encoding(16, 8)
    torch.manual_seed(1)
    theirs = MMSegEncoding(16, 8)
    assert ours.codewords.shape == (8, 16) and ours.scale.shape == (8, )
    # Same names, shapes and initialisation draws.
    for (name, p), (ref_name, ref) in zip(ours.state_dict().items(),
                                          theirs.state_dict().items()):
        assert name == ref_name
        torch.testing.assert_close(p, ref, rtol=0, atol=0)
    std = 1 / (8 * 16)**0.5
    assert ours.codewords.abs().max() <= std
    assert ((ours.scale >= -1) & (ours.scale <= 0)).all()


def test_matches_mmseg_encoding():
    theirs = MMSegEncoding(12, 6)
    ours = Encoding(12, 6)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(2, 12, 5, 6)
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-6)


# Largest error relative to the largest float32 output, measured over 10
# seeds of make((2, 16, 6, 6), 8) on torch 2.13 and 2.1: autocast (bfloat16
# input, float32 inside) 9.2e-4, a .half() layer 7.7e-4, a .bfloat16() one
# 6.8e-3. The bounds leave about twice that.
TOLERANCE = {'autocast': 2e-3, torch.float16: 1.5e-3, torch.bfloat16: 1.4e-2}


def test_autocast_bf16_computes_in_float32():
    layer, x = make((2, 16, 6, 6), 8, torch.float32)
    ref = layer(x)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = layer(x.bfloat16())
    assert out.dtype == torch.float32
    assert (out - ref).abs().max() <= TOLERANCE['autocast'] * ref.abs().max()


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_half_model_returns_half_computes_float32(dtype):
    layer, x = make((2, 16, 6, 6), 8, torch.float32)
    ref = layer(x)
    half = copy.deepcopy(layer).to(dtype)
    out = half(x.to(dtype))
    assert out.dtype == dtype
    assert (out.float() -
            ref).abs().max() <= TOLERANCE[dtype] * ref.abs().max()


def test_bad_input_shape():
    with pytest.raises(ValueError, match=r'\(B, 8, H, W\)'):
        Encoding(8, 4)(torch.randn(2, 6, 3, 3))
    with pytest.raises(ValueError, match='num_codes'):
        Encoding(8, 0)


def is_denormal(t: torch.Tensor) -> torch.Tensor:
    return (t != 0) & (t.abs() < torch.finfo(t.dtype).tiny)


class DenormalCounter(torch.utils._python_dispatch.TorchDispatchMode):
    """Counts the denormal floats every op reads or writes."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        flat = torch.utils._pytree.tree_flatten((args, kwargs, out))[0]
        self.count += sum(
            int(is_denormal(t).sum()) for t in flat
            if isinstance(t, torch.Tensor) and t.is_floating_point())
        return out


def test_no_denormals_on_bn_relu_features():
    """On features at a BN+ReLU's scale (||x||^2 ~ C/2) the softmax over
    codewords underflows; no op of the layer, forward or backward, reads or
    writes a denormal float, and the result is the formula's."""
    torch.manual_seed(0)
    layer = Encoding(256, 32)  # mmseg's initialisation
    x = torch.randn(2, 256, 16, 16).relu_().requires_grad_()
    grad_out = torch.randn(2, 32, 256)
    ref = naive_encoding(x, layer.codewords, layer.scale)
    with torch.no_grad():  # the plain softmax has denormals here
        logits = layer.scale * (x.flatten(2).transpose(1, 2).unsqueeze(2) -
                                layer.codewords).pow(2).sum(3)
        assert is_denormal(logits.softmax(2)).any()
    counter = DenormalCounter()
    with counter:
        out = layer(x)
        grads = torch.autograd.grad(out, (x, layer.codewords, layer.scale),
                                    grad_out)
    assert counter.count == 0
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4)
    ref_grads = torch.autograd.grad(ref, (x, layer.codewords, layer.scale),
                                    grad_out)
    for grad, ref_grad in zip(grads, ref_grads):
        torch.testing.assert_close(grad, ref_grad, rtol=1e-4, atol=1e-4)
