"""CamVid (SegNet's 11-class split) from ../shared/camvid, when it is there.

The data is research-use only and never copied into the repo: these tests
read it where the project's machines keep it and skip cleanly elsewhere.
"""
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from mmseg.registry import DATASETS
from PIL import Image

from mmseg_encnet.datasets.camvid import CLASSES, PALETTE
from helpers import ROOT  # noqa: E402

CAMVID = osp.realpath(osp.join(ROOT, '..', 'shared', 'camvid'))
CONFIG = osp.join(ROOT, 'configs/camvid/encnet_r18-d8_camvid.py')
pytestmark = pytest.mark.skipif(
    not osp.isdir(CAMVID), reason=f'CamVid is not at {CAMVID}')


def build(split, pipeline=()):
    return DATASETS.build(
        dict(
            type='mmseg_encnet.CamVidDataset',
            data_root=CAMVID,
            data_prefix=dict(img_path=split, seg_map_path=f'{split}annot'),
            pipeline=list(pipeline)))


def test_classes_palette_and_pairs():
    assert len(CLASSES) == len(PALETTE) == 11
    for split, count in (('train', 367), ('val', 101)):
        dataset = build(split)
        assert len(dataset) == count
        assert dataset.metainfo['classes'] == CLASSES
        with open(osp.join(CAMVID, f'{split}.txt')) as f:
            listed = sorted(osp.basename(line.split()[0]) for line in f)
        assert sorted(
            osp.basename(dataset.get_data_info(i)['img_path'])
            for i in range(len(dataset))) == listed
        info = dataset.get_data_info(0)
        assert osp.basename(info['img_path']) == osp.basename(
            info['seg_map_path'])
        assert info['seg_map_path'].startswith(
            osp.join(CAMVID, f'{split}annot'))


def test_void_becomes_255():
    dataset = build('val', [dict(type='LoadAnnotations')])
    index = next(
        i for i in range(len(dataset)) if (np.array(
            Image.open(dataset.get_data_info(i)['seg_map_path'])) == 11).any())
    raw = np.array(Image.open(dataset.get_data_info(index)['seg_map_path']))
    label = dataset[index]['gt_seg_map']
    raw_void = raw == 11
    assert (label[raw_void] == 255).all()
    assert np.array_equal(label[~raw_void], raw[~raw_void])
    assert set(np.unique(label)) <= set(range(11)) | {255}


@pytest.mark.slow
def test_short_train_and_val(tmp_path):
    """A few iterations on a handful of real images, through the config
    (a process of its own: mmengine's visualizer, which writes the scalars,
    is one per process)."""
    work_dir = str(tmp_path / 'work')
    subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools/train.py'), CONFIG, '--work-dir', work_dir,
        '--cfg-options', f'train_dataloader.dataset.data_root={CAMVID}',
        f'val_dataloader.dataset.data_root={CAMVID}',
        'train_dataloader.dataset.indices=8',
        'val_dataloader.dataset.indices=4', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'train_dataloader.batch_size=2', 'train_cfg.max_iters=4',
        'train_cfg.val_interval=4', 'default_hooks.checkpoint.interval=4',
        'default_hooks.logger.interval=1'
    ],
                   check=True,
                   capture_output=True,
                   env=dict(os.environ, PYTHONWARNINGS='ignore'))
    assert osp.isfile(osp.join(work_dir, 'iter_4.pth'))
    scalars = [
        osp.join(root, f) for root, _, files in os.walk(work_dir)
        for f in files if f == 'scalars.json'
    ]
    with open(scalars[0]) as f:
        val = [line for line in f if '"mIoU"' in line]
    assert len(val) == 1 and '"step": 4' in val[0]
