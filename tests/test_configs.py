"""Every shipped config loads and builds its model (pretrained off, BN)."""
import glob
import hashlib
import json
import os.path as osp

import mmseg
import pytest
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmseg.registry import MODELS

from mmseg_encnet import CrossEntropyLoss, EncHead, SELoss
from mmseg_encnet.models import EfficientNetLite
from helpers import ROOT  # noqa: E402

CONFIGS = sorted(
    osp.relpath(p, ROOT) for p in glob.glob(
        osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)
NUM_CLASSES = {
    'cityscapes': 19,
    'ade20k': 150,
    'voc12aug': 21,
    'pascal-context-59': 59,
    'pascal-context-480': 60,
    'demo': 7,
    'camvid': 11,
    'siftflow': 33,
    'encnet_r50.py': 19,
}

RESOLVED = osp.join(ROOT, 'tests', 'data', 'resolved_configs.json')
# Variables that bases share with the configs that use them, read by no
# runner or tool (like mmseg's own crop_size or train_pipeline).
HELPERS = ('se34_head', 'model_delta', 'se_pos_weight', 'lite0_d16')


def canonical(value):
    """A config value as JSON that tells tuples from lists."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {'__tuple__': [canonical(v) for v in value]}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def resolved_digest(path: str) -> str:
    """SHA-256 of a config as mmengine resolves it (bases merged), without
    the helper variables."""
    cfg = Config.fromfile(osp.join(ROOT, path)).to_dict()
    for key in HELPERS:
        cfg.pop(key, None)
    text = json.dumps(canonical(cfg), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize('path', CONFIGS)
def test_config_resolves_as_recorded(path):
    """Refactoring the configs' inheritance must not change what they mean.

    ``tests/data/resolved_configs.json`` holds the digest of every config as
    resolved (bases merged); a change of meaning is deliberate only with a
    new record (``python
    tests/test_configs.py --record``).
    """
    with open(RESOLVED) as f:
        recorded = json.load(f)
    assert resolved_digest(path) == recorded[path], (
        f'{path} resolves differently from the record; print it with '
        f'`python -c "from mmengine import Config; print(Config.fromfile('
        f"'{path}').pretty_text)\"` and compare with git history")


def test_model_zoo_is_complete():
    names = {osp.basename(c) for c in CONFIGS}
    for depth in ('r50', 'r101'):
        for iters in (40, 80):
            for crop in ('512x1024', '769x769'):
                assert (f'encnet_{depth}-d8_4xb2-{iters}k_cityscapes-{crop}.py'
                        in names)
            for ctx in ('pascal-context', 'pascal-context-59'):
                assert (f'encnet_{depth}-d8_4xb4-{iters}k_{ctx}-480x480.py'
                        in names)
        for iters in (80, 160):
            name = f'encnet_{depth}-d8_4xb4-{iters}k_ade20k-512x512.py'
            assert name in names
        assert 'encnet_r50s-d8_4xb4-80k_ade20k-512x512.py' in names
        for iters in (20, 40):
            assert (f'encnet_{depth}-d8_4xb4-{iters}k_voc12aug-512x512.py'
                    in names)


@pytest.mark.parametrize('path', CONFIGS)
def test_config_builds(path):
    cfg = Config.fromfile(osp.join(ROOT, path))
    assert cfg.custom_imports['imports'] == ['mmseg_encnet']
    model_cfg = cfg.model
    model_cfg.pretrained = None
    model = revert_sync_batchnorm(MODELS.build(model_cfg))
    num_classes = next(n for key, n in NUM_CLASSES.items()
                       if key in osp.basename(path))
    assert model.decode_head.num_classes == num_classes
    assert cfg.runner_type == 'mmseg_encnet.Runner'
    assert [h['type'] for h in cfg.custom_hooks][:4] == [
        'mmseg_encnet.DataCheckHook', 'mmseg_encnet.NonFiniteLossHook',
        'mmseg_encnet.RNGStateHook', 'mmseg_encnet.PreemptionHook'
    ]
    if 'fcn' not in path and 'pspnet' not in path:
        assert isinstance(model.decode_head, EncHead)
        assert model.decode_head.use_se_loss == ('nose' not in path)
    if 'nose' not in path and isinstance(model.decode_head, EncHead):
        se_loss = model.decode_head.loss_se_decode
        assert isinstance(se_loss, SELoss) or se_loss.use_sigmoid
        assert se_loss.loss_weight == (1.0 if '-w1' in path else 0.2)
    lateral = ('-lateral' in path
               or 'encnet_lite0' in path and '-nolateral' not in path)
    if isinstance(model.decode_head, EncHead):
        assert model.decode_head.add_lateral == lateral
    if lateral:  # two earlier stages fused into the head's input
        assert len(model.decode_head.lateral_convs) == 2
    if '-mse' in path:  # squared error of the raw outputs: (0 - 1)^2 * 0.2
        loss = model.decode_head.loss_se_decode(
            torch.zeros(1, num_classes), torch.ones(1, num_classes))
        assert float(loss) == pytest.approx(0.2)
    if 'se34' in path:  # SE-loss on stage 3 too: a second EncHead
        assert isinstance(model.auxiliary_head, EncHead)
        assert model.auxiliary_head.use_se_loss
    assert model.auxiliary_head.num_classes == num_classes
    if 'siftflow' in path:  # class-weighted, beside ignored pixels
        for head in (model.decode_head, model.auxiliary_head):
            assert isinstance(head.loss_decode, CrossEntropyLoss)
            weight = head.loss_decode.class_weight
            if '-nocw' in path:
                assert weight is None
            else:
                assert len(weight) == num_classes
    if 'lite0-d16' in path:  # ImageNet-pretrained, output stride 16
        assert isinstance(model.backbone, EfficientNetLite)
        assert (model.backbone.arch, model.backbone.output_stride) == ('lite0',
                                                                       16)
        assert cfg.model.backbone.init_cfg.checkpoint == \
            'efficientnet-lite://lite0'
        return
    depth = 101 if 'r101' in path else 18 if 'r18' in path else 50
    assert model.backbone.depth == depth
    assert model.backbone.dilations == (1, 1, 2, 4)
    assert model.backbone.strides == (1, 2, 1, 1)


def without_scope(cfg):
    """A config dict without the ``_scope_`` keys that mmseg:: bases get."""
    if isinstance(cfg, dict):
        return {k: without_scope(v) for k, v in cfg.items() if k != '_scope_'}
    if isinstance(cfg, (list, tuple)):
        return type(cfg)(without_scope(v) for v in cfg)
    return cfg


@pytest.mark.parametrize('name', [
    osp.basename(p) for p in glob.glob(
        osp.join(osp.dirname(mmseg.__file__), '.mim/configs/encnet/*.py'))
])
def test_zoo_configs_are_mmseg_configs_with_our_head(name):
    """Where mmseg ships a config, ours is it plus our delta."""
    ours = Config.fromfile(osp.join(ROOT, 'configs/encnet', name))
    theirs = Config.fromfile(
        osp.join(osp.dirname(mmseg.__file__), '.mim/configs/encnet', name))
    ours, theirs = without_scope(ours.to_dict()), theirs.to_dict()
    assert ours['model'].pop('decode_head').pop('type') == \
        'mmseg_encnet.EncHead'
    assert theirs['model'].pop('decode_head').pop('type') == 'EncHead'
    for key in ('custom_imports', 'runner_type', 'custom_hooks'):
        ours.pop(key)
    assert ours == theirs


def test_metafile_lists_mmseg_results_and_weights_for_our_configs():
    import yaml
    with open(osp.join(ROOT, 'configs/encnet/metafile.yaml')) as f:
        ours = yaml.safe_load(f)['Models']
    with open(
            osp.join(
                osp.dirname(mmseg.__file__),
                '.mim/configs/encnet/metafile.yaml')) as f:
        theirs = yaml.safe_load(f)['Models']
    assert [m['Name'] for m in ours] == [m['Name'] for m in theirs]
    for mine, ref in zip(ours, theirs):
        assert mine['Results'] == ref['Results']
        assert mine['Weights'] == ref['Weights']
        assert mine['Config'] == f'configs/encnet/{mine["Name"]}.py'
        assert osp.isfile(osp.join(ROOT, mine['Config']))
    with open(osp.join(ROOT, 'mmseg_encnet/.mim/model-index.yml')) as f:
        assert yaml.safe_load(f)['Import'] == ['configs/encnet/metafile.yaml']


if __name__ == '__main__':
    import sys
    if sys.argv[1:] != ['--record']:
        sys.exit('usage: python tests/test_configs.py --record')
    digests = {p: resolved_digest(p) for p in CONFIGS}
    with open(RESOLVED, 'w') as f:
        json.dump(digests, f, indent=1, sort_keys=True)
        f.write('\n')
    print(f'recorded {len(CONFIGS)} configs in {RESOLVED}')
