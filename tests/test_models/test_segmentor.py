"""A full EncNet EncoderDecoder built from mmseg's EncNet config."""
import os.path as osp

import mmseg
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import mmseg_encnet  # noqa: F401

BN = dict(type='BN', requires_grad=True)


def tiny_encnet_cfg(head_type):
    cfg = Config.fromfile(
        osp.join(
            osp.dirname(mmseg.__file__),
            '.mim/configs/_base_/models/encnet_r50-d8.py'))
    model = cfg.model
    model.pretrained = None
    model.data_preprocessor.size = (32, 32)
    model.backbone.update(
        depth=18, stem_channels=8, base_channels=8, norm_cfg=BN)
    model.decode_head.update(
        type=head_type,
        in_channels=[16, 32, 64],
        channels=16,
        num_codes=4,
        num_classes=5,
        norm_cfg=BN)
    model.auxiliary_head.update(
        in_channels=32, channels=8, num_classes=5, norm_cfg=BN)
    return model


def batch(n=2, size=32):
    torch.manual_seed(0)
    data_samples = []
    for _ in range(n):
        sample = SegDataSample(
            gt_sem_seg=PixelData(data=torch.randint(0, 5, (1, size, size))))
        sample.set_metainfo(
            dict(img_shape=(size, size), ori_shape=(size, size)))
        data_samples.append(sample)
    inputs = [torch.randint(0, 255, (3, size, size)).float() for _ in range(n)]
    return dict(inputs=inputs, data_samples=data_samples)


@pytest.mark.parametrize('head_type', ['mmseg_encnet.EncHead', 'EncHead'])
def test_encoder_decoder_loss_and_predict(head_type):
    model = MODELS.build(tiny_encnet_cfg(head_type))
    assert type(model.decode_head).__module__.startswith(
        'mmseg_encnet' if head_type.startswith('mmseg_encnet') else 'mmseg.')
    data = model.data_preprocessor(batch(), training=True)
    losses = model(**data, mode='loss')
    assert {'decode.loss_ce', 'decode.loss_se', 'aux.loss_ce'} <= set(losses)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    assert model.decode_head.enc_module.encoding[0].codewords.grad is not None

    model.eval()
    with torch.no_grad():
        preds = model(
            **model.data_preprocessor(batch(), False), mode='predict')
    assert len(preds) == 2
    assert preds[0].pred_sem_seg.data.shape == (1, 32, 32)
    assert preds[0].seg_logits.data.shape == (5, 32, 32)


def test_second_enc_head_as_auxiliary():
    cfg = tiny_encnet_cfg('mmseg_encnet.EncHead')
    cfg.auxiliary_head = dict(
        type='mmseg_encnet.EncHead',
        in_channels=32,
        in_index=2,
        channels=8,
        num_codes=4,
        num_classes=5,
        norm_cfg=BN,
        loss_decode=dict(type='CrossEntropyLoss', loss_weight=0.4))
    model = MODELS.build(cfg)
    losses = model(**model.data_preprocessor(batch(), True), mode='loss')
    assert {'decode.loss_se', 'aux.loss_se', 'aux.loss_ce'} <= set(losses)


def test_mmseg_zoo_checkpoint_loads_strictly(tmp_path):
    """A checkpoint of mmseg's EncNet (zoo layout: state_dict + meta) loads
    into our config with strict=True and gives the same logits."""
    from mmengine.runner import load_checkpoint
    torch.manual_seed(0)
    theirs = MODELS.build(tiny_encnet_cfg('EncHead')).eval()
    path = tmp_path / 'encnet_zoo.pth'
    torch.save(
        dict(
            state_dict=theirs.state_dict(),
            meta=dict(dataset_meta=dict(classes=tuple('abcde')))), path)
    ours = MODELS.build(tiny_encnet_cfg('mmseg_encnet.EncHead')).eval()
    load_checkpoint(ours, str(path), strict=True)
    data = theirs.data_preprocessor(batch(), False)
    with torch.no_grad():
        ref = theirs(data['inputs'], mode='tensor')
        out = ours(data['inputs'], mode='tensor')
    for o, r in zip(out, ref):  # measured: 1.9e-7 (10 seeds)
        assert (o - r).abs().max() <= 1e-6 * r.abs().max()
