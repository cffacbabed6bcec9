"""What ``DataCheckHook`` costs before the first iteration.

Times ``check_image_label_pairs`` (the hook's check) on the datasets the
hook is given (``SiftFlowDataset``, mmseg's ``CityscapesDataset``): every
image/label pair of SIFT Flow (2488 pairs of 256x256, converted from
``--siftflow`` by ``tools/dataset_converters/siftflow.py``; left out when
that is absent) and
of a synthetic set of Cityscapes' size (``--cityscapes`` pairs of 2048x1024
PNGs, 2975 as Cityscapes' train split, written once into ``--cache``):
headers only (the default) and ``decode=True`` on 1 and on 2 threads,
alternating over ``--rounds``, files in the page cache (a first pass, not
reported, reads them from disk).

    python benchmarks/data_check.py [--siftflow ../shared/siftflow]
        [--cityscapes 2975] [--rounds 3] [--json raw.json]
"""
import argparse
import os
import os.path as osp
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Dict

import cv2
import numpy as np
from mmseg.datasets import BaseSegDataset, CityscapesDataset

from mmseg_encnet.datasets import SiftFlowDataset
from mmseg_encnet.engine import check_image_label_pairs
from _measure import add_rounds_argument, make_record, report, rounds_label

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
MODES = {
    'headers': (False, 1),
    'decode, 1 thread': (True, 1),
    'decode, 2 threads': (True, 2)
}


def siftflow_set(release: str, out: str) -> SiftFlowDataset:
    """Every pair of the release (train and val), converted into ``out``."""
    subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools/dataset_converters/siftflow.py'), release,
        '--out', out
    ],
                   check=True,
                   capture_output=True)
    return SiftFlowDataset(
        data_root=out,
        data_prefix=dict(img_path='img_dir', seg_map_path='ann_dir'),
        pipeline=[])


def write_cityscapes_like(index: int, img_path: str, label_path: str) -> None:
    """Pair ``index``: a 2048x1024 PNG of smooth regions with fine texture
    (about Cityscapes' 2 MB a file) and its label."""
    rng = np.random.default_rng(index)
    coarse = rng.integers(0, 255, (16, 32, 3), dtype=np.uint8)
    image = cv2.resize(coarse, (2048, 1024), interpolation=cv2.INTER_CUBIC)
    image = cv2.add(image, rng.integers(0, 5, image.shape, dtype=np.uint8))
    cv2.imwrite(img_path, image)
    label = cv2.resize(
        rng.integers(0, 19, (16, 32), dtype=np.uint8), (2048, 1024),
        interpolation=cv2.INTER_NEAREST)
    cv2.imwrite(label_path, label)


def cityscapes_set(count: int, cache: str) -> CityscapesDataset:
    """``count`` pairs under ``cache``, written the first time."""
    os.makedirs(cache, exist_ok=True)
    pairs = [(osp.join(cache, f'{i:04d}_leftImg8bit.png'),
              osp.join(cache, f'{i:04d}_gtFine_labelTrainIds.png'))
             for i in range(count)]
    missing = [
        i for i, (_, label) in enumerate(pairs) if not osp.isfile(label)
    ]
    if missing:
        print(
            f'writing {len(missing)} Cityscapes-sized pairs to {cache}',
            flush=True)
        with ProcessPoolExecutor(len(os.sched_getaffinity(0))) as pool:
            list(
                pool.map(
                    write_cityscapes_like,
                    missing, [pairs[i][0] for i in missing],
                    [pairs[i][1] for i in missing],
                    chunksize=8))
    return CityscapesDataset(
        data_root=cache,
        data_prefix=dict(img_path='', seg_map_path=''),
        pipeline=[])


def measure(dataset: BaseSegDataset, rounds: int) -> Dict[str, list]:
    """Seconds of each mode in every round, after one pass that reads the
    files into the page cache."""
    check_image_label_pairs(dataset, decode=True)
    results: Dict[str, list] = {mode: [] for mode in MODES}
    for _ in range(rounds):
        for mode, (decode, workers) in MODES.items():
            start = time.perf_counter()
            check_image_label_pairs(dataset, decode, workers)
            results[mode].append(dict(seconds=time.perf_counter() - start))
    return results


def render(record: dict) -> str:
    s, sets = record['settings'], record['results']
    lines = [
        'DataCheckHook before the first iteration: seconds to check every '
        f"image/label pair, files in the page cache, "
        f"{rounds_label(s['rounds'])} ({record['date']}, "
        f"{record['machine']}, torch {record['torch']})",
        '| data | pairs | MB on disk | ' + ' | '.join(MODES) +
        ' | decode, ms per pair (2 threads) |',
        '| --- | ---: | ---: | ' + ' | '.join('---:'
                                              for _ in MODES) + ' | ---: |'
    ]
    for name, result in sets.items():
        seconds = {
            mode: statistics.median(r['seconds']
                                    for r in result['modes'][mode])
            for mode in MODES
        }
        lines.append(
            f"| {name} | {result['pairs']} | {result['bytes'] / 1e6:.0f} | " +
            ' | '.join(f'{seconds[mode]:.3g}' for mode in MODES) +
            f" | {seconds['decode, 2 threads'] / result['pairs'] * 1e3:.3g} |")
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--siftflow',
        default=osp.join(ROOT, '..', 'shared', 'siftflow'),
        help='the SIFT Flow release (left out when absent)')
    parser.add_argument(
        '--cityscapes',
        type=int,
        default=2975,
        help='pairs of the Cityscapes-sized synthetic set')
    parser.add_argument(
        '--cache',
        default=osp.join(ROOT, 'work_dirs', 'data_check'),
        help='where the synthetic set is written once')
    add_rounds_argument(parser)
    parser.add_argument('--json', help='write the raw record here')
    args = parser.parse_args()
    sets = {}
    with tempfile.TemporaryDirectory() as tmp:
        named = {}
        if osp.exists(args.siftflow):
            named['SIFT Flow, 256x256 JPEG + PNG'] = siftflow_set(
                args.siftflow, osp.join(tmp, 'siftflow'))
        named['Cityscapes-sized, 2048x1024 PNG + PNG'] = cityscapes_set(
            args.cityscapes, osp.join(args.cache, str(args.cityscapes)))
        for name, dataset in named.items():
            print(f'measuring {name}: {len(dataset)} pairs', flush=True)
            infos = [dataset.get_data_info(i) for i in range(len(dataset))]
            sets[name] = dict(
                pairs=len(dataset),
                bytes=sum(
                    osp.getsize(info[k]) for info in infos
                    for k in ('img_path', 'seg_map_path')),
                modes=measure(dataset, args.rounds))
    record = make_record('data_check', dict(rounds=args.rounds), sets)
    report(record, args.json, render)


if __name__ == '__main__':
    main()
