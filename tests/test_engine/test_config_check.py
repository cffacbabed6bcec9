import os.path as osp

import pytest
from mmengine.config import Config

from mmseg_encnet.datasets.demo_street import CLASSES
from mmseg_encnet.engine.config_check import (ConfigError, backbone_channels,
                                              check_config)
from helpers import ROOT  # noqa: E402


def load(path='configs/encnet_r50.py'):
    return Config.fromfile(osp.join(ROOT, path))


@pytest.mark.parametrize('path', [
    'configs/encnet_r50.py', 'configs/demo/encnet_r18-d8_demo.py',
    'configs/demo/fcn_r18-d8_demo.py',
    'configs/encnet/encnet_r101-d8_4xb4-80k_ade20k-512x512.py',
    'configs/encnet/encnet_r50-d8-se34_4xb2-40k_cityscapes-512x1024.py'
])
def test_shipped_configs_pass_and_their_heads_are_checked(path):
    """Each passes; the same config with a head that does not fit its
    backbone does not."""
    cfg = load(path)
    check_config(cfg)
    cfg.model.decode_head.in_channels = 7
    with pytest.raises(ConfigError, match='model.decode_head.in_channels'):
        check_config(cfg)


def test_backbone_channels_on_meta_device():
    assert backbone_channels(load().model) == [256, 512, 1024, 2048]


def test_in_channels_mismatch_names_the_field():
    cfg = load()
    cfg.model.decode_head.in_channels = [512, 1024, 1024]
    with pytest.raises(
            ConfigError,
            match=r'model\.decode_head\.in_channels=\[512, 1024, '
            r'1024\].*\[512, 1024, 2048\]'):
        check_config(cfg)
    cfg = load()
    cfg.model.auxiliary_head.in_index = 3
    with pytest.raises(
            ConfigError,
            match=r'model\.auxiliary_head\.in_channels=1024.*2048'):
        check_config(cfg)
    cfg = load()
    cfg.model.decode_head.in_index = (1, 2, 4)
    with pytest.raises(ConfigError, match=r'in_index=\(1, 2, 4\).*4 outputs'):
        check_config(cfg)


@pytest.mark.parametrize('path, head, message', [
    ('configs/encnet_r50.py', 'auxiliary_head',
     r'model\.auxiliary_head\.num_classes=150, but the training dataset has '
     r'19'),
    ('configs/demo/encnet_r18-d8_demo.py', 'decode_head',
     rf'decode_head\.num_classes=150, but the training dataset has '
     rf'{len(CLASSES)} classes'),
])
def test_num_classes_mismatch_names_the_field(path, head, message):
    cfg = load(path)
    cfg.model[head].num_classes = 150
    with pytest.raises(ConfigError, match=message):
        check_config(cfg)


@pytest.mark.slow
def test_train_tool_reports_config_errors(tmp_path):
    from mmseg_encnet.cli import train
    with pytest.raises(ConfigError, match='num_classes'):
        train.main([
            osp.join(ROOT, 'configs/demo/encnet_r18-d8_demo.py'), '--work-dir',
            str(tmp_path), '--cfg-options',
            'model.auxiliary_head.num_classes=5'
        ])
    assert not list(tmp_path.iterdir())  # failed before writing anything


def test_missing_data_root_says_what_layout_is_expected(tmp_path):
    from mmseg_encnet.engine.config_check import check_data
    cfg = load()
    cfg.train_dataloader.dataset.data_root = str(tmp_path / 'cityscapes')
    with pytest.raises(
            FileNotFoundError,
            match=r"train_dataloader\.dataset: folder .*cityscapes/"
            r"leftImg8bit/train.*CityscapesDataset expects images "
            r"under data_root/leftImg8bit/train and labels under "
            r"data_root/gtFine/train"):
        check_data(cfg, ['train_dataloader'])
    for split in ('leftImg8bit/train', 'gtFine/train'):
        (tmp_path / 'cityscapes' / split).mkdir(parents=True)
    check_data(cfg, ['train_dataloader'])
    # The demo data is written on first use: nothing to check.
    check_data(
        load('configs/demo/encnet_r18-d8_demo.py'), ['train_dataloader'])


def test_iter_before_training_builds_no_training_data(tmp_path):
    """mmseg's visualization hook asks ``runner.iter`` while testing: the
    answer must not build the training loop and its dataset (a test-only
    user may not have the training folders)."""
    from mmengine.registry import RUNNERS
    cfg = load('configs/demo/encnet_r18-d8_demo.py')
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_dataloader.dataset.data_root = str(tmp_path / 'no_train_data')
    runner = RUNNERS.build(cfg)
    assert runner.iter == 0
    assert isinstance(runner._train_loop, dict)  # still the config
    assert not osp.exists(tmp_path / 'no_train_data')


def test_configs_select_our_runner(tmp_path):
    """mmseg's tools build runners with mmengine's RUNNERS from the config's
    runner_type: they get ours, which checks the config first."""
    from mmengine.registry import RUNNERS

    from mmseg_encnet.engine import Runner
    cfg = load('configs/demo/encnet_r18-d8_demo.py')
    cfg.work_dir = str(tmp_path / 'work')
    assert isinstance(RUNNERS.build(cfg), Runner)
    cfg.model.decode_head.num_classes = 19
    cfg.work_dir = str(tmp_path / 'bad')
    with pytest.raises(ConfigError, match='num_classes=19'):
        RUNNERS.build(cfg)
    assert not osp.exists(cfg.work_dir)
