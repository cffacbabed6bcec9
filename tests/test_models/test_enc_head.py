import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.decode_heads.enc_head import EncHead as MMSegEncHead
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmseg_encnet import EncHead, Encoding, SELoss

BN = dict(type='BN')


def inputs(batch=2, size=8, channels=(4, 8, 16, 32)):
    torch.manual_seed(0)
    return [torch.randn(batch, c, size, size) for c in channels]


def samples(batch=2, size=32, num_classes=5):
    torch.manual_seed(1)
    out = []
    for _ in range(batch):
        label = torch.randint(0, num_classes, (1, size, size))
        label[0, :3] = 255
        sample = SegDataSample(gt_sem_seg=PixelData(data=label))
        sample.set_metainfo(
            dict(img_shape=(size, size), pad_shape=(size, size)))
        out.append(sample)
    return out


def head_cfg(type='mmseg_encnet.EncHead', **kwargs):
    cfg = dict(
        type=type,
        in_channels=[8, 16, 32],
        in_index=(1, 2, 3),
        channels=16,
        num_codes=4,
        num_classes=5,
        norm_cfg=BN)
    cfg.update(kwargs)
    return cfg


@pytest.mark.parametrize('add_lateral', [False, True])
@pytest.mark.parametrize('use_se_loss', [False, True])
def test_forward_shapes(use_se_loss, add_lateral):
    head = MODELS.build(
        head_cfg(use_se_loss=use_se_loss, add_lateral=add_lateral))
    assert isinstance(head, EncHead)
    assert hasattr(head, 'fusion') == add_lateral
    assert hasattr(head, 'se_layer') == use_se_loss
    out = head(inputs())
    if use_se_loss:
        seg_logits, se_logits = out
        assert se_logits.shape == (2, 5)
    else:
        seg_logits = out
    assert seg_logits.shape == (2, 5, 8, 8)

    losses = head.loss(inputs(), samples(), train_cfg={})
    expected = {'loss_ce', 'acc_seg'} | ({'loss_se'} if use_se_loss else set())
    assert set(losses) == expected
    assert all(torch.isfinite(v).all() for v in losses.values())

    pred = head.predict(inputs(), [s.metainfo for s in samples()], {})
    assert pred.shape == (2, 5, 32, 32)


def test_single_level_auxiliary_head():
    head = MODELS.build(head_cfg(in_channels=16, in_index=2, add_lateral=True))
    assert head.in_channels == [16] and head.in_index == [2]
    seg_logits, se_logits = head(inputs())
    assert seg_logits.shape == (2, 5, 8, 8) and se_logits.shape == (2, 5)
    losses = head.loss(inputs(), samples(), train_cfg={})
    assert set(losses) == {'loss_ce', 'acc_seg', 'loss_se'}


def test_default_se_loss_and_bad_arguments():
    head = MODELS.build(head_cfg())
    assert isinstance(head.loss_se_decode, SELoss)
    assert head.loss_se_decode.loss_weight == 0.2
    with pytest.raises(ValueError, match='num_codes'):
        MODELS.build(head_cfg(num_codes=0))
    with pytest.raises(ValueError, match='loss_type'):
        MODELS.build(
            head_cfg(
                loss_se_decode=dict(
                    type='mmseg_encnet.SELoss', loss_type='l1')))


def test_bad_labels_raise_before_pixel_loss():
    head = MODELS.build(head_cfg())
    data_samples = samples()
    data_samples[1].gt_sem_seg.data[0, 10, 10] = 33
    data_samples[1].set_metainfo(dict(seg_map_path='data/b_labelIds.png'))
    with pytest.raises(
            ValueError, match=r'\{33\}.*\[0, 5\).*\[.data/b_labelIds.png.\]'):
        head.loss(inputs(), data_samples, train_cfg={})


