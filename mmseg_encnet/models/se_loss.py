"""Semantic Encoding loss of `EncNet <https://arxiv.org/abs/1803.08904>`_.

The SE branch predicts, from the global context vector, which classes
occur anywhere in the image. Its targets come from the label map: class
``c`` is present in image ``n`` when any pixel of ``n`` carries label ``c``
(:func:`class_presence`, computed by the head).
"""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..registry import MODELS

LOSS_TYPES = ('bce', 'mse')


def check_labels(seg_label: Tensor,
                 num_classes: int,
                 ignore_index: int = 255) -> None:
    """Raise a ``ValueError`` naming the label values outside ``[0, C)``
    that are not ``ignore_index``.

    Args:
        seg_label (Tensor): Label maps of any shape.
        num_classes (int): Number of classes ``C``.
        ignore_index (int): Label that marks unlabelled pixels. Default: 255.
    """
    labels = seg_label.long()
    bad = (labels != ignore_index) & ((labels < 0) | (labels >= num_classes))
    if bad.any():
        values = labels[bad].unique()
        shown = ', '.join(str(v) for v in values[:10].tolist())
        more = f' (and {len(values) - 10} more)' if len(values) > 10 else ''
        raise ValueError(
            f'label values {{{shown}}}{more} are outside [0, {num_classes}) '
            f'and are not ignore_index={ignore_index}; are the labels '
            f'train ids of a {num_classes}-class dataset?')


def class_presence(seg_label: Tensor,
                   num_classes: int,
                   ignore_index: int = 255,
                   dtype: torch.dtype = torch.float32) -> Tensor:
    """Which classes occur in each label map.

    Vectorised (one ``scatter_`` of equal values, deterministic on CUDA).

    Args:
        seg_label (Tensor): Label maps of shape (N, H, W) or (N, 1, H, W).
        num_classes (int): Number of classes ``C``.
        ignore_index (int): Label that marks unlabelled pixels. Default: 255.
        dtype (torch.dtype): dtype of the result. Default: torch.float32.

    Returns:
        Tensor: Presence of shape (N, C), 1 where the class occurs, else 0.

    The labels must be in ``[0, C)`` or ``ignore_index`` (the head checks
    them once per step with :func:`check_labels`); a label ``C`` would be
    dropped with the ignored pixels.
    """
    labels = seg_label.reshape(seg_label.size(0), -1).long()
    # ignored pixels go to an extra bin, dropped
    index = labels.masked_fill(labels == ignore_index, num_classes)
    presence = labels.new_zeros(labels.size(0), num_classes + 1, dtype=dtype)
    return presence.scatter_(1, index, 1)[:, :num_classes]


def semantic_encoding_loss(se_logits: Tensor,
                           presence: Tensor,
                           loss_type: str = 'bce',
                           reduction: str = 'mean',
                           pos_weight: Optional[Tensor] = None) -> Tensor:
    """Loss of the SE branch against class-presence targets.

    Args:
        se_logits (Tensor): SE logits of shape (N, C).
        presence (Tensor): Class-presence targets of shape (N, C) in {0, 1}.
        loss_type (str): ``'bce'``: binary cross-entropy with logits, as in
            the paper. ``'mse'``: squared error between the SE branch's raw
            outputs and the targets, as in the EncNet write-up this project
            follows (``mse_loss(se_output, exist_class)``). Default: 'bce'.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``. Default: 'mean'.
        pos_weight (Tensor, optional): Weight of shape (C,) of each class's
            loss where the class is present (absent: weight 1). None: 1.

    Returns:
        Tensor: The loss, a scalar unless ``reduction='none'`` (N, C).
    """
    if loss_type == 'bce':
        loss = F.binary_cross_entropy_with_logits(
            se_logits, presence, reduction='none')
    else:
        loss = F.mse_loss(se_logits, presence, reduction='none')
    if pos_weight is not None:
        loss = loss * torch.where(presence > 0, pos_weight, 1)
    if reduction == 'mean':
        return loss.mean()
    return loss.sum() if reduction == 'sum' else loss


@MODELS.register_module()
class SELoss(nn.Module):
    """Semantic Encoding loss (SE-loss).

    Scores the SE logits against per-image class-presence targets, which the
    head computes from the label map with its ``ignore_index``
    (:func:`class_presence`).

    Args:
        loss_type (str): ``'bce'`` (the paper; equals mmseg's
            ``CrossEntropyLoss(use_sigmoid=True)``) or ``'mse'`` (squared error
            of the raw outputs). Default: 'bce'.
        loss_weight (float): Weight of the loss. Default: 0.2.
        pos_weight (Sequence[float], optional): Per-class weight of the loss
            where the class is present, e.g. ``(1 - p) / p`` for a class
            present in a fraction ``p`` of the training images, so that its
            rare positives weigh as much as its many negatives. None: the
            paper's unweighted loss. Default: None.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``. Default: 'mean'.
        loss_name (str): Name of the loss item; must start with ``loss_`` to
            be summed into the total loss. Default: 'loss_se'.
    """

    def __init__(self,
                 loss_type: str = 'bce',
                 loss_weight: float = 0.2,
                 pos_weight: Optional[Sequence[float]] = None,
                 reduction: str = 'mean',
                 loss_name: str = 'loss_se') -> None:
        super().__init__()
        if loss_type not in LOSS_TYPES:
            raise ValueError(f'SELoss: loss_type must be one of {LOSS_TYPES},'
                             f' got {loss_type!r}')
        if reduction not in ('none', 'mean', 'sum'):
            raise ValueError("SELoss: reduction must be 'none', 'mean' or "
                             f"'sum', got {reduction!r}")
        self.loss_type = loss_type
        self.loss_weight = loss_weight
        self.pos_weight: Optional[Tensor]
        self.register_buffer(
            'pos_weight',
            None if pos_weight is None else torch.tensor(
                pos_weight, dtype=torch.float32),
            persistent=False)
        self.reduction = reduction
        self._loss_name = loss_name

    def forward(self,
                se_logits: Tensor,
                presence: Tensor,
                reduction_override: Optional[str] = None) -> Tensor:
        """Compute the weighted SE-loss.

        Args:
            se_logits (Tensor): SE logits of shape (N, C).
            presence (Tensor): Class-presence targets of shape (N, C).
            reduction_override (str, optional): Overrides ``reduction``.

        Returns:
            Tensor: The weighted loss.
        """
        if se_logits.dim() != 2 or se_logits.shape != presence.shape:
            raise ValueError(
                'SELoss expects se_logits and class-presence targets of '
                f'shape (N, C), got {tuple(se_logits.shape)} and '
                f'{tuple(presence.shape)}')
        if self.pos_weight is not None and len(
                self.pos_weight) != se_logits.size(1):
            raise ValueError(
                f'SELoss: pos_weight has {len(self.pos_weight)} classes, '
                f'the SE logits {se_logits.size(1)}')
        return self.loss_weight * semantic_encoding_loss(
            se_logits, presence.to(se_logits.dtype), self.loss_type,
            reduction_override or self.reduction, self.pos_weight)

    @property
    def loss_name(self) -> str:
        """Name of the loss item in the loss dict."""
        return self._loss_name
