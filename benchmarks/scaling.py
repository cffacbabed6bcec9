"""How the Context Encoding Module scales: ours against mmseg's.

Forward+backward of the EncModule (1x1 projection, Encoding, BN1d+ReLU, mean,
FC+sigmoid, channel attention) at C=512, batch 1, as the feature map grows
(at K=32) and as the number of codewords K grows (at 64x128). mmseg's memory
grows with N*K*C, ours with N*(K+C). Prints a table and draws a log-log PNG.

    python benchmarks/scaling.py [--quick] [--plot benchmarks/scaling.png]
"""
import argparse
import json

import torch

from _measure import (IMPLS, MemoryMeter, compare, default_device,
                      median_time)

SIZES = ((32, 64), (64, 128), (128, 256))
CODES = (8, 32, 128)


def build_module(impl: str, channels: int, num_codes: int):
    if impl == 'ours':
        from mmseg_encnet.models.enc_head import EncModule
    else:
        from mmseg.models.decode_heads.enc_head import EncModule
    return EncModule(
        channels,
        num_codes,
        conv_cfg=None,
        norm_cfg=dict(type='BN'),
        act_cfg=dict(type='ReLU'))


def worker(args: argparse.Namespace) -> None:
    device = torch.device(args.device)
    torch.manual_seed(0)
    module = build_module(args.impl, args.channels,
                          args.num_codes).to(device)
    x = torch.randn(1, args.channels, args.height, args.width,
                    device=device).requires_grad_()

    def step():
        context, out = module(x)
        (context.sum() + out.sum()).backward()

    meter = MemoryMeter(device)
    step()
    seconds = median_time(step, args.steps, device)
    print(json.dumps(dict(seconds=seconds, memory=meter.growth())))


def plot(rows, path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 7), dpi=100)
    for col, (sweep, xlabel) in enumerate(
        (('size', 'feature pixels N (K=32)'), ('codes',
                                               'codewords K (N=64x128)'))):
        points = [r for r in rows if r['sweep'] == sweep]
        for row, (key, ylabel, scale) in enumerate(
            (('seconds', 'time (s)', 1), ('memory', 'memory growth (MiB)',
                                          2**20))):
            ax = axes[row][col]
            for impl, style in zip(IMPLS, ('o-', 's-')):
                ax.plot([p['x'] for p in points],
                        [max(p[impl][key] / scale, 1e-3) for p in points],
                        style, label=impl)
            ax.set_xscale('log', base=2)
            ax.set_yscale('log')
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            ax.grid(True, which='both', alpha=0.3)
            ax.legend()
    fig.suptitle('EncModule forward+backward, C=512, batch 1')
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--channels', type=int, default=512)
    parser.add_argument('--steps', type=int, default=2)
    parser.add_argument('--device', default=default_device())
    parser.add_argument('--plot', default='benchmarks/scaling.png')
    parser.add_argument(
        '--quick', action='store_true', help='leave out the largest points')
    parser.add_argument('--impl', choices=IMPLS, help=argparse.SUPPRESS)
    parser.add_argument('--height', type=int, help=argparse.SUPPRESS)
    parser.add_argument('--width', type=int, help=argparse.SUPPRESS)
    parser.add_argument('--num-codes', type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.impl:
        return worker(args)

    sizes = SIZES[:-1] if args.quick else SIZES
    codes = CODES[:-1] if args.quick else CODES
    grid = [('size', h * w, h, w, 32) for h, w in sizes]
    grid += [('codes', k, 64, 128, k) for k in codes]
    rows = []
    print(f'EncModule forward+backward, C={args.channels}, batch 1, '
          f'{args.device}')
    print('| features | K | mmseg time (s) | ours time (s) | speed-up | '
          'mmseg memory (MiB) | ours memory (MiB) | memory ratio |')
    print('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
    measured = {}
    for sweep, x, height, width, num_codes in grid:
        key = (height, width, num_codes)  # the sweeps share one point
        if key not in measured:
            measured[key] = compare(__file__, [
                '--height', str(height), '--width', str(width),
                '--num-codes', str(num_codes), '--channels',
                str(args.channels), '--steps', str(args.steps), '--device',
                args.device
            ])
        results = measured[key]
        rows.append(dict(sweep=sweep, x=x, **results))
        m, o = results['mmseg'], results['ours']
        print(f"| {height}x{width} | {num_codes} | {m['seconds']:.3f} | "
              f"{o['seconds']:.3f} | {m['seconds'] / o['seconds']:.1f}x | "
              f"{m['memory'] / 2**20:.0f} | {o['memory'] / 2**20:.0f} | "
              f"{m['memory'] / max(o['memory'], 1):.1f}x |")
    plot(rows, args.plot)
    print(f'plot: {args.plot}')


if __name__ == '__main__':
    main()
