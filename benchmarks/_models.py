"""EncNet-R50-D8 (Cityscapes config) with our head or mmseg's, for benchmarks.

Both come from ``configs/encnet_r50.py``; only the decode head's type and its
SE loss differ (mmseg's ``EncHead`` with mmseg's sigmoid cross-entropy, as in
mmseg's config). SyncBN becomes BN where there is no process group.
"""
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmseg_encnet.engine.config_check import sync_bn_to_bn

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(ROOT, 'configs/encnet_r50.py')


def build_encnet(impl: str,
                 num_codes: int = 32,
                 test_cfg: Optional[dict] = None) -> torch.nn.Module:
    """EncNet-R50-D8 with ``impl`` ('ours' or 'mmseg') as the decode head,
    initialised from seed 0 (equal weights for both)."""
    init_default_scope('mmseg')
    cfg = Config.fromfile(CONFIG)
    cfg.model.pretrained = None
    if test_cfg is not None:
        cfg.model.test_cfg = test_cfg
    cfg.model.decode_head.num_codes = num_codes
    if impl == 'mmseg':
        cfg.model.decode_head.type = 'EncHead'
        cfg.model.decode_head.loss_se_decode = dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_weight=0.2)
    sync_bn_to_bn(cfg.model)
    torch.manual_seed(0)  # the same weights for both: ours draws as mmseg's
    return MODELS.build(cfg.model)


def random_batch(height: int, width: int, num_classes: int = 19,
                 batch: int = 1, device: str = 'cpu'):
    """Normalised images and random label maps, as the preprocessor gives."""
    torch.manual_seed(0)
    inputs = torch.randn(batch, 3, height, width, device=device)
    samples = []
    for _ in range(batch):
        sample = SegDataSample(
            gt_sem_seg=PixelData(data=torch.randint(
                0, num_classes, (1, height, width), device=device)))
        sample.set_metainfo(
            dict(img_shape=(height, width), ori_shape=(height, width),
                 pad_shape=(height, width)))
        samples.append(sample)
    return inputs, samples
