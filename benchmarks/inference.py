"""EncNet-R50-D8 inference (``mode='predict'``), ours against mmseg's EncHead.

Whole-image inference on a Cityscapes frame (1024x2048) and sliding-window
inference with 512x1024 windows (stride 341x683), each implementation in its
own process. Prints images/s, peak memory growth and the ratios.

    python benchmarks/inference.py [--height 1024 --width 2048] [--mode whole]
"""
import argparse
import json

import torch

from _measure import (IMPLS, MemoryMeter, compare, default_device,
                      median_time, ratio_row)
from _models import build_encnet, random_batch


def worker(args: argparse.Namespace) -> None:
    device = torch.device(args.device)
    test_cfg = dict(mode='whole')
    if args.mode == 'slide':
        crop = (args.height // 2, args.width // 2)
        test_cfg = dict(
            mode='slide', crop_size=crop,
            stride=(crop[0] * 2 // 3, crop[1] * 2 // 3))
    model = build_encnet(args.impl, test_cfg=test_cfg).to(device).eval()
    inputs, samples = random_batch(args.height, args.width, device=device)

    @torch.no_grad()
    def predict():
        model(inputs, samples, mode='predict')

    meter = MemoryMeter(device)
    predict()  # warm-up
    seconds = median_time(predict, args.steps, device)
    print(json.dumps(dict(seconds=seconds, memory=meter.growth())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--height', type=int, default=1024)
    parser.add_argument('--width', type=int, default=2048)
    parser.add_argument(
        '--mode', choices=('whole', 'slide', 'both'), default='both')
    parser.add_argument('--steps', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=1)
    parser.add_argument('--device', default=default_device())
    parser.add_argument('--impl', choices=IMPLS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.impl:
        return worker(args)

    modes = ('whole', 'slide') if args.mode == 'both' else (args.mode, )
    print(f'EncNet-R50-D8 inference, one {args.height}x{args.width} image, '
          f'{args.device}, median of {args.steps} x {args.rounds} rounds')
    print('| mode | impl | images/s | peak memory growth (MiB) |')
    print('| --- | --- | ---: | ---: |')
    for mode in modes:
        results = compare(__file__, [
            '--height', str(args.height), '--width', str(args.width),
            '--mode', mode, '--steps', str(args.steps), '--device',
            args.device
        ], args.rounds)
        for impl in IMPLS:
            r = results[impl]
            print(f"| {mode} | {impl} | {1 / r['seconds']:.3f} | "
                  f"{r['memory'] / 2**20:.0f} |")
        print(ratio_row(f'{mode} | ratio mmseg/ours', results,
                        ['seconds', 'memory']))


if __name__ == '__main__':
    main()
