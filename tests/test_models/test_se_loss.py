import pytest
import torch
import torch.nn.functional as F
from mmseg.models.decode_heads.enc_head import EncHead as MMSegEncHead
from mmseg.registry import MODELS

from mmseg_encnet import SELoss, class_presence
from mmseg_encnet.models.se_loss import check_labels


def test_class_presence():
    label = torch.tensor([[[0, 0], [2, 255]], [[255, 255], [255, 255]],
                          [[1, 3], [3, 1]]])
    expected = torch.tensor([[1., 0, 1, 0], [0, 0, 0, 0], [0, 1, 0, 1]])
    torch.testing.assert_close(class_presence(label, 4), expected)
    # (N, 1, H, W) as stacked by mmseg, uint8 labels, another ignore index.
    torch.testing.assert_close(
        class_presence(label.unsqueeze(1).to(torch.uint8), 4), expected)
    torch.testing.assert_close(
        class_presence(label.masked_fill(label == 255, -1), 4, -1), expected)


def test_class_presence_matches_mmseg_histogram():
    label = torch.randint(0, 7, (3, 9, 11))
    label[0, :4] = 255
    label[1] = label[1].clamp(max=2)
    torch.testing.assert_close(
        class_presence(label, 7),
        MMSegEncHead._convert_to_onehot_labels(label, 7).float())


@pytest.mark.parametrize('bad', [19, 254, -1, 1000])
def test_bad_label_values_raise(bad):
    label = torch.zeros(2, 4, 4, dtype=torch.long)
    label[1, 2, 3] = bad
    label[0, 0, 0] = 255
    check_labels(label.masked_fill(label == bad, 18), 19)  # no error
    with pytest.raises(ValueError, match=rf'\{{{bad}\}}.*\[0, 19\)'):
        check_labels(label, 19)


def test_bce_value():
    logits = torch.randn(3, 5)
    label = torch.tensor([0, 1, 4]).view(3, 1, 1).expand(3, 2, 2).clone()
    label[0, 0, 0] = 2
    target = torch.tensor([[1., 0, 1, 0, 0], [0, 1, 0, 0, 0], [0, 0, 0, 0, 1]])
    loss = SELoss(loss_weight=0.5)(logits, class_presence(label, 5))
    torch.testing.assert_close(
        loss, 0.5 * F.binary_cross_entropy_with_logits(logits, target))
    # Same as mmseg's SE loss: sigmoid CE on its one-hot presence targets.
    mmseg_loss = MODELS.build(
        dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=0.5))
    torch.testing.assert_close(
        loss,
        mmseg_loss(logits, MMSegEncHead._convert_to_onehot_labels(label, 5)))


def test_mse_is_the_squared_error_of_the_raw_outputs():
    """As the write-up: ``mse_loss(se_output, exist_class)``, no sigmoid."""
    outputs = torch.randn(2, 3)
    target = torch.tensor([[1., 0, 0], [0, 0, 1]])
    loss = SELoss(loss_type='mse', loss_weight=0.4)(outputs, target)
    torch.testing.assert_close(loss, 0.4 * F.mse_loss(outputs, target))
    none = SELoss(loss_type='mse', reduction='none', loss_weight=1.0)
    torch.testing.assert_close(
        none(outputs, target), F.mse_loss(outputs, target, reduction='none'))


def test_defaults_and_bad_arguments():
    loss = MODELS.build(dict(type='mmseg_encnet.SELoss'))
    assert isinstance(loss, SELoss)
    assert loss.loss_weight == 0.2 and loss.loss_type == 'bce'
    assert loss.loss_name == 'loss_se'
    with pytest.raises(ValueError, match="loss_type.*'ce'"):
        SELoss(loss_type='ce')
    with pytest.raises(ValueError, match=r'\(N, C\)'):
        SELoss()(torch.zeros(2, 3, 4), torch.zeros(2, 4, 4))
    with pytest.raises(ValueError, match=r'\(2, 3\) and \(2, 4\)'):
        SELoss()(torch.zeros(2, 3), torch.zeros(2, 4))


def test_pos_weight_is_torchs_bce_pos_weight():
    logits = torch.randn(4, 3)
    target = torch.tensor([[1., 0, 0], [0, 1, 1], [0, 0, 0], [1, 0, 1]])
    weight = [2.0, 0.5, 7.0]
    loss = SELoss(loss_weight=0.3, pos_weight=weight)(logits, target)
    torch.testing.assert_close(
        loss, 0.3 * F.binary_cross_entropy_with_logits(
            logits, target, pos_weight=torch.tensor(weight)))
    # mse: the squared error of each present class times its weight
    none = SELoss(
        loss_type='mse', pos_weight=weight, reduction='none',
        loss_weight=1.0)(logits, target)
    expected = (logits - target)**2
    expected[target == 1] *= torch.tensor(weight).expand(4, 3)[target == 1]
    torch.testing.assert_close(none, expected)
    # not saved in checkpoints: the config is the source of the weights
    assert SELoss(pos_weight=weight).state_dict() == {}
    with pytest.raises(ValueError, match='pos_weight has 3 classes.* 4'):
        SELoss(pos_weight=weight)(torch.zeros(2, 4), torch.zeros(2, 4))
