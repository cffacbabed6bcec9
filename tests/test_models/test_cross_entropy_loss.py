import pytest
import torch
import torch.nn.functional as F
from mmseg.models.losses import CrossEntropyLoss as MMSegCrossEntropyLoss

from mmseg_encnet.models import CrossEntropyLoss

WEIGHT = [0.5, 2.0, 1.0]


def logits_and_labels():
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 4, 5)
    labels = torch.randint(0, 3, (2, 4, 5))
    labels[0, 1] = 255
    return logits, labels


def test_class_weights_beside_ignored_pixels_are_pytorchs_weighted_mean():
    logits, labels = logits_and_labels()
    loss = CrossEntropyLoss(class_weight=WEIGHT, loss_weight=0.4)
    expected = F.cross_entropy(
        logits, labels, weight=torch.tensor(WEIGHT), ignore_index=255)
    torch.testing.assert_close(
        loss(logits, labels, ignore_index=255), 0.4 * expected)


def test_mmseg_fails_there():
    """The gap the override fills; when mmseg fixes it, the override can go."""
    logits, labels = logits_and_labels()
    with pytest.raises(IndexError, match='255'):
        MMSegCrossEntropyLoss(class_weight=WEIGHT)(
            logits, labels, ignore_index=255)


def test_without_class_weights_it_is_mmsegs():
    logits, labels = logits_and_labels()
    torch.testing.assert_close(
        CrossEntropyLoss()(logits, labels, ignore_index=255),
        MMSegCrossEntropyLoss()(logits, labels, ignore_index=255))