@pytest.mark.parametrize('add_lateral', [False, True])
@pytest.mark.parametrize('train', [False, True])
def test_loads_mmseg_state_dict_and_matches_outputs(add_lateral, train):
    se_cfg = dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=0.2)
    torch.manual_seed(3)
    theirs = MODELS.build(
        head_cfg(
            type='EncHead', add_lateral=add_lateral, loss_se_decode=se_cfg))
    # Move BN statistics away from their initial values.
    theirs.train()
    for _ in range(2):
        theirs(inputs())
    ours = MODELS.build(
        head_cfg(add_lateral=add_lateral, loss_se_decode=se_cfg))
    ours.load_state_dict(theirs.state_dict(), strict=True)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.train(train)
    ours.train(train)
    torch.manual_seed(4)
    their_seg, their_se = theirs(inputs())
    torch.manual_seed(4)
    our_seg, our_se = ours(inputs())
    # measured: 7.4e-7 of the largest output (10 seeds, both settings)
    for out, ref in ((our_seg, their_seg), (our_se, their_se)):
        assert (out - ref).abs().max() <= 2e-6 * ref.abs().max()
    if train:
        torch.manual_seed(5)
        their_losses = theirs.loss(inputs(), samples(), train_cfg={})
        torch.manual_seed(5)
        our_losses = ours.loss(inputs(), samples(), train_cfg={})
        assert set(our_losses) == set(their_losses)
        for key in our_losses:
            torch.testing.assert_close(
                our_losses[key], their_losses[key], rtol=1e-4, atol=1e-5)


