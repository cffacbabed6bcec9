"""A recipe's configs trained over seeds, their final weights evaluated.

    python benchmarks/seeds.py demo [--jobs 2] [--figure PNG]
    python benchmarks/seeds.py camvid [--data-root ../shared/camvid]
    python benchmarks/seeds.py siftflow [--data-root data/siftflow]
    python benchmarks/seeds.py RECIPE --runs CONFIG:SEED ... \\
        [--cfg-options KEY=VALUE ...] [--work-dirs DIR] [--json PATH]

Each run ``CONFIG:SEED`` trains ``configs/<recipe>/<CONFIG>.py`` with
``tools/train.py`` (a run whose final checkpoint exists is not trained again;
``--jobs N`` trains N at a time, each on ``cores / N`` threads), then its
final weights are evaluated on the recipe's whole val images (aAcc, mIoU,
mAcc and per-class IoU by mmseg's ``IoUMetric`` helpers). Runs accumulate
in the raw record at ``--json``: a run already there is not trained or
evaluated again, and the record is saved after every run, each with its
wall time, parts (a run stopped part-way resumes from its last checkpoint
when started again), threads, machine, torch and date (``--reevaluate``
evaluates named runs again, keeping those). EncNet runs also get the SE
branch's presence recall and precision per class, the SE-loss's share of
the training loss and what the context vector holds (how the codewords are
used; on SIFT Flow, how well it tells the scene kinds apart).
Every checkpoint a run keeps (every 200 iterations) is evaluated too, into
the run's ``curve`` (val accuracy by minutes of training).
``run_all.py --render`` renders its tables, as this script prints them.
``--figure`` draws val scenes as rows, image | ground truth | one column
per config (its first run), with EncNet's presence chart beside it
(``*_presence.png``) and, for the demo, its training curves
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
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, List, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config

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
    'siftflow':
    dict(
        runs=_runs([
            'encnet_r18-d8_siftflow', 'encnet_r18-d8-sebal_siftflow',
            'fcn_r18-d8_siftflow', 'encnet_r18-d8-nose_siftflow',
            'encnet_r18-d8-lateral_siftflow'
        ], [0, 1, 2]) + _runs([
            'encnet_r18-d8-k32_siftflow', 'pspnet_r18-d8_siftflow',
            'encnet_r18-d8-sebal-w1_siftflow', 'encnet_r18-d8-nocw_siftflow'
        ], [0]) +
        # from ImageNet weights: the claim over 5 seeds, then the ablation
        # (3 seeds of pooling, as close as it is to EncNet on seed 0)
        _runs(['encnet_lite0-d16_siftflow', 'fcn_lite0-d16_siftflow'],
              range(5)) +
        _runs([
            'encnet_lite0-d16-nose_siftflow',
            'encnet_lite0-d16-nolateral_siftflow', 'pspnet_lite0-d16_siftflow'
        ], [0]) + _runs(['encnet_lite0-d16-gap_siftflow'], range(3)),
        # classes whose presence depends on the scene, and rare ones
        highlight=['sea', 'river', 'field', 'sand', 'person', 'boat'],
        # coast, highway, insidecity, mountain, street (file name order)
        scenes=[0, 64, 96, 128, 192],
        # each image's scene kind is its file name's prefix (coast_...)
        kind_by_name=True,
        # the configs of the accuracy-against-time figure (:func:`plot`)
        minutes=[
            'encnet_lite0-d16_siftflow', 'fcn_lite0-d16_siftflow',
            'encnet_r18-d8-lateral_siftflow', 'encnet_r18-d8_siftflow',
            'fcn_r18-d8_siftflow'
        ],
        scale=1.0),
}
# the converted data by default; converted from the release when absent
DATA_ROOTS = dict(
    camvid=osp.join(ROOT, '..', 'shared', 'camvid'),
    siftflow=osp.join(ROOT, 'data', 'siftflow'))
RELEASES = dict(siftflow=osp.join(ROOT, '..', 'shared', 'siftflow'))


def by_recipe(recipe: str) -> Callable[[dict], tuple]:
    """Sort key of a record's runs: config in the order of the recipe's runs
    (others after it, by name), then seed; whichever run finished first."""
    order = {
        c: i
        for i, c in enumerate(
            dict.fromkeys(
                r.partition(':')[0] for r in RECIPES[recipe]['runs']))
    }

    def key(run: dict) -> tuple:
        return order.get(run['config'], len(order)), run['config'], run['seed']

    return key


def config_path(recipe: str, name: str) -> str:
    return osp.join(ROOT, 'configs', recipe, f'{name}.py')


def data_options(data_root: Optional[str]) -> List[str]:
    return [] if data_root is None else [
        f'{split}_dataloader.dataset.data_root={data_root}'
        for split in ('train', 'val', 'test')
    ]


def final_checkpoint(config: str, work_dir: str, options: List[str]) -> str:
    """``work_dir/iter_<max_iters>.pth`` of the config as ``tools/train.py``
    reads it with ``--cfg-options *options``."""
    from mmseg_encnet.cli.common import load_config
    from mmseg_encnet.cli.train import parse_args
    cfg = load_config(
        parse_args([config,
                    *(['--cfg-options', *options] if options else [])]))
    return osp.join(work_dir, f'iter_{cfg.train_cfg.max_iters}.pth')


# every checkpoint stays, for the run's curve (:func:`curve`)
KEEP = 'default_hooks.checkpoint.max_keep_ckpts=-1'


def train(config: str, seed: int, work_dir: str, final: str, threads: int,
          options: List[str]) -> Optional[Tuple[float, int]]:
    """Train into ``work_dir`` unless its ``final`` checkpoint exists,
    resuming from its last checkpoint when a run was stopped; the wall time
    in seconds and the number of parts (starts) it took, None when trained
    before. Thread-safe: it reads no config (mmengine's config loading is
    not).

    The wall time adds each stopped part up to the last checkpoint that part
    wrote (the next part does not repeat those iterations); the parts are
    kept in ``<work_dir>.parts``."""
    if osp.isfile(final):
        return None
    os.makedirs(work_dir, exist_ok=True)
    parts_file = f'{work_dir}.parts'
    parts = dict(seconds=[], start=None)  # stopped parts, the open one
    if osp.isfile(parts_file):
        with open(parts_file) as f:
            parts = json.load(f)
    last = osp.join(work_dir, 'last_checkpoint')
    resume = osp.isfile(last)
    if parts['start'] is not None:  # the open part was stopped
        saved = osp.getmtime(last) if resume else 0.0
        parts['seconds'].append(max(saved - parts['start'], 0.0))
    parts['start'] = time.time()
    with open(parts_file, 'w') as f:
        json.dump(parts, f)
    start = time.perf_counter()
    with open(f'{work_dir}.log', 'a' if resume else 'w') as log:
        subprocess.run([
            sys.executable,
            osp.join(ROOT, 'tools/train.py'), config, '--work-dir', work_dir,
            '--cfg-options', f'randomness.seed={seed}', *options, KEEP,
            *(['--resume'] if resume else [])
        ],
                       check=True,
                       cwd=ROOT,
                       stdout=log,
                       stderr=subprocess.STDOUT,
                       env=dict(
                           os.environ,
                           PYTHONWARNINGS='ignore',
                           OMP_NUM_THREADS=str(threads)))
    return (sum(parts['seconds']) + time.perf_counter() - start,
            len(parts['seconds']) + 1)


def curve(config: str, work_dir: str, seconds: Optional[float], pairs: List,
          classes) -> List[dict]:
    """Val aAcc, mIoU and mAcc of the checkpoints a run kept before its
    final one, each at the minutes of training it had taken (the run's wall
    ``seconds`` shared out by the iteration times mmengine logged)."""
    clock = _evaluate.iteration_clock(work_dir)
    kept = {
        int(osp.basename(path)[5:-4]): path
        for path in glob.glob(osp.join(work_dir, 'iter_*.pth'))
    }
    if not clock or seconds is None:
        return []
    points = []
    for it in sorted(kept)[:-1]:  # the final one is the run's own entry
        logged = max((i for i in clock if i <= it), default=None)
        if logged is None:
            continue
        metrics = _evaluate.evaluate(config, kept[it], pairs, classes)
        points.append(
            dict(
                iter=it,
                minutes=seconds * clock[logged] / clock[max(clock)] / 60,
                **{k: metrics[k]
                   for k in ('aAcc', 'mIoU', 'mAcc')}))
    return points


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


def _where(record: dict) -> str:
    """When and where: the record's, or the runs' own (dates as a range)."""
    runs = record['results']
    if not all('date' in r for r in runs):
        return (f"({record['date']}, {record['machine']}, "
                f"torch {record['torch']})")
    dates = sorted({r['date'] for r in runs})
    span = dates[0] if len(dates) == 1 else f'{dates[0]} to {dates[-1]}'
    return (f"({span}, {'; '.join(sorted({r['machine'] for r in runs}))}, "
            f"torch {', '.join(sorted({r['torch'] for r in runs}))})")


def _mean_spread(values: List[float]) -> List[str]:
    return [f'{np.mean(values):.2f}', f'{min(values):.2f}-{max(values):.2f}']


def _render_context(runs: List[dict], what: str, images: int,
                    where: str) -> List[str]:
    """Rows of what each EncNet run's context vector holds."""
    runs = [r for r in runs if 'usage' in r['context']]  # codewords used
    kinds = all('scene_accuracy' in r['context'] for r in runs)
    rows = [
        f'{what}: what the context vector of EncNet holds, on {images} val '
        f'images {where}',
        '| config | seed | codewords | effective codewords | largest share (%)'
        + (' | scene kind from context vector (%) | from pooled features (%)'
           if kinds else '') + ' |', '| --- | ---: | ---: | ---: | ---:' +
        (' | ---: | ---:' if kinds else '') + ' |'
    ]
    for r in runs:
        c = r['context']
        cells = [
            f"`{r['config']}`",
            str(r['seed']),
            str(len(c['usage'])), f"{c['effective_codewords']:.1f}",
            f"{c['usage'][0]:.1f}"
        ]
        if kinds:
            cells += [
                f'{c["scene_accuracy"][k]:.1f}' for k in ('context', 'pooled')
            ]
        rows.append('| ' + ' | '.join(cells) + ' |')
    return rows


