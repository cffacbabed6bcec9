"""Encoding layer of `EncNet <https://arxiv.org/abs/1803.08904>`_.

The layer learns ``K`` codewords ``d_k`` and smoothing factors ``s_k`` and
encodes a feature map ``X = {x_i}`` (``N = H*W`` vectors of ``C`` channels)
into ``K`` aggregated residuals::

    a_ik = softmax_k(s_k * ||x_i - d_k||^2)          (assignment)
    e_k  = sum_i a_ik * (x_i - d_k)                  (residual encoding)

A direct implementation materialises the ``(B, N, K, C)`` residual tensor
(two 512x1024 Cityscapes crops at stride 8, C=512, K=32:
2·8192·32·512 floats, 1.07 GB). This file holds only the fast
path, which never does: the distances come from
``||x||^2 - 2 x.d + ||d||^2`` and the encoding from ``A^T X - (sum_i a_i) d``,
both matrix products, and a hand-written backward that keeps only the
``(B, N, K)`` assignment and distance tensors. The plain formula lives in the
tests as the oracle.
"""
from typing import Tuple

import torch
from mmseg.models.utils import Encoding as MMSegEncoding
from torch import Tensor
from torch.autograd.function import FunctionCtx, once_differentiable


def _autocast_enabled_before_2_4(device_type: str) -> bool:
    if device_type == 'cpu':
        return torch.is_autocast_cpu_enabled()
    return torch.is_autocast_enabled()


def _has_device_autocast_query() -> bool:
    try:  # torch >= 2.4 takes the device type
        torch.is_autocast_enabled('cpu')
        return True
    except TypeError:
        return False


# Whether autocast is on for a device type, on any supported torch; chosen
# once here, so that torch.compile traces a plain call.
autocast_enabled = (
    torch.is_autocast_enabled
    if _has_device_autocast_query() else _autocast_enabled_before_2_4)


def scaled_distances(x: Tensor, codewords: Tensor,
                     scale: Tensor) -> Tuple[Tensor, Tensor]:
    """Scaled squared distances between features and codewords.

    Args:
        x (Tensor): Features of shape (B, C, N).
        codewords (Tensor): Codewords of shape (K, C).
        scale (Tensor): Smoothing factors of shape (K,).

    Returns:
        tuple[Tensor, Tensor]: ``s_k * ||x_i - d_k||^2`` and the unscaled
        squared distances, both of shape (B, N, K).
    """
    # (B, N, K) = -2 x^T d + ||d||^2, then + ||x||^2 per row.
    dist = torch.bmm(
        x.transpose(1, 2),
        codewords.t().mul(-2).expand(x.size(0), -1, -1))
    dist += codewords.pow(2).sum(1)
    dist += torch.linalg.vector_norm(x, dim=1).pow(2).unsqueeze(2)
    dist.clamp_(min=0)  # rounding can push ||x - d||^2 of near pairs below 0
    return dist * scale, dist


def _residual_encoding(assignment: Tensor, x: Tensor,
                       codewords: Tensor) -> Tensor:
    """Residual encoding ``e_k = sum_i a_ik (x_i - d_k)``.

    Args:
        assignment (Tensor): Soft-assignment weights of shape (B, N, K).
        x (Tensor): Features of shape (B, C, N).
        codewords (Tensor): Codewords of shape (K, C).

    Returns:
        Tensor: Encoded features of shape (B, K, C).
    """
    encoded = torch.bmm(x, assignment).transpose(1, 2)  # (B, K, C) = A^T X
    return encoded - assignment.sum(1).unsqueeze(2) * codewords


# Assignments below exp(-69) ~ 1e-30 of the largest are set to exactly 0, and
# so are gradients below 1e-30: on features of a BN+ReLU (||x||^2 ~ C/2) the
# softmax over codewords is sharp, and what it would underflow to are
# denormal floats (below 1.2e-38), on which many CPUs' products run a slow
# path (14x slower layers). The changes are of the order of 1e-30; no
# floating-point mode of the process is touched.
LOG_MIN_ASSIGNMENT = -69.0
MIN_GRADIENT = 1e-30


def assign(logits: Tensor) -> Tensor:
    """Softmax over codewords without denormal results.

    Args:
        logits (Tensor): ``s_k * ||x_i - d_k||^2`` of shape (B, N, K);
            overwritten.

    Returns:
        Tensor: Assignment weights of shape (B, N, K): the softmax, with the
        entries below ``exp(LOG_MIN_ASSIGNMENT)`` of the row's largest 0.
    """
    logits -= logits.amax(2, keepdim=True)
    return logits.masked_fill_(logits < LOG_MIN_ASSIGNMENT,
                               float('-inf')).softmax(dim=2)