def test_default_se_loss_equals_mmseg_se_loss():
    se_cfg = dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=0.2)
    theirs = MODELS.build(head_cfg(type='EncHead', loss_se_decode=se_cfg))
    ours = MODELS.build(head_cfg())
    ours.load_state_dict(theirs.state_dict())
    torch.manual_seed(6)
    their_loss = theirs.loss(inputs(), samples(), train_cfg={})['loss_se']
    torch.manual_seed(6)
    our_loss = ours.loss(inputs(), samples(), train_cfg={})['loss_se']
    torch.testing.assert_close(our_loss, their_loss, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('add_lateral', [False, True])
def test_a_seed_gives_mmsegs_initial_weights(add_lateral):
    """Same weights for the same seed, and the random state left as mmseg's
    head leaves it (so the rest of a network initialises alike)."""
    torch.manual_seed(8)
    theirs = MODELS.build(head_cfg(type='EncHead', add_lateral=add_lateral))
    their_next = torch.rand(4)
    torch.manual_seed(8)
    ours = MODELS.build(head_cfg(add_lateral=add_lateral))
    our_next = torch.rand(4)
    assert isinstance(ours.enc_module.encoding[0], Encoding)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert torch.equal(ours.state_dict()[key], value), key
    assert torch.equal(our_next, their_next)


# Largest error relative to the largest float32 output, measured over 10
# seeds (torch 2.13 and 2.1, both outputs): autocast bfloat16 5.6e-3, a
# .bfloat16() head 8.2e-3, a .half() head 1.2e-3 (bfloat16 keeps 8 bits:
# 3.9e-3 per rounding). The bounds leave about twice that.
TOLERANCE = {'autocast': 1e-2, torch.bfloat16: 1.6e-2, torch.float16: 2.5e-3}


def assert_close_to_max(out: torch.Tensor, ref: torch.Tensor,
                        tolerance: float) -> None:
    error = float((out.float() - ref).abs().max() / ref.abs().max())
    assert error <= tolerance, f'error {error:.2e} > {tolerance:.1e}'


def test_autocast_bf16_head():
    head = MODELS.build(head_cfg()).eval()
    with torch.no_grad():
        ref_seg, ref_se = head(inputs())
        with torch.autocast('cpu', dtype=torch.bfloat16):
            seg, se = head(inputs())
    assert seg.dtype == torch.bfloat16 and se.dtype == torch.bfloat16
    assert_close_to_max(seg, ref_seg, TOLERANCE['autocast'])
    assert_close_to_max(se, ref_se, TOLERANCE['autocast'])


def test_se_targets_use_the_heads_ignore_index():
    head = MODELS.build(head_cfg(ignore_index=250))
    data_samples = samples()
    for sample in data_samples:
        label = sample.gt_sem_seg.data
        label[label == 255] = 250
    losses = head.loss(inputs(), data_samples, train_cfg={})
    assert set(losses) == {'loss_ce', 'acc_seg', 'loss_se'}
    # 250 is ignored: the targets are the presence of the other labels.
    torch.manual_seed(0)
    se_logits = head(inputs())[1]
    labels = torch.stack([s.gt_sem_seg.data[0] for s in data_samples])
    target = torch.stack([
        torch.bincount(lab[lab != 250], minlength=5).clamp(max=1)
        for lab in labels
    ]).float()
    torch.testing.assert_close(
        losses['loss_se'],
        0.2 * F.binary_cross_entropy_with_logits(se_logits, target))


@pytest.mark.parametrize('use_se_loss', [False, True])
def test_labels_are_checked_once_per_step(use_se_loss, monkeypatch):
    """One check (one host sync) per step, SE targets included."""
    from mmseg_encnet.models import enc_head, se_loss
    check, calls = se_loss.check_labels, []

    def counted(seg_label, *args):
        calls.append(tuple(seg_label.shape))
        check(seg_label, *args)

    for module in (enc_head, se_loss):
        monkeypatch.setattr(module, 'check_labels', counted)
    head = MODELS.build(head_cfg(use_se_loss=use_se_loss))
    head.loss(inputs(), samples(), train_cfg={})
    assert calls == [(2, 32, 32)]


def test_label_check_without_se_loss():
    head = MODELS.build(head_cfg(use_se_loss=False))
    data_samples = samples()
    data_samples[0].gt_sem_seg.data[0, 5, 5] = 7
    with pytest.raises(ValueError, match=r'\{7\}.*\[0, 5\)'):
        head.loss(inputs(), data_samples, train_cfg={})


@pytest.mark.parametrize('se_cfg,key', [
    (dict(type='mmseg_encnet.SELoss',
          loss_name='loss_presence'), 'loss_presence'),
    (dict(type='CrossEntropyLoss', use_sigmoid=True), 'loss_se'),
])
def test_se_loss_is_keyed_by_its_loss_name(se_cfg, key):
    head = MODELS.build(head_cfg(loss_se_decode=se_cfg))
    losses = head.loss(inputs(), samples(), train_cfg={})
    assert set(losses) == {'loss_ce', 'acc_seg', key}


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_half_precision_model(dtype):
    """A .half()/.bfloat16() head runs (fp16 deployment) and stays close
    to float32."""
    try:  # torch < 2.2 has no float16 convolution on the CPU
        F.conv2d(
            torch.ones(1, 1, 1, 1, dtype=dtype),
            torch.ones(1, 1, 1, 1, dtype=dtype))
    except RuntimeError as error:
        pytest.skip(f'this torch cannot convolve {dtype} on the CPU: {error}')
    head = MODELS.build(head_cfg()).eval()
    with torch.no_grad():
        ref_seg, ref_se = head(inputs())
        half = copy.deepcopy(head).to(dtype)
        seg, se = half([x.to(dtype) for x in inputs()])
    assert seg.dtype == dtype and se.dtype == dtype
    assert_close_to_max(seg, ref_seg, TOLERANCE[dtype])
    assert_close_to_max(se, ref_se, TOLERANCE[dtype])


def test_subclasses_mmseg_with_our_modules_inside():
    from mmseg.models.decode_heads.enc_head import EncModule as MMSegEncModule
    from mmseg.models.utils import Encoding as MMSegEncoding

    from mmseg_encnet import EncModule, Encoding
    ours = MODELS.build(head_cfg())
    assert isinstance(ours, MMSegEncHead)
    assert type(ours.enc_module) is EncModule
    assert isinstance(ours.enc_module, MMSegEncModule)
    assert type(ours.enc_module.encoding[0]) is Encoding
    assert isinstance(ours.enc_module.encoding[0], MMSegEncoding)
    module = EncModule(8, num_codes=4, norm_cfg=BN)  # built directly too
    assert type(module.encoding[0]) is Encoding


def test_pooling_context_is_global_average_pooling_under_the_same_gate():
    torch.manual_seed(0)
    head = MODELS.build(head_cfg(context='pooling')).eval()
    module = head.enc_module
    assert not any('codewords' in k for k in head.state_dict())
    x = torch.randn(2, 16, 5, 6)
    with torch.no_grad():
        context, out = module(x)
        pooled = module.encoding_project(x).mean((2, 3))
        gamma = module.fc(pooled)[..., None, None]
        torch.testing.assert_close(context, pooled)
        torch.testing.assert_close(out, F.relu(x + x * gamma))
    # the rest of the network starts as EncNet's for the same seed
    torch.manual_seed(0)
    encoding = MODELS.build(head_cfg()).eval()
    for key, value in head.state_dict().items():
        assert torch.equal(value, encoding.state_dict()[key]), key
    assert 'context=\'pooling\'' in repr(head)
    with pytest.raises(ValueError, match="context must be one of.*'gap'"):
        MODELS.build(head_cfg(context='gap'))