def render(record: dict) -> str:
    """Per config: runs, val mIoU per seed, mean and spread (and of mAcc and
    aAcc where the record has them), the singled-out classes' IoU (mean
    over runs); then every class of every run, and its mean over each
    config's runs."""
    s = record['settings']
    runs = sorted(record['results'], key=by_recipe(s['recipe']))
    where = _where(record)
    accuracy = all('mAcc' in r for r in runs)
    options = ' '.join(s['cfg_options'])
    what = s['recipe'] + (f' with {options}' if options else '')
    caption = (f"{what}: val mIoU (%) of the final weights on "
               f"{s['val_images']} val images {where}")
    high = s['highlight']
    extra = ['mAcc', 'mAcc min-max', 'aAcc', 'aAcc min-max'
             ] if accuracy else []
    rows = [
        caption, '| config | runs | val mIoU by seed | mean | min-max | ' +
        ''.join(f'{c} | ' for c in extra) + ' | '.join(high) + ' |',
        '| --- | ---: | --- | ---: | --- |' + ' ---: | --- |' *
        (len(extra) // 2) + ' ---: |' * len(high)
    ]
    by_config = {
        c: [r for r in runs if r['config'] == c]
        for c in dict.fromkeys(r['config'] for r in runs)
    }
    for config, mine in by_config.items():
        cells = [
            f'`{config}`',
            str(len(mine)),
            ', '.join(f"{r['seed']}: {r['mIoU']:.2f}" for r in mine),
            *_mean_spread([r['mIoU'] for r in mine])
        ]
        if accuracy:
            cells += _mean_spread([r['mAcc'] for r in mine])
            cells += _mean_spread([r['aAcc'] for r in mine])
        cells += [f"{np.mean([r['iou'][c] for r in mine]):.1f}" for c in high]
        rows.append('| ' + ' | '.join(cells) + ' |')
    context = [r for r in runs if 'context' in r]
    if context:
        rows += ['', *_render_context(context, what, s['val_images'], where)]
    classes = s['classes']
    # each run's accuracies and wall time (with its validations) on how
    # many threads, where the record has them
    timed = ['aAcc', 'mAcc', 'minutes', 'threads'] if accuracy else []
    per_run = [
        f'{what}: IoU (%) per class of every run {where}',
        '| config | seed | val mIoU | ' + ''.join(f'{c} | ' for c in timed) +
        ' | '.join(classes) + ' |',
        '| --- | ---: | ---: |' + ' ---: |' * (len(timed) + len(classes))
    ]
    for r in runs:
        cells = [f"`{r['config']}`", str(r['seed']), f"{r['mIoU']:.2f}"]
        if accuracy:
            cells += [
                f"{r['aAcc']:.2f}", f"{r['mAcc']:.2f}",
                f"{r['seconds'] / 60:.0f}" if r['seconds'] else '-',
                str(r.get('threads', '-'))
            ]
        cells += [f"{r['iou'][c]:.1f}" for c in classes]
        per_run.append('| ' + ' | '.join(cells) + ' |')
    for config, mine in by_config.items():
        if len(mine) > 1:  # the mean over its runs, of every column
            cells = [f'`{config}`', f'mean of {len(mine)}'] + [
                f'{np.mean([r[k] for r in mine]):.2f}'
                for k in ['mIoU'] + timed[:2]
            ] + ['-'] * len(timed[2:]) + [
                f"{np.mean([r['iou'][c] for r in mine]):.1f}" for c in classes
            ]
            per_run.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(rows) + '\n\n' + '\n'.join(per_run)


def plot(record: dict, path: str) -> None:
    """Draw ``path``: val mIoU against minutes of training, a line per run
    of the recipe's ``minutes`` configs through its kept checkpoints to its
    final weights (a run with none kept: its final point alone)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), dpi=100)
    configs = RECIPES[record['settings']['recipe']].get('minutes', [])
    for config, colour in zip(configs, plt.get_cmap('tab10').colors):
        runs = [
            r for r in record['results']
            if r['config'] == config and r['seconds']
        ]
        for index, r in enumerate(runs):
            points = r.get('curve', []) + [
                dict(minutes=r['seconds'] / 60, mIoU=r['mIoU'])
            ]
            ax.plot(
                [p['minutes'] for p in points], [p['mIoU'] for p in points],
                'o-',
                color=colour,
                alpha=0.8,
                label=f'{config} ({len(runs)} runs)' if index == 0 else None)
    ax.set_xlabel('minutes of training (wall time, one CPU run)')
    ax.set_ylabel('val mIoU (%)')
    ax.set_xlim(left=0)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(f"{record['settings']['recipe']}: val mIoU against minutes "
                 'of training')
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# what a run's record keeps from its training when it is evaluated again
TRAINING_FIELDS = ('config', 'seed', 'seconds', 'parts', 'threads', 'machine',
                   'torch', 'date')


def load_record(path: str, settings: dict) -> dict:
    """The record at ``path`` if it has these settings, else a new one."""
    if osp.isfile(path):
        with open(path) as f:
            record = json.load(f)
        if record['settings'] != settings:
            raise SystemExit(f'{path} holds runs of other settings '
                             f"({record['settings']}); name another --json")
        return record
    return _measure.make_record('seeds', settings, [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('recipe', choices=list(RECIPES))
    parser.add_argument('--runs', nargs='+', help='CONFIG:SEED entries')
    parser.add_argument(
        '--data-root',
        help='the dataset (default: ' +
        ', '.join(f'{k}: {osp.relpath(v, ROOT)}'
                  for k, v in DATA_ROOTS.items()) + ')')
    parser.add_argument('--jobs', type=int, default=1)
    parser.add_argument('--work-dirs', help='default work_dirs/<recipe>')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        help='KEY=VALUE config options for every training')
    parser.add_argument(
        '--json', help='raw record to add to, default <work-dirs>.json')
    parser.add_argument(
        '--reevaluate',
        action='store_true',
        help='evaluate the named runs already in the record again (their '
        'final checkpoints must be in the work dirs), keeping their '
        'training fields')
    parser.add_argument('--figure', help='PNG of val scenes and predictions')
    parser.add_argument(
        '--scenes',
        nargs='+',
        type=int,
        help='val image indices (file name order) for --figure; default: '
        'the recipe\'s')
    args = parser.parse_args()
    recipe = RECIPES[args.recipe]
    data_root = args.data_root or DATA_ROOTS.get(args.recipe)
    data_root = data_root and osp.realpath(data_root)
    if data_root and not osp.isdir(data_root) and args.recipe in RELEASES:
        subprocess.run([
            sys.executable,
            osp.join(ROOT, 'tools', 'dataset_converters', f'{args.recipe}.py'),
            RELEASES[args.recipe], '--out', data_root
        ],
                       check=True)
    work_dirs = args.work_dirs or osp.join('work_dirs', args.recipe)
    options = data_options(data_root) + args.cfg_options
    runs = [(c, int(s)) for c, _, s in (r.partition(':')
                                        for r in args.runs or recipe['runs'])]
    threads = max((os.cpu_count() or 1) // args.jobs, 1)
    pairs, classes, palette = val_set(
        config_path(args.recipe, runs[0][0]), data_root)
    json_path = args.json or f'{work_dirs}.json'
    record = load_record(
        json_path,
        dict(
            recipe=args.recipe,
            cfg_options=args.cfg_options,
            val_images=len(pairs),
            classes=list(classes),
            highlight=recipe['highlight'],
            device='cpu'))
    done = {(r['config'], r['seed']) for r in record['results']}
    kinds = [osp.basename(image).split('_')[0]
             for image, _ in pairs] if recipe.get('kind_by_name') else None

    every = []  # (config, seed, config path, work dir, final checkpoint)
    for config, seed in runs:
        path = config_path(args.recipe, config)
        work_dir = osp.join(work_dirs, f'{config}_seed{seed}')
        every.append((config, seed, path, work_dir,
                      final_checkpoint(path, work_dir, options)))
    jobs = [j for j in every if j[:2] not in done or args.reevaluate]
    lock = threading.Lock()

    def run(job) -> None:
        """Train, evaluate, add to the record and save it."""
        config, seed, path, work_dir, final = job
        trained = [
            r for r in record['results']
            if (r['config'], r['seed']) == (config, seed)
        ]
        if trained:  # --reevaluate: the training's own fields are kept
            entry = {
                k: trained[0][k]
                for k in TRAINING_FIELDS if k in trained[0]
            }
        else:
            seconds, parts = train(path, seed, work_dir, final, threads,
                                   options) or (None, None)
            entry = dict(
                config=config,
                seed=seed,
                seconds=seconds,
                parts=parts,
                threads=threads,
                machine=_measure.cpu_machine(threads),
                torch=torch.__version__,
                date=time.strftime('%Y-%m-%d'))
        with lock:  # evaluation reads configs: not thread-safe
            metrics = _evaluate.evaluate(path, final, pairs, classes, kinds)
            metrics.update(_evaluate.se_loss_share(work_dir))
            # a run evaluated again without its checkpoints keeps its curve
            points = curve(path, work_dir, entry['seconds'], pairs,
                           classes) or (trained and trained[0].get('curve'))
            if points:
                metrics['curve'] = points
            for old in trained:
                record['results'].remove(old)
            record['results'].append(dict(entry, **metrics))
            record['results'].sort(key=by_recipe(args.recipe))
            _measure.save(record, json_path)
            print(
                f"{config}:{seed}: val aAcc {metrics['aAcc']:.2f}, mIoU "
                f"{metrics['mIoU']:.2f}, mAcc {metrics['mAcc']:.2f}",
                flush=True)

    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(run, jobs))
    print(render(record))
    if args.figure:  # each config's first run here that is trained
        firsts = {}
        for config, _, path, _, final in every:
            if config not in firsts and osp.isfile(final):
                firsts[config] = (path, final)
        _evaluate.save_figure(
            firsts, [pairs[i] for i in args.scenes or recipe['scenes']],
            classes,
            palette,
            args.figure,
            scale=recipe['scale'])
        curves = osp.join(
            osp.dirname(next(iter(firsts.values()))[1]), 'training_curves.png')
        if args.recipe == 'demo' and osp.isfile(curves):
            shutil.copyfile(curves, args.figure.replace('.png', '_curves.png'))
        print(f'figure: {args.figure}')


if __name__ == '__main__':
    main()
