"""bfloat16 and compiled training on a CPU against float32.

Trains the demo config (EncNet, half-width ResNetV1c-18-D8, 128x256,
batch 4) for ``--iters`` iterations from the same seed: in float32
(mmengine's ``OptimWrapper``), with ``--amp`` (bfloat16 autocast through
``mmseg_encnet.BF16OptimWrapper``, the demo's default), and each of them
with ``compile=True`` (our Runner compiles the network's forward), every
mode in a process of its own, alternating over ``--rounds``. Prints the
median time per iteration (the first logging window, warm-up and compiling,
left out), the first window's (how long compiling took shows there) and the
training loss at the last iteration (mmengine's mean over the last logging
window), each against the first mode (float32).

    python benchmarks/amp_cpu.py [--iters 60] [--rounds 3]
        [--modes float32 bfloat16 ...] [--json raw.json]
"""
import argparse
import os
import os.path as osp
import statistics
import subprocess
import sys
import tempfile

from _evaluate import logged
from _measure import (add_rounds_argument, make_record, report, rounds_label,
                      spread)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(ROOT, 'configs/demo/encnet_r18-d8_demo.py')
# mode: (train.py flags, --cfg-options)
MODES = {
    'float32': ([], []),
    'bfloat16': (['--amp'], []),
    'float32 compiled': ([], ['compile=True']),
    'bfloat16 compiled': (['--amp'], ['compile=True']),
}


def train(mode: str, iters: int, data_root: str, work_dir: str) -> dict:
    """Seconds per iteration and the final logged loss of one run."""
    flags, options = MODES[mode]
    subprocess.run(
        [
            sys.executable,
            osp.join(ROOT, 'tools/train.py'),
            CONFIG,
            '--work-dir',
            work_dir,
            *flags,
            '--cfg-options',
            *options,
            'optim_wrapper.type=OptimWrapper',  # float32 unless --amp
            f'train_dataloader.dataset.data_root={data_root}',
            f'val_dataloader.dataset.data_root={data_root}',
            f'train_cfg.max_iters={iters}',
            f'train_cfg.val_interval={iters + 1}',
            f'default_hooks.checkpoint.interval={iters + 1}',
            'default_hooks.logger.interval=10',
            'randomness.seed=0'
        ],
        check=True,
        capture_output=True,
        env=dict(os.environ, PYTHONWARNINGS='ignore'))
    logs = [r for r in logged(work_dir) if 'loss' in r]
    return dict(
        seconds=statistics.median(log['time'] for log in logs[1:]),
        first_window=logs[0]['time'],
        loss=logs[-1]['loss'],
        iter=logs[-1]['iter'])


def render(record: dict) -> str:
    s, runs = record['settings'], record['results']
    median = {
        mode: {
            key: statistics.median(r[key] for r in results if key in r)
            for key in ('seconds', 'first_window', 'loss')
            if any(key in r for r in results)
        }
        for mode, results in runs.items()
    }
    lines = [
        f"Demo training (EncNet-R18-D8 half width, 128x256, batch 4), "
        f"{s['iters']} iterations, {rounds_label(s['rounds'], 'runs')} "
        f"({record['date']}, {record['machine']}, torch {record['torch']})",
        f"| mode | s / iteration | min-max over runs | speed-up | "
        f"s / iteration, first 10 | loss at iteration {s['iters']} | "
        'loss change |', '| --- | ---: | --- | ---: | ---: | ---: | ---: |'
    ]
    fp32 = median[next(iter(median))]  # the first mode is the reference
    for mode, result in median.items():
        first = result.get('first_window')
        lines.append(
            f"| {mode} | {result['seconds']:.3f} | {spread(runs[mode])} | "
            f"{fp32['seconds'] / result['seconds']:.2f}x | "
            f"{'' if first is None else f'{first:.3f}'} | "
            f"{result['loss']:.4f} | "
            f"{(result['loss'] - fp32['loss']) / fp32['loss'] * 100:+.1f}% |")
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--iters', type=int, default=60)
    add_rounds_argument(parser)
    parser.add_argument(
        '--modes', nargs='+', choices=list(MODES), default=list(MODES))
    parser.add_argument('--json', help='write the raw record here')
    args = parser.parse_args()
    runs = {mode: [] for mode in args.modes}
    with tempfile.TemporaryDirectory() as tmp:
        data_root = osp.join(tmp, 'demo_street')  # written by the first run
        for i in range(args.rounds):
            for mode in args.modes:
                runs[mode].append(
                    train(mode, args.iters, data_root,
                          osp.join(tmp, f'{mode}_{i}')))
    record = make_record(
        'amp_cpu', dict(iters=args.iters, rounds=args.rounds, device='cpu'),
        runs)
    report(record, args.json, render)


if __name__ == '__main__':
    main()
