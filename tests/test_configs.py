"""Every shipped config loads and builds its model (pretrained off, BN)."""
import difflib
import glob
import itertools
import os
import os.path as osp
import re
import shutil
import tempfile
from typing import Dict, List

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

RESOLVED = osp.join(ROOT, 'tests', 'data', 'resolved_configs')
# Variables that bases share with the configs that use them, read by no
# runner or tool (like mmseg's own crop_size or train_pipeline).
HELPERS = ('se34_head', 'se_pos_weight', 'lite0_d16')


def mmseg_bases(path: str) -> List[str]:
    """The ``mmseg::`` bases a config inherits, through our own bases."""
    found = []
    for base in Config._get_base_files(path):
        if base.startswith('mmseg::'):
            found.append(base)
        else:
            found += mmseg_bases(osp.join(osp.dirname(path), base))
    return found


def flat(value, key: str = '') -> Dict[str, str]:
    """``{'a.b[0].c': repr}`` of a config value: one line per leaf, so a
    difference reads as the keys it touches (``(i)`` indexes tuples)."""
    if isinstance(value, dict) and value:
        return {
            k: v
            for name in sorted(value)
            for k, v in flat(value[name],
                             f'{key}.{name}' if key else name).items()
        }
    if isinstance(value,
                  (list, tuple)) and any(isinstance(v, dict) for v in value):
        brackets = '[]' if isinstance(value, list) else '()'
        return {
            k: v
            for i, item in enumerate(value)
            for k, v in flat(item,
                             f'{key}{brackets[0]}{i}{brackets[1]}').items()
        }
    return {key: repr(value)}


def resolved_text(path: str) -> str:
    """A config as mmengine resolves it (bases merged, helper variables
    left out), one ``key = value`` line per leaf; where it builds on mmseg's
    configs, only the lines that differ from theirs (merged as it merges
    them), so an mmseg release changes the record only where it changes
    what we set."""
    full = osp.join(ROOT, path)
    cfg = Config.fromfile(full).to_dict()
    for key in HELPERS:
        cfg.pop(key, None)
    ours, lines = flat(cfg), []
    bases = mmseg_bases(full)
    if bases:
        theirs = flat(merged_mmseg(bases))
        lines.append(f'# delta over {", ".join(bases)}')
        lines += [f'{k} = {v}' for k, v in ours.items() if theirs.get(k) != v]
        lines += [f'{k} deleted' for k in theirs if k not in ours]
    else:
        lines += [f'{k} = {v}' for k, v in ours.items()]
    return '\n'.join(lines) + '\n'


def merged_mmseg(bases: List[str]) -> dict:
    """mmseg's configs ``bases`` merged as a config listing them would."""
    with tempfile.TemporaryDirectory() as folder:
        config = osp.join(folder, 'bases.py')
        with open(config, 'w') as f:
            f.write(f'_base_ = {bases!r}\n')
        return Config.fromfile(config).to_dict()


def record_path(path: str) -> str:
    return osp.join(RESOLVED, osp.relpath(path, 'configs')[:-3] + '.txt')


@pytest.mark.parametrize('path', CONFIGS)
def test_config_resolves_as_recorded(path):
    """Refactoring the configs' inheritance must not change what they mean.

    ``tests/data/resolved_configs/`` holds every config as resolved
    (:func:`resolved_text`); a change of meaning is deliberate only with a
    new record (``python tests/test_configs.py --record``).
    """
    with open(record_path(path)) as f:
        recorded = f.read()
    now = resolved_text(path)
    diff = ''.join(
        difflib.unified_diff(
            recorded.splitlines(True), now.splitlines(True),
            osp.relpath(record_path(path), ROOT), f'{path} now'))
    assert now == recorded, (
        f'{path} resolves differently from its record:\n{diff}')


def zoo_readme() -> Dict[str, str]:
    """Each config ``configs/encnet/README.md`` names (its results table,
    brace patterns expanded; its variant list, ``name_*``) with the table's
    mIoU ('' for variants)."""
    with open(osp.join(ROOT, 'configs/encnet/README.md')) as f:
        text = f.read()
    named = {}
    for row in re.findall(r'^\| (encnet_\S+)[^|]*\|(.*)$', text, re.M):
        parts = re.split(r'\{([^}]*)\}', row[0])
        miou = row[1].split('|')[3].strip()
        for choice in itertools.product(*(p.split(',') for p in parts[1::2])):
            name = ''.join(p + c for p, c in zip(parts[::2], (*choice, '')))
            named[name] = miou
    zoo = [
        osp.basename(c)[:-3] for c in CONFIGS
        if c.startswith('configs/encnet/')
    ]
    for prefix in re.findall(r'^- `(encnet_\S+)_\*`', text, re.M):
        matches = [n for n in zoo if n.startswith(prefix + '_')]
        assert len(matches) == 1, (prefix, matches)
        named[matches[0]] = ''
    return named


def test_model_zoo_is_complete():
    """The zoo's README, its metafile and its files agree, and the zoo has
    each of mmseg's EncNet configs (under mmseg's name)."""
    import yaml
    zoo = {
        osp.basename(c)[:-3]
        for c in CONFIGS if c.startswith('configs/encnet/')
    }
    readme = zoo_readme()
    assert set(readme) == zoo
    theirs = {
        osp.basename(p)[:-3]
        for p in glob.glob(
            osp.join(osp.dirname(mmseg.__file__), '.mim/configs/encnet/*.py'))
    }
    assert theirs <= zoo
    with open(osp.join(ROOT, 'configs/encnet/metafile.yaml')) as f:
        models = yaml.safe_load(f)['Models']
    published = {m['Name']: m['Results']['Metrics']['mIoU'] for m in models}
    # the metafile holds the configs with mmseg weights, the README their
    # mIoU and a dash for the others
    assert published == {
        n: float(v)
        for n, v in readme.items() if v not in ('', '—')
    }


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
        assert model.decode_head.context == ('pooling'
                                             if '-gap' in path else 'encoding')
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
    shutil.rmtree(RESOLVED, ignore_errors=True)
    for path in CONFIGS:
        os.makedirs(osp.dirname(record_path(path)), exist_ok=True)
        with open(record_path(path), 'w') as f:
            f.write(resolved_text(path))
    print(f'recorded {len(CONFIGS)} configs in {RESOLVED}')
