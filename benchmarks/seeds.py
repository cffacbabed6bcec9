"""A recipe's configs trained over seeds, their final weights evaluated.

    python benchmarks/seeds.py demo [--jobs 2] [--figure PNG]
    python benchmarks/seeds.py camvid [--data-root ../shared/camvid]
    python benchmarks/seeds.py RECIPE --runs CONFIG:SEED ... \\
        [--cfg-options KEY=VALUE ...] [--work-dirs DIR] [--json PATH]

Each run ``CONFIG:SEED`` trains ``configs/<recipe>/<CONFIG>.py`` with
``tools/train.py`` (a run whose final checkpoint exists is not trained again;
``--jobs N`` trains N at a time, each on ``cores / N`` threads), then its
final weights are evaluated on the recipe's whole val images (per-class IoU
by mmseg's ``IoUMetric`` helpers). The raw record (every run with its wall
time and threads, the machine, torch and the date) goes to ``--json``;
``run_all.py --render`` renders its tables, as this script prints them.
``--figure`` draws val scenes as rows, image | ground truth | one column
per config (its first run), with EncNet's presence chart beside it
(``*_presence.png``) and, for the demo, its training curves
(``*_curves.png``).
"""
import argparse
import os
import os.path as osp
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional

import numpy as np
from mmengine.config import Config, DictAction

import _evaluate
import _measure

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _runs(configs: List[str], seeds: List[int]) -> List[str]:
    return [f'{c}:{s}' for c in configs for s in seeds]


# recipe: default runs, the classes each table singles out, the val images
# (indices, in file name order) and scale of --figure
RECIPES = {
    'demo':
    dict(
        runs=_runs(['encnet_r18-d8_demo', 'fcn_r18-d8_demo'], range(5)),
        # the classes only the scene tells apart
        highlight=['road', 'water', 'building', 'boathouse'],
        scenes=[0, 1, 2, 3],
        scale=1.0),
    'camvid':
    dict(
        runs=_runs(['encnet_r18-d8_camvid', 'fcn_r18-d8_camvid'], [0, 1]) +
        ['pspnet_r18-d8_camvid:0', 'encnet_r18-d8-nose_camvid:0'],
        # the small objects the paper says the SE-loss helps
        highlight=['pole', 'sign_symbol', 'pedestrian', 'bicyclist'],
        scenes=[0, 60, 96],  # 0016E5_07959, _08079, _08151
        scale=0.5),
}


def config_path(recipe: str, name: str) -> str:
    return osp.join(ROOT, 'configs', recipe, f'{name}.py')


def data_options(data_root: Optional[str]) -> List[str]:
    return [] if data_root is None else [
        f'{split}_dataloader.dataset.data_root={data_root}'
        for split in ('train', 'val', 'test')
    ]


