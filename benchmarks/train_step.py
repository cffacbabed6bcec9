"""Full EncNet-R50-D8 training step, ours against mmseg's EncHead.

Forward, backward and an SGD step at Cityscapes crop size (batch 1,
512x1024 by default), each implementation in its own process, alternating
over ``--rounds``. Prints the median step time, the growth of peak memory
(RSS on CPU, allocated bytes on CUDA), the ratios, and the share of our
Encoding layer (forward + backward) in the step, from ``torch.profiler``.

    python benchmarks/train_step.py [--height 512 --width 1024] [--amp]
"""
import argparse
import json

import torch
from torch.profiler import ProfilerActivity, profile, record_function

from _measure import (IMPLS, MemoryMeter, compare, default_device,
                      median_time, ratio_row)
from _models import build_encnet, random_batch


def encoding_share(step, model, device: torch.device) -> float:
    """Share of our Encoding layer (forward + backward) in one step.

    Ours runs as one autograd Function, so its forward (annotated here) and
    its backward node are single profiler events; mmseg's backward is many
    generic nodes, so the share is measured for ours only.
    """
    encoding = model.decode_head.enc_module.encoding[0]
    scope = record_function('Encoding.forward')

    def enter(*_) -> None:
        scope.__enter__()

    def leave(*_) -> None:
        scope.__exit__(None, None, None)

    hooks = [
        encoding.register_forward_pre_hook(enter),
        encoding.register_forward_hook(leave)
    ]
    activities = [ProfilerActivity.CPU]
    if device.type == 'cuda':
        activities.append(ProfilerActivity.CUDA)
    with profile(activities=activities) as prof:
        with record_function('step'):
            step()
            if device.type == 'cuda':
                torch.cuda.synchronize()
    for hook in hooks:
        hook.remove()
    attr = 'device_time_total' if device.type == 'cuda' else 'cpu_time_total'
    totals = {e.key: getattr(e, attr) for e in prof.key_averages()}
    encoding_time = totals.get('Encoding.forward', 0) + sum(
        t for k, t in totals.items() if '_EncodingFunctionBackward' in k)
    return encoding_time / max(totals['step'], 1)


def worker(args: argparse.Namespace) -> None:
    device = torch.device(args.device)
    model = build_encnet(args.impl).to(device).train()
    optimizer = torch.optim.SGD(
        model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    inputs, samples = random_batch(args.height, args.width, device=device)

    def step():
        with torch.autocast(device.type, enabled=args.amp):
            losses = model(inputs, samples, mode='loss')
            loss = sum(v for k, v in losses.items() if 'loss' in k)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    meter = MemoryMeter(device)
    step()  # warm-up: gradients and momentum buffers appear here
    seconds = median_time(step, args.steps, device)
    memory = meter.growth()
    share = (encoding_share(step, model, device)
             if args.impl == 'ours' else None)
    print(json.dumps(dict(seconds=seconds, memory=memory, share=share)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--height', type=int, default=512)
    parser.add_argument('--width', type=int, default=1024)
    parser.add_argument('--steps', type=int, default=3)
    parser.add_argument('--rounds', type=int, default=1)
    parser.add_argument('--device', default=default_device())
    parser.add_argument(
        '--amp', action='store_true', help='autocast (fp16 on CUDA)')
    parser.add_argument('--impl', choices=IMPLS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.impl:
        return worker(args)

    worker_args = [
        '--height', str(args.height), '--width', str(args.width), '--steps',
        str(args.steps), '--device', args.device
    ] + (['--amp'] if args.amp else [])
    results = compare(__file__, worker_args, args.rounds)
    print(f'EncNet-R50-D8 training step, batch 1, {args.height}x{args.width}'
          f', {args.device}{" amp" if args.amp else ""}, median of '
          f'{args.steps} steps x {args.rounds} rounds')
    print('| impl | step time (s) | peak memory growth (MiB) |')
    print('| --- | ---: | ---: |')
    for impl in IMPLS:
        r = results[impl]
        print(f"| {impl} | {r['seconds']:.2f} | {r['memory'] / 2**20:.0f} |")
    print(ratio_row('ratio mmseg/ours', results, ['seconds', 'memory']))
    print(f"Encoding layer's share of our step (torch.profiler): "
          f"{results['ours']['share'] * 100:.1f}%")


if __name__ == '__main__':
    main()
