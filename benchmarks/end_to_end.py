"""R50-D8 end to end: our EncNet against mmseg's EncNet, PSPNet and FCN.

``train_step``: forward, backward and an SGD step at Cityscapes crop size
(batch 2, 512x1024 by default; PSPNet's pooled BN cannot train at batch 1),
with the share of our Encoding layer in our step (``torch.profiler``).
``inference``: ``mode='predict'`` on one Cityscapes frame (1024x2048), whole
and in sliding half-size windows (stride 2/3 of a window).

The models: ``ours``, EncNet-R50-D8 (``configs/encnet_r50.py``); ``mmseg``,
the same with mmseg's ``EncHead`` and sigmoid cross-entropy SE loss, as in
mmseg's config; ``pspnet`` and ``fcn``, mmseg's own Cityscapes 512x1024
configs, what a user would pick instead. Each is initialised from seed 0
(ours and mmseg's draw the same weights), SyncBN as BN. A variant is a model
with optional ``:amp`` (autocast: bfloat16 on CPUs, float16 on GPUs),
``:cl`` (channels_last) and ``:compile`` (training: the forward compiled as
``compile=True`` does, ``mmseg_encnet.engine.compile_network``; the warm-up
step compiles). Each variant runs in a process of its own, alternating over
``--rounds``; prints the median step time (images/s for inference) and the
growth of peak memory (RSS on CPU, allocated bytes on CUDA), both relative
to the first variant.

    python benchmarks/end_to_end.py train_step [--batch 2]
        [--variants ours mmseg pspnet fcn] [--amp] [--height H --width W]
        [--steps 5 --rounds 3] [--device cuda] [--json raw.json]
    python benchmarks/end_to_end.py inference [--modes whole slide] [...]
"""
import argparse
import os.path as osp
from typing import Callable, Dict, List, Optional

import mmseg
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from torch.profiler import ProfilerActivity, profile, record_function

from mmseg_encnet.engine import compile_network
from _measure import (MemoryMeter, add_rounds_argument, compare,
                      default_device, header, make_record, measurement,
                      median_round, report, spread, step_times)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
MMSEG_CONFIGS = osp.join(osp.dirname(mmseg.__file__), '.mim', 'configs')
CONFIGS = dict(
    ours=osp.join(ROOT, 'configs/encnet_r50.py'),
    mmseg=osp.join(ROOT, 'configs/encnet_r50.py'),
    pspnet=osp.join(MMSEG_CONFIGS,
                    'pspnet/pspnet_r50-d8_4xb2-40k_cityscapes-512x1024.py'),
    fcn=osp.join(MMSEG_CONFIGS,
                 'fcn/fcn_r50-d8_4xb2-40k_cityscapes-512x1024.py'))
NAMES = dict(
    ours='EncNet, our head',
    mmseg="EncNet, mmseg's head",
    pspnet='PSPNet (mmseg)',
    fcn='FCN (mmseg)')
# task: input (height, width), batch
SIZES = dict(train_step=((512, 1024), 2), inference=((1024, 2048), 1))


def build_model(impl: str, test_cfg: Optional[dict] = None) -> torch.nn.Module:
    """The ``impl`` model of :data:`CONFIGS`, initialised from seed 0."""
    init_default_scope('mmseg')
    cfg = Config.fromfile(CONFIGS[impl])
    cfg.model.pretrained = None
    if test_cfg is not None:
        cfg.model.test_cfg = test_cfg
    if impl == 'mmseg':
        cfg.model.decode_head.type = 'EncHead'
        cfg.model.decode_head.loss_se_decode = dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_weight=0.2)
    torch.manual_seed(0)  # the same weights for ours and mmseg's
    return revert_sync_batchnorm(MODELS.build(cfg.model))


def random_batch(height: int, width: int, batch: int, device: torch.device):
    """(B, 3, H, W) normalised images and random 19-class label maps, as the
    preprocessor gives them."""
    torch.manual_seed(0)
    inputs = torch.randn(batch, 3, height, width, device=device)
    samples = []
    for _ in range(batch):
        sample = SegDataSample(
            gt_sem_seg=PixelData(
                data=torch.randint(0, 19, (1, height, width), device=device)))
        sample.set_metainfo(
            dict(
                img_shape=(height, width),
                ori_shape=(height, width),
                pad_shape=(height, width)))
        samples.append(sample)
    return inputs, samples


