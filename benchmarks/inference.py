"""R50-D8 inference (``mode='predict'``): our EncNet against mmseg's EncNet,
PSPNet and FCN.

Whole-image inference on a Cityscapes frame (1024x2048) and sliding-window
inference with half-size windows (stride 2/3 of a window), each model in its
own process, alternating over ``--rounds``. Models as in ``_models.py``,
with optional ``:amp`` (autocast) and ``:cl`` (channels_last) as in
``train_step.py``. Prints images/s and the growth of peak memory, relative
to the first variant.

    python benchmarks/inference.py [--variants ours mmseg pspnet fcn]
        [--height 1024 --width 2048] [--modes whole slide]
        [--steps 5 --rounds 3] [--device cuda] [--json raw.json]
"""
import argparse

import torch

from _measure import MemoryMeter, header, measurement, step_times
from _models import (add_variant_args, build_model, random_batch, run_variants,
                     variant_header, variant_rows)


def worker(args: argparse.Namespace) -> None:
    impl, *flags = args.variant.split(':')
    device = torch.device(args.device)
    test_cfg = dict(mode='whole')
    if args.mode == 'slide':
        crop = (args.height // 2, args.width // 2)
        test_cfg = dict(
            mode='slide',
            crop_size=crop,
            stride=(crop[0] * 2 // 3, crop[1] * 2 // 3))
    fmt = (torch.channels_last if 'cl' in flags else torch.contiguous_format)
    model = build_model(
        impl, test_cfg=test_cfg).to(
            device, memory_format=fmt).eval()
    inputs, samples = random_batch(args.height, args.width, device=device)
    inputs = inputs.contiguous(memory_format=fmt)

    @torch.no_grad()
    def predict():
        with torch.autocast(device.type, enabled='amp' in flags):
            model(inputs, samples, mode='predict')

    meter = MemoryMeter(device)
    predict()  # warm-up
    times = step_times(predict, args.steps, device)
    print(measurement(times, meter.growth()))


def render(record: dict) -> str:
    s = record['settings']
    ref = s['variants'][0]
    lines = [
        header(record, f"R50-D8 inference, one {s['height']}x{s['width']} "
               'image'), *variant_header(['mode', 'variant'], 'images/s',
                                         's/image min-max over rounds', ref)
    ]
    for mode in s['modes']:
        lines += [
            f'| {mode} | ' + row
            for row in variant_rows(record['results'][mode], s['variants'],
                                    lambda seconds: f'{1 / seconds:.3f}')
        ]
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_variant_args(parser, height=1024, width=2048)
    parser.add_argument(
        '--modes',
        nargs='+',
        choices=('whole', 'slide'),
        default=['whole', 'slide'])
    parser.add_argument('--mode', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        return worker(args)
    run_variants(
        'inference',
        __file__,
        args,
        ['variants', 'height', 'width', 'modes', 'steps', 'rounds', 'device'],
        ['height', 'width', 'steps', 'device'],
        render,
        extra=args.modes)


if __name__ == '__main__':
    main()