class _EncodingFunction(torch.autograd.Function):
    """Encoding with a backward that keeps only (B, N, K) tensors."""

    @staticmethod
    def forward(ctx: FunctionCtx, x: Tensor, codewords: Tensor,
                scale: Tensor) -> Tensor:
        logits, dist = scaled_distances(x, codewords, scale)
        assignment = assign(logits)
        ctx.save_for_backward(x, codewords, scale, assignment, dist)
        return _residual_encoding(assignment, x, codewords)

    @staticmethod
    @once_differentiable
    def backward(ctx: FunctionCtx,
                 grad_encoded: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        x, codewords, scale, assignment, dist = ctx.saved_tensors
        grad_encoded = grad_encoded.contiguous()  # (B, K, C)

        # Through the aggregation: dE/dA and the -a_k d_k term for dD.
        grad_assign = torch.bmm(
            x.transpose(1, 2), grad_encoded.transpose(1, 2))  # X G^T
        grad_assign -= (grad_encoded * codewords).sum(2).unsqueeze(1)
        grad_codewords = -(assignment.sum(1).unsqueeze(2) *
                           grad_encoded).sum(0)

        # Through the softmax over codewords.
        grad_logits = grad_assign.sub_(
            (grad_assign * assignment).sum(2, keepdim=True)).mul_(assignment)
        grad_logits.masked_fill_(grad_logits.abs() < MIN_GRADIENT, 0)
        grad_scale = (grad_logits * dist).sum((0, 1))
        grad_dist = grad_logits.mul_(scale).mul_(dist > 0)

        # Through ||x - d||^2: d/dx = 2 (x - d), d/dd = 2 (d - x).
        row_sum = grad_dist.sum(2)  # (B, N)
        col_sum = grad_dist.sum((0, 1))  # (K,)
        # dX = G^T A^T - 2 D^T dDist^T as one product over 2K, (B, C, N).
        left = torch.cat([
            grad_encoded.transpose(1, 2),
            codewords.t().mul(-2).expand(x.size(0), -1, -1)
        ], 2)
        right = torch.cat([assignment, grad_dist], 2).transpose(1, 2)
        grad_x = torch.bmm(left, right)
        grad_x.addcmul_(x, row_sum.unsqueeze(1), value=2)
        grad_codewords += 2 * (
            codewords * col_sum.unsqueeze(1) -
            torch.bmm(x, grad_dist).sum(0).t())
        return grad_x, grad_codewords, grad_scale


class Encoding(MMSegEncoding):
    """Encoding layer: a learnable residual encoder with soft assignment.

    mmseg's ``Encoding`` (same parameters, names, shapes and initialisation,
    so checkpoints are interchangeable) with the fast forward above. The
    static methods ``scaled_l2`` and ``aggregate`` it inherits are mmseg's,
    unchanged (the direct formulas, ``(B, N, C)`` features).
    Distances are computed in float32 (or float64 for float64 input) even
    for half-precision input, since ``||x||^2 - 2 x.d + ||d||^2`` cancels
    badly in half precision.

    Args:
        channels (int): Feature channels ``C``.
        num_codes (int): Number of codewords ``K``.
    """

    def __init__(self, channels: int, num_codes: int) -> None:
        if channels < 1 or num_codes < 1:
            raise ValueError('Encoding needs channels >= 1 and num_codes >= 1,'
                             f' got channels={channels}, '
                             f'num_codes={num_codes}')
        super().__init__(channels, num_codes)

    def forward(self, x: Tensor) -> Tensor:
        """Encode a feature map.

        Args:
            x (Tensor): Features of shape (B, C, H, W).

        Returns:
            Tensor: Encoded features of shape (B, K, C): float32 under
            autocast (the layers after it choose their precision), else of
            ``x``'s dtype (a ``.half()`` model stays half).
        """
        if x.dim() != 4 or x.size(1) != self.channels:
            raise ValueError(f'Encoding expects input of shape (B, '
                             f'{self.channels}, H, W), got {tuple(x.shape)}')
        dtype = torch.promote_types(x.dtype, torch.float32)
        autocast = autocast_enabled(x.device.type)
        with torch.autocast(device_type=x.device.type, enabled=False):
            encoded = _EncodingFunction.apply(
                x.flatten(2).to(dtype), self.codewords.to(dtype),
                self.scale.to(dtype))
        return encoded if autocast else encoded.to(x.dtype)