def final_checkpoint(config: str, work_dir: str, options: List[str]) -> str:
    """``work_dir/iter_<max_iters>.pth`` of the config with ``options``."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--options', nargs='*', action=DictAction)
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(parser.parse_args(['--options', *options]).options)
    return osp.join(work_dir, f'iter_{cfg.train_cfg.max_iters}.pth')


def train(config: str, seed: int, work_dir: str, final: str, threads: int,
          options: List[str]) -> Optional[float]:
    """Train into ``work_dir`` unless its ``final`` checkpoint exists; the
    wall time in seconds (None when trained before). Thread-safe: it reads
    no config (mmengine's config loading is not)."""
    if osp.isfile(final):
        return None
    os.makedirs(work_dir, exist_ok=True)
    start = time.perf_counter()
    with open(f'{work_dir}.log', 'w') as log:
        subprocess.run([
            sys.executable,
            osp.join(ROOT, 'tools/train.py'), config, '--work-dir', work_dir,
            '--cfg-options', f'randomness.seed={seed}', *options
        ],
                       check=True,
                       cwd=ROOT,
                       stdout=log,
                       stderr=subprocess.STDOUT,
                       env=dict(
                           os.environ,
                           PYTHONWARNINGS='ignore',
                           OMP_NUM_THREADS=str(threads)))
    return time.perf_counter() - start


def val_set(config: str, data_root: Optional[str]):
    """(image, label) pairs of the config's val split (the demo's written if
    missing), its classes and palette."""
    from mmseg.registry import DATASETS
    from mmseg.utils import register_all_modules
    register_all_modules()
    dataset_cfg = Config.fromfile(config).val_dataloader.dataset
    dataset_cfg.data_root = osp.join(ROOT, data_root or dataset_cfg.data_root)
    dataset = DATASETS.build(dataset_cfg)
    pairs = [(info['img_path'], info['seg_map_path'])
             for info in (dataset.get_data_info(i)
                          for i in range(len(dataset)))]
    return pairs, dataset.metainfo['classes'], dataset.metainfo['palette']


def render(record: dict) -> str:
    """Per config: runs, val mIoU per seed, mean, spread and the singled-out
    classes (mean over runs); then every class of every run."""
    s, runs = record['settings'], record['results']
    where = f"({record['date']}, {record['machine']}, torch {record['torch']})"
    options = ' '.join(s['cfg_options'])
    what = s['recipe'] + (f' with {options}' if options else '')
    caption = (f"{what}: val mIoU (%) of the final weights on "
               f"{s['val_images']} val images {where}")
    high = s['highlight']
    rows = [
        caption, '| config | runs | val mIoU by seed | mean | min-max | ' +
        ' | '.join(high) + ' |',
        '| --- | ---: | --- | ---: | --- |' + ' ---: |' * len(high)
    ]
    for config in dict.fromkeys(r['config'] for r in runs):
        mine = [r for r in runs if r['config'] == config]
        mious = [r['mIoU'] for r in mine]
        cells = [
            f'`{config}`',
            str(len(mine)),
            ', '.join(f"{r['seed']}: {r['mIoU']:.2f}" for r in mine),
            f'{np.mean(mious):.2f}', f'{min(mious):.2f}-{max(mious):.2f}'
        ]
        cells += [f"{np.mean([r['iou'][c] for r in mine]):.1f}" for c in high]
        rows.append('| ' + ' | '.join(cells) + ' |')
    classes = s['classes']
    per_run = [
        f'{what}: IoU (%) per class of every run {where}',
        '| config | seed | val mIoU | ' + ' | '.join(classes) + ' |',
        '| --- | ---: | ---: |' + ' ---: |' * len(classes)
    ]
    for r in runs:
        per_run.append('| ' + ' | '.join([
            f"`{r['config']}`",
            str(r['seed']), f"{r['mIoU']:.2f}", *(f"{r['iou'][c]:.1f}"
                                                  for c in classes)
        ]) + ' |')
    return '\n'.join(rows) + '\n\n' + '\n'.join(per_run)


def figure(recipe: str, firsts: Dict[str, str], pairs: List, classes, palette,
           path: str, scenes: List[int]) -> None:
    _evaluate.save_figure(
        {
            c: (config_path(recipe, c), ckpt)
            for c, ckpt in firsts.items()
        }, [pairs[i] for i in scenes],
        classes,
        palette,
        path,
        scale=RECIPES[recipe]['scale'])
    curves = osp.join(
        osp.dirname(next(iter(firsts.values()))), 'training_curves.png')
    if recipe == 'demo' and osp.isfile(curves):
        shutil.copyfile(curves, path.replace('.png', '_curves.png'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('recipe', choices=list(RECIPES))
    parser.add_argument('--runs', nargs='+', help='CONFIG:SEED entries')
    parser.add_argument(
        '--data-root', help='the dataset (CamVid: ../shared/camvid)')
    parser.add_argument('--jobs', type=int, default=1)
    parser.add_argument('--work-dirs', help='default work_dirs/<recipe>')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        help='KEY=VALUE config options for every training')
    parser.add_argument('--json', help='raw record, default <work-dirs>.json')
    parser.add_argument('--figure', help='PNG of val scenes and predictions')
    parser.add_argument(
        '--scenes',
        nargs='+',
        type=int,
        help='val image indices (file name order) for --figure; default: '
        'the recipe\'s')
    args = parser.parse_args()
    recipe = RECIPES[args.recipe]
    if args.data_root is None and args.recipe == 'camvid':
        args.data_root = osp.join(ROOT, '..', 'shared', 'camvid')
    data_root = args.data_root and osp.realpath(args.data_root)
    work_dirs = args.work_dirs or osp.join('work_dirs', args.recipe)
    options = data_options(data_root) + args.cfg_options
    runs = [(c, int(s)) for c, _, s in (r.partition(':')
                                        for r in args.runs or recipe['runs'])]
    threads = max((os.cpu_count() or 1) // args.jobs, 1)
    pairs, classes, palette = val_set(
        config_path(args.recipe, runs[0][0]), data_root)

    jobs = []  # (config path, seed, work dir, final checkpoint)
    for config, seed in runs:
        path = config_path(args.recipe, config)
        work_dir = osp.join(work_dirs, f'{config}_seed{seed}')
        jobs.append(
            (path, seed, work_dir, final_checkpoint(path, work_dir, options)))
    with ThreadPoolExecutor(args.jobs) as pool:
        seconds = list(
            pool.map(lambda job: train(*job, threads, options), jobs))
    results, firsts = [], {}
    for (config, seed), (path, _, _, final), wall in zip(runs, jobs, seconds):
        firsts.setdefault(config, final)
        results.append(
            dict(
                config=config,
                seed=seed,
                seconds=wall,
                threads=threads,
                **_evaluate.evaluate(path, final, pairs, classes)))
    record = _measure.make_record(
        'seeds',
        dict(
            recipe=args.recipe,
            cfg_options=args.cfg_options,
            val_images=len(pairs),
            classes=list(classes),
            highlight=recipe['highlight'],
            device='cpu'), results)
    _measure.save(record, args.json or f'{work_dirs}.json')
    print(render(record))
    if args.figure:
        figure(args.recipe, firsts, pairs, classes, palette, args.figure,
               args.scenes or recipe['scenes'])
        print(f'figure: {args.figure}')


if __name__ == '__main__':
    main()
