"""Encoding layer, ours against MMSegmentation's: time, memory, agreement.

Each implementation runs forward+backward in its own process (so one's
allocations cannot hide the other's) on the same seeded input, at Cityscapes
training size by default (batch 2, C=512, 64x128 features, K=32). The parent
prints the median step time, the growth of peak memory during the steps
(peak RSS minus RSS before the first step on CPU; peak allocated on CUDA),
their ratios, and the largest difference in output and gradients, relative
to the largest magnitude of mmseg's.

    python benchmarks/encoding.py [--steps 5] [--device cpu]
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

from _measure import MemoryMeter, median_time

IMPLS = ('mmseg', 'ours')


def build(impl: str, channels: int, num_codes: int) -> torch.nn.Module:
    if impl == 'ours':
        from mmseg_encnet.models.encoding import Encoding
    else:
        from mmseg.models.utils import Encoding
    return Encoding(channels, num_codes)


def worker(args: argparse.Namespace) -> None:
    """Measure one implementation; print a JSON line, save the results."""
    torch.manual_seed(0)
    device = torch.device(args.device)
    layer = build(args.impl, args.channels, args.num_codes).to(device)
    x = torch.randn(
        args.batch, args.channels, args.height, args.width,
        device=device).requires_grad_()
    grad_out = torch.randn(
        args.batch, args.num_codes, args.channels, device=device)

    def step():
        x.grad = None
        layer.zero_grad(set_to_none=True)
        out = layer(x)
        out.backward(grad_out)
        return out

    meter = MemoryMeter(device)
    out = step()  # warm-up, counted in the memory growth
    seconds = median_time(step, args.steps, device)
    torch.save({
        'out': out.detach(),
        'x': x.grad,
        'codewords': layer.codewords.grad,
        'scale': layer.scale.grad
    }, args.save)
    print(json.dumps(dict(seconds=seconds, memory=meter.growth())))


def max_relative_difference(ours: dict, ref: dict) -> dict:
    return {
        name: ((ours[name] - ref[name]).abs().max() /
               ref[name].abs().max()).item()
        for name in ref
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--channels', type=int, default=512)
    parser.add_argument('--height', type=int, default=64)
    parser.add_argument('--width', type=int, default=128)
    parser.add_argument('--num-codes', type=int, default=32)
    parser.add_argument('--steps', type=int, default=5)
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--impl', choices=IMPLS, help=argparse.SUPPRESS)
    parser.add_argument('--save', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.impl:
        return worker(args)

    results, tensors = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for impl in IMPLS:
            save = str(Path(tmp) / f'{impl}.pth')
            cmd = [sys.executable, __file__, '--impl', impl, '--save', save]
            for key in ('batch', 'channels', 'height', 'width', 'num_codes',
                        'steps', 'device'):
                cmd += [f"--{key.replace('_', '-')}", str(getattr(args, key))]
            out = subprocess.run(
                cmd, check=True, capture_output=True, text=True).stdout
            results[impl] = json.loads(out.strip().splitlines()[-1])
            tensors[impl] = torch.load(save, weights_only=True)

    shape = (f'B={args.batch} C={args.channels} '
             f'{args.height}x{args.width} K={args.num_codes}')
    print(f'Encoding forward+backward, {shape}, {args.device}, '
          f'median of {args.steps} steps')
    print('| impl | time (ms) | memory growth (MiB) |')
    print('| --- | ---: | ---: |')
    for impl in IMPLS:
        r = results[impl]
        print(f"| {impl} | {r['seconds'] * 1e3:.1f} | "
              f"{r['memory'] / 2**20:.1f} |")
    ref, ours = results['mmseg'], results['ours']
    print(f"| ratio mmseg/ours | {ref['seconds'] / ours['seconds']:.1f}x | "
          f"{ref['memory'] / max(ours['memory'], 1):.1f}x |")
    diffs = max_relative_difference(tensors['ours'], tensors['mmseg'])
    print('max relative difference: ' +
          ', '.join(f'{k} {v:.2e}' for k, v in diffs.items()))


if __name__ == '__main__':
    main()
