"""The demo, EncNet against FCN, over several seeds: README's demo table.

Trains each ``--configs`` entry of ``configs/demo/`` for each ``--seeds``
with ``tools/train.py`` (a run whose final checkpoint exists is not trained
again; ``--jobs N`` trains N at a time, each on ``cores / N`` threads),
evaluates the final weights on the demo's val split, and prints val mIoU per
seed, the mean and spread, and the IoU of the classes only context tells
apart (road or water, building or boathouse). Raw numbers go to ``--out``
(JSON), with each run's wall time and thread count.

    python benchmarks/demo.py [--seeds 0 1 2 3 4] [--jobs 1]
        [--configs encnet_r18-d8_demo fcn_r18-d8_demo] [--out demo.json]
        [--figure docs/demo_predictions.png] [--cfg-options KEY=VALUE ...]

``--cfg-options`` go to every training (e.g. another learning rate); use a
``--work-dirs`` of their own, as runs already trained are not trained again.

``--figure`` draws val scenes as rows, image | ground truth | one column per
config (first seed), EncNet's presence chart on the first of them
(``*_presence.png``) and copies that EncNet run's training curves beside it
(``*_curves.png``).
"""
import argparse
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional

import numpy as np
from mmengine.config import Config

import _evaluate

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONTEXT_CLASSES = ('road', 'water', 'building', 'boathouse')


def config_path(name: str) -> str:
    return osp.join(ROOT, 'configs/demo', f'{name}.py')


def train(name: str, seed: int, work_dir: str, final: str, threads: int,
          options: List[str]) -> Optional[float]:
    """Train into ``work_dir`` unless its ``final`` checkpoint exists, with
    the config ``options``; return the wall time in seconds (None when it was
    trained before)."""
    seconds = None
    if not osp.isfile(final):
        start = time.perf_counter()
        with open(f'{work_dir}.log', 'w') as log:
            subprocess.run([
                sys.executable,
                osp.join(ROOT, 'tools/train.py'),
                config_path(name), '--work-dir', work_dir, '--cfg-options',
                f'randomness.seed={seed}', *options
            ],
                           check=True,
                           cwd=ROOT,
                           stdout=log,
                           stderr=subprocess.STDOUT,
                           env=dict(
                               os.environ,
                               PYTHONWARNINGS='ignore',
                               OMP_NUM_THREADS=str(threads)))
        seconds = time.perf_counter() - start
    return seconds


def val_pairs(data_root: str) -> List:
    images = sorted(glob.glob(osp.join(data_root, 'leftImg8bit/val/*/*.png')))
    return [(i, i.replace('leftImg8bit', 'gtFine',
                          1).replace('_leftImg8bit.png',
                                     '_gtFine_labelTrainIds.png'))
            for i in images]


def figure(runs: List, data_root: str, path: str, scenes: int = 4) -> None:
    """The first ``scenes`` val scenes: image | ground truth | configs (first
    seed each), EncNet's presence chart on the first scene beside it
    (``*_presence.png``) and its training curves (``*_curves.png``)."""
    from mmseg_encnet.datasets.demo_street import CLASSES, PALETTE
    firsts = {}
    for name, _, work_dir, final in runs:
        firsts.setdefault(name, (config_path(name), final, work_dir))
    _evaluate.save_figure({
        name: first[:2]
        for name, first in firsts.items()
    },
                          val_pairs(data_root)[:scenes], CLASSES, PALETTE,
                          path)
    curves = osp.join(firsts[next(iter(firsts))][2], 'training_curves.png')
    shutil.copyfile(curves, path.replace('.png', '_curves.png'))


def table(results: List[Dict], seeds: List[int]) -> str:
    rows = [
        '| model | ' + ' | '.join(f'seed {s}' for s in seeds) +
        ' | mean | min-max | ' + ' | '.join(f'{c} IoU'
                                            for c in CONTEXT_CLASSES) + ' |',
        '| --- |' + ' ---: |' * (len(seeds) + 2 + len(CONTEXT_CLASSES))
    ]
    for name in dict.fromkeys(r['config'] for r in results):
        runs = {r['seed']: r for r in results if r['config'] == name}
        mious = [runs[s]['mIoU'] for s in seeds]
        cells = [
            f'`{name}`', *(f'{m:.2f}' for m in mious), f'{np.mean(mious):.2f}',
            f'{min(mious):.2f}-{max(mious):.2f}'
        ]
        cells += [
            f"{np.mean([runs[s]['iou'][c] for s in seeds]):.1f}"
            for c in CONTEXT_CLASSES
        ]
        rows.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--configs',
        nargs='+',
        default=['encnet_r18-d8_demo', 'fcn_r18-d8_demo'])
    parser.add_argument(
        '--seeds', nargs='+', type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument('--jobs', type=int, default=1)
    parser.add_argument('--work-dirs', default='work_dirs/demo_seeds')
    parser.add_argument('--out', default='demo.json')
    parser.add_argument('--figure', help='PNG of val scenes and predictions')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        help='KEY=VALUE config options for every training')
    args = parser.parse_args()
    from mmseg_encnet.datasets import make_demo_data
    from mmseg_encnet.datasets.demo_street import CLASSES
    data_root = osp.join(
        ROOT,
        Config.fromfile(config_path(
            args.configs[0])).train_dataloader.dataset.data_root)
    if not osp.isdir(data_root):
        make_demo_data(data_root)
    os.makedirs(args.work_dirs, exist_ok=True)
    threads = max((os.cpu_count() or 1) // args.jobs, 1)
    runs = []
    for name in args.configs:
        iters = Config.fromfile(config_path(name)).train_cfg.max_iters
        for seed in args.seeds:
            work_dir = osp.join(args.work_dirs, f'{name}_seed{seed}')
            runs.append(
                (name, seed, work_dir, osp.join(work_dir,
                                                f'iter_{iters}.pth')))
    with ThreadPoolExecutor(args.jobs) as pool:
        seconds = list(
            pool.map(lambda run: train(*run, threads, args.cfg_options), runs))
    results = []
    for (name, seed, _, final), wall in zip(runs, seconds):
        results.append(
            dict(
                config=name,
                seed=seed,
                seconds=wall,
                threads=threads,
                **_evaluate.evaluate(
                    config_path(name), final, val_pairs(data_root), CLASSES)))
    with open(args.out, 'w') as f:
        json.dump(results, f, indent=1)
    print(table(results, args.seeds))
    if args.figure:
        figure(runs, data_root, args.figure)
        print(f'figure: {args.figure}')


if __name__ == '__main__':
    main()
