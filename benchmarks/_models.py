"""The R50-D8 Cityscapes models the end-to-end benchmarks compare.

``ours``: EncNet-R50-D8 (``configs/encnet_r50.py``); ``mmseg``: the same with
mmseg's ``EncHead`` and mmseg's sigmoid cross-entropy SE loss, as in mmseg's
config; ``pspnet`` and ``fcn``: mmseg's own PSPNet-R50-D8 and FCN-R50-D8
Cityscapes 512x1024 configs, what a user would pick instead. Every model is
initialised from seed 0 (ours and mmseg's draw the same weights); SyncBN
becomes BN where there is no process group.
"""
import argparse
import os.path as osp
from typing import Callable, Dict, List, Optional

import mmseg
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from _measure import (add_rounds_argument, compare, default_device,
                      make_record, median_round, report, spread)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
MMSEG_CONFIGS = osp.join(osp.dirname(mmseg.__file__), '.mim', 'configs')
CONFIGS = dict(
    ours=osp.join(ROOT, 'configs/encnet_r50.py'),
    mmseg=osp.join(ROOT, 'configs/encnet_r50.py'),
    pspnet=osp.join(MMSEG_CONFIGS,
                    'pspnet/pspnet_r50-d8_4xb2-40k_cityscapes-512x1024.py'),
    fcn=osp.join(MMSEG_CONFIGS,
                 'fcn/fcn_r50-d8_4xb2-40k_cityscapes-512x1024.py'))
NAMES = dict(
    ours='EncNet, our head',
    mmseg="EncNet, mmseg's head",
    pspnet='PSPNet (mmseg)',
    fcn='FCN (mmseg)')  # first: reference


def build_model(impl: str,
                num_codes: int = 32,
                test_cfg: Optional[dict] = None) -> torch.nn.Module:
    """The ``impl`` model of :data:`CONFIGS`, initialised from seed 0;
    ``num_codes`` applies to EncNet."""
    init_default_scope('mmseg')
    cfg = Config.fromfile(CONFIGS[impl])
    cfg.model.pretrained = None
    if test_cfg is not None:
        cfg.model.test_cfg = test_cfg
    if impl in ('ours', 'mmseg'):
        cfg.model.decode_head.num_codes = num_codes
    if impl == 'mmseg':
        cfg.model.decode_head.type = 'EncHead'
        cfg.model.decode_head.loss_se_decode = dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_weight=0.2)
    torch.manual_seed(0)  # the same weights for ours and mmseg's
    return revert_sync_batchnorm(MODELS.build(cfg.model))


def random_batch(height: int,
                 width: int,
                 num_classes: int = 19,
                 batch: int = 1,
                 device: str = 'cpu'):
    """Normalised images and random label maps, as the preprocessor gives."""
    torch.manual_seed(0)
    inputs = torch.randn(batch, 3, height, width, device=device)
    samples = []
    for _ in range(batch):
        sample = SegDataSample(
            gt_sem_seg=PixelData(
                data=torch.randint(
                    0, num_classes, (1, height, width), device=device)))
        sample.set_metainfo(
            dict(
                img_shape=(height, width),
                ori_shape=(height, width),
                pad_shape=(height, width)))
        samples.append(sample)
    return inputs, samples


def variant_rows(results: Dict[str, List[dict]], variants: List[str],
                 time_cell: Callable[[float], str]) -> List[str]:
    """Table cells per variant (see :func:`variant_header`), from each
    variant's median round."""
    base = median_round(results[variants[0]])
    rows = []
    for variant in variants:
        r = median_round(results[variant])
        rows.append(
            f"{variant} | {NAMES[variant.split(':')[0]]} | "
            f"{time_cell(r['seconds'])} | {spread(results[variant])} | "
            f"{r['memory'] / 2**20:.0f} | "
            f"{r['seconds'] / base['seconds']:.2f}x | "
            f"{base['seconds'] / r['seconds']:.2f}x | "
            f"{r['memory'] / max(base['memory'], 1):.2f}x |")
    return rows


def variant_header(lead: List[str], time: str, spread: str,
                   ref: str) -> List[str]:
    """Header lines of tables of :func:`variant_rows` (after ``lead``
    columns): model, ``time``, its ``spread``, memory, ratios to ``ref``."""
    names = [
        *lead, 'model', time, spread, 'peak memory growth (MiB)',
        f'time / {ref}', f'speed-up over {ref}', f'memory / {ref}'
    ]
    aligns = ['---'] * (len(lead) + 1) + ['---:', '---'] + ['---:'] * 4
    return ['| ' + ' | '.join(names) + ' |', '| ' + ' | '.join(aligns) + ' |']


def add_variant_args(parser: argparse.ArgumentParser, height: int,
                     width: int) -> None:
    """What the end-to-end benchmarks share: ``--variants`` (default: all
    four models), ``--amp``, the input size, ``--steps``, ``--rounds``,
    ``--device``, ``--json`` and the worker's hidden ``--variant``."""
    parser.add_argument('--variants', nargs='+', default=list(NAMES))
    parser.add_argument(
        '--amp',
        action='store_true',
        help='autocast every variant (adds :amp)')
    parser.add_argument('--height', type=int, default=height)
    parser.add_argument('--width', type=int, default=width)
    parser.add_argument('--steps', type=int, default=5)
    add_rounds_argument(parser)
    parser.add_argument('--device', default=default_device())
    parser.add_argument('--json', help='write the raw record here')
    parser.add_argument('--variant', help=argparse.SUPPRESS)


def run_variants(name: str,
                 script: str,
                 args: argparse.Namespace,
                 keys: List[str],
                 worker_keys: List[str],
                 render: Callable[[dict], str],
                 extra: Optional[List[str]] = None) -> None:
    """Measure ``args.variants`` (with ``:amp`` under ``--amp``) with
    ``script``'s worker over alternating rounds, one set per ``extra``
    option (or one); save the record as ``--json`` says and print it.
    ``keys`` of ``args`` are the record's settings, ``worker_keys`` go to
    every worker."""
    if args.amp:
        args.variants = amp_variants(args.variants)
    settings = {k: getattr(args, k) for k in keys}
    common = [f'--{k}={settings[k]}' for k in worker_keys]

    def measure(*options: str) -> dict:
        return compare(
            script,
            {v: ['--variant', v, *options, *common]
             for v in args.variants}, args.rounds)

    results = ({
        option: measure('--mode', option)
        for option in extra
    } if extra else measure())
    record = make_record(name, settings, results)
    report(record, args.json, render)


def amp_variants(variants: List[str]) -> List[str]:
    """Every variant with ``:amp``."""
    return [v if ':amp' in v else f'{v}:amp' for v in variants]