def encoding_share(step: Callable[[], None], model: torch.nn.Module,
                   device: torch.device) -> float:
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
    """Measure one variant; print its JSON line."""
    impl, *flags = args.variant.split(':')
    device = torch.device(args.device)
    test_cfg = None
    if args.mode == 'whole':
        test_cfg = dict(mode='whole')
    elif args.mode == 'slide':
        crop = (args.height // 2, args.width // 2)
        test_cfg = dict(
            mode='slide',
            crop_size=crop,
            stride=(crop[0] * 2 // 3, crop[1] * 2 // 3))
    fmt = (torch.channels_last if 'cl' in flags else torch.contiguous_format)
    model = build_model(impl, test_cfg).to(device, memory_format=fmt)
    inputs, samples = random_batch(args.height, args.width, args.batch, device)
    inputs = inputs.contiguous(memory_format=fmt)
    if args.task == 'inference':
        model.eval()

        @torch.no_grad()
        def step() -> None:
            with torch.autocast(device.type, enabled='amp' in flags):
                model(inputs, samples, mode='predict')
    else:
        model.train()
        optimizer = torch.optim.SGD(
            model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
        if 'compile' in flags:
            compile_network(model)

        def step() -> None:
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
        encoding_share(step, model, device) if args.task == 'train_step'
        and impl == 'ours' and 'compile' not in flags else None)
    print(measurement(times, memory, share=share))


def variant_rows(results: Dict[str, List[dict]], variants: List[str],
                 time_cell: Callable[[float], str]) -> List[str]:
    """Table cells per variant from its median round: model, time, spread,
    memory and the ratios to the first variant."""
    base = median_round(results[variants[0]])
    rows = []
    for variant in variants:
        r = median_round(results[variant])
        rows.append(
            f"{variant} | {NAMES[variant.split(':')[0]]} | "
            f"{time_cell(r['seconds'])} | {spread(results[variant])} | "
            f"{r['memory'] / 2**20:.0f} | "
            f"{r['seconds'] / base['seconds']:.2f}x | "
            f"{base['seconds'] / r['seconds']:.2f}x | "
            f"{r['memory'] / max(base['memory'], 1):.2f}x |")
    return rows


def render(record: dict) -> str:
    """The record's table (per mode for inference); for a training step,
    our Encoding layer's share of it."""
    s, results = record['settings'], record['results']
    ref = s['variants'][0]
    training = record['benchmark'] == 'train_step'
    if not training:
        what = f"R50-D8 inference, one {s['height']}x{s['width']} image"
        lead, time, spread_ = (['mode', 'variant'], 'images/s',
                               's/image min-max over rounds')
        tables = {f'{mode} | ': results[mode] for mode in s['modes']}

        def cell(seconds: float) -> str:
            return f'{1 / seconds:.3f}'
    else:
        what = (f"R50-D8 training step, batch {s['batch']}, "
                f"{s['height']}x{s['width']}")
        lead, time, spread_ = ['variant'
                               ], 'step time (s)', 'min-max over rounds'
        tables = {'': results}

        def cell(seconds: float) -> str:
            return f'{seconds:.2f}'

    names = [
        *lead, 'model', time, spread_, 'peak memory growth (MiB)',
        f'time / {ref}', f'speed-up over {ref}', f'memory / {ref}'
    ]
    aligns = ['---'] * (len(lead) + 1) + ['---:', '---'] + ['---:'] * 4
    lines = [
        header(record, what), '| ' + ' | '.join(names) + ' |',
        '| ' + ' | '.join(aligns) + ' |'
    ]
    for prefix, rounds in tables.items():
        lines += [
            f'| {prefix}{row}'
            for row in variant_rows(rounds, s['variants'], cell)
        ]
    for variant in s['variants'] if training else []:
        share = median_round(results[variant]).get('share')
        if share is not None:
            lines.append(f"Encoding layer's share of the `{variant}` step "
                         f"(torch.profiler): {share * 100:.1f}%")
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('task', choices=list(SIZES))
    parser.add_argument('--variants', nargs='+', default=list(NAMES))
    parser.add_argument(
        '--amp',
        action='store_true',
        help='autocast every variant (adds :amp)')
    parser.add_argument('--height', type=int)
    parser.add_argument('--width', type=int)
    parser.add_argument('--batch', type=int, help='training only')
    parser.add_argument(
        '--modes',
        nargs='+',
        choices=('whole', 'slide'),
        default=['whole', 'slide'],
        help='inference only')
    parser.add_argument('--steps', type=int, default=5)
    add_rounds_argument(parser)
    parser.add_argument('--device', default=default_device())
    parser.add_argument('--json', help='write the raw record here')
    parser.add_argument('--variant', help=argparse.SUPPRESS)
    parser.add_argument('--mode', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.batch and args.task == 'inference':
        parser.error('--batch is for train_step: inference times one image')
    (height, width), batch = SIZES[args.task]
    args.height, args.width = args.height or height, args.width or width
    args.batch = args.batch or batch
    if args.variant:
        return worker(args)
    if args.amp:
        args.variants = [
            v if ':amp' in v else f'{v}:amp' for v in args.variants
        ]
    training = args.task == 'train_step'
    keys = ['variants', 'height', 'width', 'batch' if training else 'modes']
    settings = {
        k: getattr(args, k)
        for k in keys + ['steps', 'rounds', 'device']
    }
    common = [args.task] + [
        f'--{k}={getattr(args, k)}' for k in [
            'height', 'width', 'steps', 'device', *(
                ['batch'] if training else [])
        ]
    ]

    def measure(*options: str) -> dict:
        return compare(
            __file__,
            {v: [*common, '--variant', v, *options]
             for v in args.variants}, args.rounds)

    results = measure() if training else {
        mode: measure('--mode', mode)
        for mode in args.modes
    }
    report(make_record(args.task, settings, results), args.json, render)


if __name__ == '__main__':
    main()
