"""Check, then measure, EncNet on a GPU within a time budget.

Run by ``benchmarks/gpu/run.sh`` once mmengine, mmseg and mmcv import. The
steps run in order, each in processes of its own, and print their wall
time:

1. ``check``: ``check.py`` (ours against mmseg's in float32, float16 and
   bfloat16 autocast); a failure stops the run with its numbers.
2. the benchmarks, each writing its raw record (machine, GPU, torch, CUDA,
   date, every round) to ``--out``: the Encoding layer and EncModule
   scaling, ours against mmseg's; the R50-D8 training step under fp16
   autocast at batch 2 and 8, our EncNet against mmseg's EncNet, PSPNet and
   FCN (BN, one GPU); the same step compiled; whole-frame 1024x2048
   inference.

A step that would start past ``--limit`` seconds is skipped, one that runs
past it is stopped; the records written so far stay, and
``results.md`` is rendered from them. ``--device cpu --quick`` is the dry
run at tiny sizes (one step, one round) that CI runs.

    python benchmarks/gpu/run.py [--device cuda] [--quick] [--limit 540]
        [--out DIR]
"""
import argparse
import os
import os.path as osp
import signal
import subprocess
import sys
import time
from typing import List, Optional, Tuple

HERE = osp.dirname(osp.abspath(__file__))
BENCHMARKS = osp.dirname(HERE)
sys.path.insert(0, BENCHMARKS)

from run_all import render_folder  # noqa: E402

TRAIN_VARIANTS = ['ours', 'mmseg', 'pspnet', 'fcn']


def steps(device: str, quick: bool, out: str) -> List[Tuple[str, List[str]]]:
    """(name, command) of every step, in order."""

    def bench(script: str, name: str, *args: str) -> Tuple[str, List[str]]:
        return name, [
            osp.join(BENCHMARKS, script), *args, f'--device={device}',
            '--json',
            osp.join(out, f'{name}.json')
        ]

    size = ['--height=32', '--width=64'] if quick else []
    # the dry run checks the command, not the numbers: one step, one round
    few = ['--steps=1', '--rounds=1'] if quick else []
    train = ['--amp', '--variants', *TRAIN_VARIANTS, *size, *few]
    return [
        ('check', [osp.join(HERE, 'check.py'), f'--device={device}'] +
         (['--quick'] if quick else [])),
        bench(
            'encoding.py', 'encoding',
            *(['--height=8', '--width=16', '--channels=64'] if quick else []),
            *few),
        bench('scaling.py', 'scaling',
              *(['--quick', '--channels=64'] if quick else []), *few),
        bench('end_to_end.py', 'train_step', 'train_step', '--batch=2',
              *train),
        # the quick dry run leaves out batch 8 and compiling: at its tiny
        # sizes they repeat train_step at the cost of three compiles a round
        *([] if quick else [
            bench('end_to_end.py', 'train_step_b8', 'train_step', '--batch=8',
                  *train),
            bench('end_to_end.py', 'train_step_compile', 'train_step',
                  '--batch=2', *size, '--variants', 'ours:amp',
                  'ours:amp:compile')
        ]),
        bench('end_to_end.py', 'inference', 'inference', '--modes', 'whole',
              *size, *few),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cuda')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='tiny sizes, one step, one round, no batch 8 or compile steps '
        '(the CPU dry run)')
    parser.add_argument(
        '--limit',
        type=float,
        default=540,
        help='seconds for the whole run (default 540)')
    parser.add_argument(
        '--out',
        default=os.environ.get('OUT')
        or osp.join(BENCHMARKS, 'results', 'gpu'),
        help='records folder (default $OUT, '
        'else benchmarks/results/gpu)')
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    start = time.monotonic()
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    for name, cmd in steps(args.device, args.quick, args.out):
        left = args.limit - (time.monotonic() - start)
        if left < 10:
            print(f'== {name}: skipped, {left:.0f} s of the budget left')
            continue
        print(f'== {name}', flush=True)
        began = time.monotonic()
        # its own process group: stopping it stops its worker processes too
        step = subprocess.Popen([sys.executable, *cmd],
                                env=env,
                                start_new_session=True)
        try:
            returncode: Optional[int] = step.wait(timeout=left)
        except subprocess.TimeoutExpired:
            returncode = None
        finally:
            if step.poll() is None:  # past the limit, or interrupted
                os.killpg(step.pid, signal.SIGKILL)
                step.wait()
        if returncode is None:
            print(f'== {name}: stopped at the limit ({args.limit:.0f} s)')
            continue  # the steps after it print that they are skipped
        print(
            f'== {name}: {time.monotonic() - began:.1f} s '
            f"({'ok' if returncode == 0 else 'failed'})",
            flush=True)
        if returncode != 0:
            if name == 'check':
                print('checks failed: nothing measured')
                return 1
    text = render_folder(
        args.out, 'GPU' if args.device == 'cuda' else f'{args.device} dry run')
    with open(osp.join(args.out, 'results.md'), 'w') as f:
        f.write(text)
    print(text)
    print(f'== total {time.monotonic() - start:.1f} s; records and '
          f"results.md in {args.out}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
