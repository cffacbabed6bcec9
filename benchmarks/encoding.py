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
import tempfile
from pathlib import Path

import torch

from _measure import (IMPLS, MemoryMeter, compare, default_device,
                      median_time, ratio_row)


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
    # Pixel features of about unit norm, so that assignments are soft and the
    # agreement check covers the softmax's gradient too.
    x = torch.randn(
        args.batch, args.channels, args.height, args.width,
        device=device).div_(args.channels**0.5).requires_grad_()
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
    }, Path(args.save_dir) / f'{args.impl}.pth')
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
    parser.add_argument('--device', default=default_device())
    parser.add_argument('--rounds', type=int, default=1)
    parser.add_argument('--impl', choices=IMPLS, help=argparse.SUPPRESS)
    parser.add_argument('--save-dir', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.impl:
        return worker(args)

    with tempfile.TemporaryDirectory() as tmp:
        worker_args = ['--save-dir', tmp]
        for key in ('batch', 'channels', 'height', 'width', 'num_codes',
                    'steps', 'device'):
            worker_args += [f"--{key.replace('_', '-')}",
                            str(getattr(args, key))]
        results = compare(__file__, worker_args, args.rounds)
        tensors = {
            impl: torch.load(Path(tmp) / f'{impl}.pth', weights_only=True)
            for impl in IMPLS
        }

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
    print(ratio_row('ratio mmseg/ours', results, ['seconds', 'memory']))
    diffs = max_relative_difference(tensors['ours'], tensors['mmseg'])
    print('max relative difference: ' +
          ', '.join(f'{k} {v:.2e}' for k, v in diffs.items()))


if __name__ == '__main__':
    main()
