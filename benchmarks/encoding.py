"""Encoding layer, ours against MMSegmentation's: time, memory, agreement.

Each implementation runs forward+backward in its own process (so one's
allocations cannot hide the other's) on the same seeded input, at Cityscapes
training size by default (batch 2, C=512, 64x128 features, K=32),
alternating over ``--rounds``. The parent prints the median step time of the
median round, the growth of peak memory during the steps (peak RSS minus RSS
before the first step on CPU; peak allocated on CUDA), their ratios, and the
largest difference in output and gradients, relative to the largest
magnitude of mmseg's.

    python benchmarks/encoding.py [--steps 5 --rounds 3] [--device cuda]
        [--input bn-relu|unit] [--json raw.json]
"""
import argparse
import tempfile
from pathlib import Path

import torch

from _measure import (MemoryMeter, add_rounds_argument, compare,
                      default_device, header, make_record, measurement,
                      median_round, report, spread, step_times)

IMPLS = ('mmseg', 'ours')


def build(impl: str, channels: int, num_codes: int) -> torch.nn.Module:
    if impl == 'ours':
        from mmseg_encnet.models.encoding import Encoding
    else:
        from mmseg.models.utils import Encoding
    return Encoding(channels, num_codes)


def features(kind: str, shape: tuple, device: torch.device) -> torch.Tensor:
    """Seeded input features of ``shape`` (B, C, H, W).

    ``bn-relu``: what EncHead feeds the layer, the output of a BN+ReLU
    (||x||^2 ~ C/2 per pixel: the softmax over codewords is sharp and would
    underflow to denormals). ``unit``: about unit norm per pixel, where
    assignments are soft.
    """
    x = torch.randn(shape, device=device)
    if kind == 'unit':
        return x.div_(shape[1]**0.5)
    return torch.nn.functional.batch_norm(x, None, None, training=True).relu_()


def worker(args: argparse.Namespace) -> None:
    """Measure one implementation; print a JSON line, save the results."""
    torch.manual_seed(0)
    device = torch.device(args.device)
    layer = build(args.impl, args.channels, args.num_codes).to(device)
    x = features(args.input,
                 (args.batch, args.channels, args.height, args.width),
                 device).requires_grad_()
    grad_out = torch.randn(
        args.batch, args.num_codes, args.channels, device=device)

    def step():
        x.grad = None
        layer.zero_grad(set_to_none=True)
        with torch.autocast(device.type, enabled=args.amp):
            out = layer(x)
        out.backward(grad_out.to(out.dtype))
        return out

    meter = MemoryMeter(device)
    out = step()  # warm-up, counted in the memory growth
    times = step_times(step, args.steps, device)
    torch.save(
        {
            'out': out.detach(),
            'x': x.grad,
            'codewords': layer.codewords.grad,
            'scale': layer.scale.grad
        },
        Path(args.save_dir) / f'{args.impl}.pth')
    print(measurement(times, meter.growth()))


def max_relative_difference(ours: dict, ref: dict) -> dict:
    return {
        name:
        ((ours[name] - ref[name]).abs().max() / ref[name].abs().max()).item()
        for name in ref
    }


def render(record: dict) -> str:
    s, results = record['settings'], record['results']
    shape = (f"B={s['batch']} C={s['channels']} {s['height']}x{s['width']} "
             f"K={s['num_codes']}, {s.get('input', 'unit')} features"
             f"{', autocast' if s.get('amp') else ''}")
    lines = [
        header(record, f'Encoding forward+backward, {shape}'),
        '| impl | time (ms) | min-max over rounds (ms) | '
        'memory growth (MiB) |', '| --- | ---: | --- | ---: |'
    ]
    median = {impl: median_round(results[impl]) for impl in IMPLS}
    for impl in IMPLS:
        r = median[impl]
        lines.append(f"| {impl} | {r['seconds'] * 1e3:.1f} | "
                     f"{spread(results[impl], scale=1e3)} | "
                     f"{r['memory'] / 2**20:.1f} |")
    m, o = median['mmseg'], median['ours']
    lines.append(f"| ratio mmseg/ours | {m['seconds'] / o['seconds']:.2f}x "
                 f"| | {m['memory'] / max(o['memory'], 1):.2f}x |")
    lines.append('max relative difference: ' +
                 ', '.join(f'{k} {v:.2e}'
                           for k, v in record['difference'].items()))
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--channels', type=int, default=512)
    parser.add_argument('--height', type=int, default=64)
    parser.add_argument('--width', type=int, default=128)
    parser.add_argument('--num-codes', type=int, default=32)
    parser.add_argument('--steps', type=int, default=5)
    add_rounds_argument(parser)
    parser.add_argument('--device', default=default_device())
    parser.add_argument(
        '--amp', action='store_true', help='forward under autocast')
    parser.add_argument(
        '--input',
        choices=('bn-relu', 'unit'),
        default='bn-relu',
        help='features as EncHead feeds them (default) or of'
        ' unit norm')
    parser.add_argument('--json', help='write the raw record here')
    parser.add_argument('--impl', choices=IMPLS, help=argparse.SUPPRESS)
    parser.add_argument('--save-dir', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.impl:
        return worker(args)

    settings = {
        k: getattr(args, k)
        for k in ('batch', 'channels', 'height', 'width', 'num_codes', 'steps',
                  'rounds', 'device', 'amp', 'input')
    }
    with tempfile.TemporaryDirectory() as tmp:
        common = ['--save-dir', tmp] + [
            f"--{k.replace('_', '-')}={v}"
            for k, v in settings.items() if k not in ('rounds', 'amp')
        ] + (['--amp'] if args.amp else [])
        results = compare(__file__,
                          {impl: ['--impl', impl, *common]
                           for impl in IMPLS}, args.rounds)
        tensors = {
            impl: torch.load(Path(tmp) / f'{impl}.pth', weights_only=True)
            for impl in IMPLS
        }
    record = make_record('encoding', settings, results)
    record['difference'] = max_relative_difference(tensors['ours'],
                                                   tensors['mmseg'])
    report(record, args.json, render)


if __name__ == '__main__':
    main()
