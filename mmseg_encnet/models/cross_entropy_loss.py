"""mmseg's cross-entropy, with class weights that work beside ignored
pixels."""
from typing import Optional

import torch
from mmseg.models.losses import CrossEntropyLoss as MMSegCrossEntropyLoss

from ..registry import MODELS


@MODELS.register_module()
class CrossEntropyLoss(MMSegCrossEntropyLoss):
    """mmseg's ``CrossEntropyLoss``; with ``class_weight`` the mean is
    PyTorch's weighted mean over the labelled pixels.

    Override: mmseg 1.2.2 computes that mean's divisor by indexing
    ``class_weight`` with every label, ignored ones included, and fails on
    any ignored pixel (``IndexError: index 255 is out of bounds``).
    """

    def forward(self,
                cls_score: torch.Tensor,
                label: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[torch.Tensor] = None,
                reduction_override: Optional[str] = None,
                ignore_index: int = -100,
                **kwargs) -> torch.Tensor:
        """``cls_score`` (N, C, H, W) logits, ``label`` (N, H, W) ids."""
        reduction = reduction_override or self.reduction
        if (self.class_weight is not None and not self.use_sigmoid
                and not self.use_mask and avg_factor is None
                and reduction == 'mean'):
            labelled = label[label != ignore_index]
            avg_factor = cls_score.new_tensor(
                self.class_weight)[labelled].sum()
        return super().forward(cls_score, label, weight, avg_factor,
                               reduction_override, ignore_index, **kwargs)
