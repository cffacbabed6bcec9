"""How the Context Encoding Module scales: ours against mmseg's.

Forward+backward of the EncModule (1x1 projection, Encoding, BN1d+ReLU, mean,
FC+sigmoid, channel attention) at C=512, batch 1, as the feature map grows
(at K=32) and as the number of codewords K grows (at 64x128). mmseg's memory
grows with N*K*C, ours with N*(K+C). Each point alternates the two over
``--rounds``; prints a table and draws a log-log PNG.

    python benchmarks/scaling.py [--quick] [--steps 5 --rounds 3]
        [--plot scaling.png] [--json raw.json] [--device cuda]
"""
import argparse

import torch

from _measure import (MemoryMeter, add_rounds_argument, compare,
                      default_device, header, make_record, measurement,
                      median_round, report, step_times)

IMPLS = ('mmseg', 'ours')

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
    module = build_module(args.impl, args.channels, args.num_codes).to(device)
    x = torch.randn(
        1, args.channels, args.height, args.width,
        device=device).requires_grad_()

    def step():
        with torch.autocast(device.type, enabled=args.amp):
            context, out = module(x)
        (context.sum() + out.sum()).backward()

    meter = MemoryMeter(device)
    step()
    times = step_times(step, args.steps, device)
    print(measurement(times, meter.growth()))


def points(record: dict):
    """(sweep, x, height, width, K, {impl: median round}) per grid point."""
    for sweep, x, height, width, num_codes in record['settings']['grid']:
        rounds = record['results'][f'{height}x{width} K={num_codes}']
        yield (sweep, x, height, width, num_codes, {
            impl: median_round(rounds[impl])
            for impl in IMPLS
        })


def plot(record: dict, path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    rows = list(points(record))
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), dpi=100)
    for col, (sweep, xlabel) in enumerate(
        (('size', 'feature pixels N (K=32)'), ('codes',
                                               'codewords K (N=64x128)'))):
        sweep_rows = [r for r in rows if r[0] == sweep]
        for row, (key, ylabel, scale) in enumerate(
            (('seconds', 'time (s)', 1), ('memory', 'memory growth (MiB)',
                                          2**20))):
            ax = axes[row][col]
            for impl, style in zip(IMPLS, ('o-', 's-')):
                ax.plot(
                    [r[1] for r in sweep_rows],
                    [max(r[5][impl][key] / scale, 1e-3) for r in sweep_rows],
                    style,
                    label=impl)
            ax.set_xscale('log', base=2)
            ax.set_yscale('log')
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            ax.grid(True, which='both', alpha=0.3)
            ax.legend()
    settings = record['settings']
    fig.suptitle(f"EncModule forward+backward, C={settings['channels']}, "
                 f"batch 1, {settings['device']}")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def render(record: dict) -> str:
    lines = [
        header(
            record, f"EncModule forward+backward, "
            f"C={record['settings']['channels']}, batch 1"
            f"{' autocast' if record['settings'].get('amp') else ''}"),
        '| features | K | mmseg time (s) | ours time (s) | speed-up | '
        'mmseg memory (MiB) | ours memory (MiB) | memory ratio |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'
    ]
    for _, _, height, width, num_codes, r in points(record):
        m, o = r['mmseg'], r['ours']
        lines.append(
            f"| {height}x{width} | {num_codes} | {m['seconds']:.3f} | "
            f"{o['seconds']:.3f} | {m['seconds'] / o['seconds']:.1f}x | "
            f"{m['memory'] / 2**20:.0f} | {o['memory'] / 2**20:.0f} | "
            f"{m['memory'] / max(o['memory'], 1):.1f}x |")
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--channels', type=int, default=512)
    parser.add_argument('--steps', type=int, default=5)
    add_rounds_argument(parser)
    parser.add_argument('--device', default=default_device())
    parser.add_argument('--plot', help='draw the log-log PNG here')
    parser.add_argument(
        '--amp', action='store_true', help='forward under autocast')
    parser.add_argument('--json', help='write the raw record here')
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
    results = {}
    for _, _, height, width, num_codes in grid:
        key = f'{height}x{width} K={num_codes}'  # the sweeps share a point
        if key not in results:
            results[key] = compare(
                __file__, {
                    impl: [
                        '--impl', impl, f'--height={height}',
                        f'--width={width}', f'--num-codes={num_codes}',
                        f'--channels={args.channels}', f'--steps={args.steps}',
                        f'--device={args.device}',
                        *(['--amp'] if args.amp else [])
                    ]
                    for impl in IMPLS
                }, args.rounds)
    settings = dict(
        channels=args.channels,
        steps=args.steps,
        rounds=args.rounds,
        device=args.device,
        amp=args.amp,
        grid=grid)
    record = make_record('scaling', settings, results)
    report(record, args.json, render)
    if args.plot:
        plot(record, args.plot)
        print(f'plot: {args.plot}')


if __name__ == '__main__':
    main()
