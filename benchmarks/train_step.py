"""R50-D8 training step: our EncNet against mmseg's EncNet, PSPNet and FCN.

Forward, backward and an SGD step at Cityscapes crop size (batch 2,
512x1024 by default; PSPNet's pooled BN cannot train at batch 1), each
variant in its own process, alternating over ``--rounds``. A variant is a
model of ``_models.py`` (``ours``, ``mmseg``, ``pspnet``, ``fcn``) with
optional ``:amp`` (autocast: bfloat16 on CPUs, float16 on GPUs), ``:cl``
(channels_last memory format) and ``:compile`` (the network's forward
compiled as ``compile=True`` does, ``mmseg_encnet.engine.compile_network``;
the warm-up step compiles). Prints the median step time, the growth of
peak memory (RSS on CPU, allocated bytes on CUDA), both relative to the
first variant, and the share of our Encoding layer in our step
(``torch.profiler``).

    python benchmarks/train_step.py [--variants ours mmseg pspnet fcn]
        [--height 512 --width 1024 --batch 2] [--steps 5 --rounds 3]
        [--device cuda] [--json raw.json]
"""
import argparse

import torch
from torch.profiler import ProfilerActivity, profile, record_function

from mmseg_encnet.engine import compile_network
from _measure import MemoryMeter, header, measurement, median_round, step_times
from _models import (add_variant_args, build_model, random_batch, run_variants,
                     variant_header, variant_rows)


def encoding_share(step, model, device: torch.device) -> float:
    """Share of our Encoding layer (forward + backward) in one step.

    Ours runs as one autograd Function, so its forward (annotated here) and
    its backward node are single profiler events; mmseg's backward is many
    generic nodes, so the share is measured for ours only.
    """
    encoding = model.decode_head.enc_module.encoding[0]
    scope = record_function('Encoding.forward')

    def enter(*_) -> None:  # hooks that return nothing change nothing
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
    impl, *flags = args.variant.split(':')
    device = torch.device(args.device)
    fmt = (torch.channels_last if 'cl' in flags else torch.contiguous_format)
    model = build_model(impl).to(device, memory_format=fmt).train()
    optimizer = torch.optim.SGD(
        model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    inputs, samples = random_batch(
        args.height, args.width, batch=args.batch, device=device)
    inputs = inputs.contiguous(memory_format=fmt)
    if 'compile' in flags:
        compile_network(model)

    def step():
        with torch.autocast(device.type, enabled='amp' in flags):
            losses = model(inputs, samples, mode='loss')
            loss = sum(v for k, v in losses.items() if 'loss' in k)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    meter = MemoryMeter(device)
    step()  # warm-up: gradients and momentum buffers appear here
    times = step_times(step, args.steps, device)
    memory = meter.growth()
    share = (
        encoding_share(step, model, device)
        if impl == 'ours' and 'compile' not in flags else None)
    print(measurement(times, memory, share=share))


def render(record: dict) -> str:
    s, results = record['settings'], record['results']
    ref = s['variants'][0]
    lines = [
        header(
            record, f"R50-D8 training step, batch {s['batch']}, "
            f"{s['height']}x{s['width']}"), *variant_header(
                ['variant'], 'step time (s)', 'min-max over rounds', ref)
    ]
    lines += [
        '| ' + row for row in variant_rows(results, s['variants'],
                                           lambda seconds: f'{seconds:.2f}')
    ]
    for variant in s['variants']:
        share = median_round(results[variant]).get('share')
        if share is not None:
            lines.append(f"Encoding layer's share of the `{variant}` step "
                         f"(torch.profiler): {share * 100:.1f}%")
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_variant_args(parser, height=512, width=1024)
    parser.add_argument('--batch', type=int, default=2)
    args = parser.parse_args()
    if args.variant:
        return worker(args)
    run_variants(
        'train_step', __file__, args,
        ['variants', 'height', 'width', 'batch', 'steps', 'rounds', 'device'],
        ['height', 'width', 'batch', 'steps', 'device'], render)


if __name__ == '__main__':
    main()
