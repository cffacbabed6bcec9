"""Run every benchmark, print the tables and save them as Markdown.

    python benchmarks/run_all.py [--quick] [--out benchmarks/results.md]

``--quick`` (a few minutes on 2 CPU cores) uses the training step at
256x512 and inference at 512x1024, and leaves out the largest scaling
points; without it the sizes are Cityscapes' (512x1024 training crops,
1024x2048 frames), which takes tens of minutes on a CPU.
"""
import argparse
import os.path as osp
import platform
import subprocess
import sys
import time

import torch

HERE = osp.dirname(osp.abspath(__file__))


def machine() -> str:
    if torch.cuda.is_available():
        return torch.cuda.get_device_name()
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(line.split(':', 1)[1].strip() for line in f
                       if line.startswith('model name'))
    except (OSError, StopIteration):
        pass
    return f'{cpu}, {torch.get_num_threads()} threads'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true')
    parser.add_argument(
        '--out',
        default=osp.join(HERE, 'results.md'),
        help='Markdown tables; scaling.png goes beside it')
    parser.add_argument('--amp', action='store_true',
                        help='also measure an autocast training step (CUDA)')
    args = parser.parse_args()
    plot = osp.join(osp.dirname(osp.abspath(args.out)), 'scaling.png')

    if args.quick:
        runs = [
            ['encoding.py', '--steps', '3'],
            ['train_step.py', '--height', '256', '--width', '512',
             '--steps', '2'],
            ['inference.py', '--height', '512', '--width', '1024',
             '--steps', '1'],
            ['scaling.py', '--quick', '--plot', plot],
        ]
    else:
        runs = [
            ['encoding.py', '--rounds', '2'],
            ['train_step.py', '--rounds', '2'],
            ['inference.py'],
            ['scaling.py', '--plot', plot],
        ]
    if args.amp:
        runs.append(runs[1] + ['--amp'])

    sections = [
        f'Measured {time.strftime("%Y-%m-%d")} on {machine()}, torch '
        f'{torch.__version__}{" (quick sizes)" if args.quick else ""}.'
    ]
    for run in runs:
        cmd = [sys.executable, osp.join(HERE, run[0]), *run[1:]]
        print('$ python benchmarks/' + ' '.join(run), flush=True)
        out = subprocess.run(  # errors go straight to our stderr
            cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
        print(out, flush=True)
        sections.append(out.strip())
    with open(args.out, 'w') as f:
        f.write('\n\n'.join(sections) + '\n')
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
