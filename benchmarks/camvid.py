"""EncNet against FCN and PSPNet on CamVid: train, evaluate, tabulate.

Trains each ``--runs`` entry ``MODEL:SEED`` (``tools/train.py``, one run
after the other; a run whose final checkpoint exists is not trained again),
evaluates the final weights on ``val/`` with whole 480x360 images, and prints
val mIoU and per-class IoU per run and the mean and spread per model as
Markdown tables. The raw numbers are written to ``--out`` (JSON). MODEL
names a config ``configs/camvid/<model>_r18-d8[-<variant>]_camvid.py``:
``encnet``, ``fcn``, ``pspnet``, ``encnet-nose`` (no SE-loss), ``encnet-se34``
(SE-loss on stages 3 and 4). The default runs are README's table.

    python benchmarks/camvid.py [--data-root ../shared/camvid]
        [--runs encnet:0 encnet:1 ...] [--out camvid.json]
        [--figure work_dirs/camvid/camvid_val.png]
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List

import numpy as np
from mmengine.config import Config

import _evaluate

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# The small objects the paper says SE-loss helps.
SMALL = ['pole', 'sign_symbol', 'pedestrian', 'bicyclist']

RUNS = ['encnet:0', 'encnet:1', 'fcn:0', 'fcn:1', 'pspnet:0', 'encnet-nose:0']


def config_path(model: str) -> str:
    """``encnet-nose`` -> ``configs/camvid/encnet_r18-d8-nose_camvid.py``."""
    name, _, variant = model.partition('-')
    variant = f'-{variant}' if variant else ''
    return osp.join(ROOT, 'configs/camvid',
                    f'{name}_r18-d8{variant}_camvid.py')


def train(model: str, seed: int, data_root: str, work_dir: str) -> str:
    """Train (unless done) and return the final checkpoint."""
    cfg = Config.fromfile(config_path(model))
    final = osp.join(work_dir, f'iter_{cfg.train_cfg.max_iters}.pth')
    if not osp.isfile(final):
        options = [
            f'{split}_dataloader.dataset.data_root={data_root}'
            for split in ('train', 'val', 'test')
        ]
        subprocess.run([
            sys.executable,
            osp.join(ROOT, 'tools/train.py'),
            config_path(model), '--work-dir', work_dir, '--cfg-options',
            f'randomness.seed={seed}', *options
        ],
                       check=True,
                       env=dict(os.environ, PYTHONWARNINGS='ignore'))
    return final


def evaluate(model: str, checkpoint: str, data_root: str) -> Dict:
    """Per-class IoU (%) of ``checkpoint`` on val/ (void ignored)."""
    from mmseg_encnet.datasets.camvid import CLASSES
    folder = osp.join(data_root, 'val')
    pairs = [(osp.join(folder, name), osp.join(data_root, 'valannot', name))
             for name in sorted(os.listdir(folder))]
    return _evaluate.evaluate(config_path(model), checkpoint, pairs, CLASSES)


def figure(checkpoints: Dict[str, str], data_root: str, path: str,
           names: List[str]) -> None:
    """Val scenes as rows: image | ground truth | one column per model; and
    the SE branch's presence chart of EncNet on the first scene beside
    ``path`` (``*_presence.png``)."""
    from mmseg_encnet.datasets.camvid import CLASSES, PALETTE
    _evaluate.save_figure(
        {
            m: (config_path(m), c)
            for m, c in checkpoints.items()
        }, [(osp.join(data_root, 'val',
                      name), osp.join(data_root, 'valannot', name))
            for name in names],
        CLASSES,
        PALETTE,
        path,
        scale=0.5)


def table(results: List[Dict]) -> str:
    from mmseg_encnet.datasets.camvid import CLASSES
    head = ['model', 'seed', 'val mIoU', *CLASSES]
    rows = [
        '| ' + ' | '.join(head) + ' |',
        '| --- | ---: |' + ' ---: |' * (len(head) - 2)
    ]
    for r in results:
        cells = [r['model'], str(r['seed']), f"{r['mIoU']:.2f}"]
        cells += [f"{r['iou'][c]:.1f}" for c in CLASSES]
        rows.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(rows)


def summary(results: List[Dict]) -> str:
    """Mean and spread (min-max) of val mIoU per model, and the mean IoU of
    the small classes the paper says SE-loss helps."""
    rows = [
        '| model | runs | val mIoU mean | min-max | ' + ' | '.join(SMALL) +
        ' |', '| --- | ---: | ---: | --- |' + ' ---: |' * len(SMALL)
    ]
    for model in dict.fromkeys(r['model'] for r in results):
        runs = [r for r in results if r['model'] == model]
        mious = [r['mIoU'] for r in runs]
        cells = [
            model,
            str(len(runs)), f'{np.mean(mious):.2f}',
            f'{min(mious):.2f}-{max(mious):.2f}'
        ]
        cells += [f"{np.mean([r['iou'][c] for r in runs]):.1f}" for c in SMALL]
        rows.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--data-root', default=osp.join(ROOT, '..', 'shared', 'camvid'))
    parser.add_argument(
        '--runs',
        nargs='+',
        default=RUNS,
        help='MODEL:SEED entries, trained in this order')
    parser.add_argument('--work-dirs', default='work_dirs/camvid')
    parser.add_argument('--out', default='camvid.json')
    parser.add_argument(
        '--figure',
        help='PNG: val scenes, image | ground truth | EncNet | '
        'FCN (their first runs), and EncNet\'s presence chart beside it')
    parser.add_argument(
        '--scenes',
        nargs='+',
        default=['0016E5_07959.png', '0016E5_08079.png', '0016E5_08151.png'],
        help='val images for --figure')
    args = parser.parse_args()
    data_root = osp.realpath(args.data_root)
    results, first = [], {}
    for run in args.runs:
        model, _, seed = run.partition(':')
        work_dir = osp.join(args.work_dirs, f'{model}_seed{seed}')
        checkpoint = train(model, int(seed), data_root, work_dir)
        first.setdefault(model, checkpoint)
        results.append(
            dict(
                model=model,
                seed=int(seed),
                **evaluate(model, checkpoint, data_root)))
        print(table(results[-1:]), flush=True)
    with open(args.out, 'w') as f:
        json.dump(results, f, indent=1)
    print(table(results))
    print(summary(results))
    if args.figure:
        figure({m: first[m]
                for m in ('encnet', 'fcn') if m in first}, data_root,
               args.figure, args.scenes)
        print(f'figure: {args.figure}')


if __name__ == '__main__':
    main()
