"""Check our Encoding, EncModule and EncHead against mmseg's on a device.

Same weights, same seeded input, forward and backward, in float32 and under
float16 and bfloat16 autocast; ours and mmseg's under each precision are
compared with mmseg's in float32 (the reference). The outputs pass when their
largest difference is at most ``TOLERANCE[precision]`` of the reference's
largest magnitude (1e-4 in float32, 3e-2 in half precision: looser than the
CPU tests' measured bounds, as a GPU's kernels sum in other orders and
cuDNN's float32 convolutions use TF32 by default), and so do the gradients
in float32; in half precision the gradients' rounding is mmseg's too, so
ours pass within the tolerance or 1.5x mmseg's own difference at that
precision. Prints one line per check; exits 1 with the failing numbers.

    python benchmarks/gpu/check.py [--device cuda] [--quick]
"""
import argparse
import contextlib
import copy
import sys
from typing import Callable, Dict, List, Tuple

import torch
from mmengine.registry import init_default_scope
from mmseg.models.decode_heads.enc_head import EncModule as MMSegEncModule
from mmseg.models.utils import Encoding as MMSegEncoding
from mmseg.registry import MODELS

from mmseg_encnet.models.enc_head import EncModule
from mmseg_encnet.models.encoding import Encoding

TOLERANCE = {'float32': 1e-4, 'float16': 3e-2, 'bfloat16': 3e-2}
Case = Tuple[torch.nn.Module, torch.nn.Module, List[torch.Tensor]]


def encoding(size: Tuple[int, int], channels: int) -> Case:
    ours, theirs = Encoding(channels, 32), MMSegEncoding(channels, 32)
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(2, channels, *size)  # as a BN+ReLU gives it
    return ours, theirs, [
        torch.nn.functional.batch_norm(x, None, None, training=True).relu_()
    ]


def enc_module(size: Tuple[int, int], channels: int) -> Case:
    cfg = dict(
        conv_cfg=None, norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU'))
    ours, theirs = EncModule(channels, 32,
                             **cfg), MMSegEncModule(channels, 32, **cfg)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs, [torch.randn(2, channels, *size)]


def enc_head(size: Tuple[int, int], channels: int) -> Case:
    cfg = dict(
        in_channels=[channels // 2, channels, channels * 2],
        in_index=(1, 2, 3),
        channels=channels // 2,
        num_codes=32,
        num_classes=19,
        norm_cfg=dict(type='BN'),
        add_lateral=True,
        loss_se_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_weight=0.2))
    theirs = MODELS.build(dict(cfg, type='EncHead'))
    ours = MODELS.build(dict(cfg, type='mmseg_encnet.EncHead'))
    ours.load_state_dict(theirs.state_dict())
    feats = [
        torch.randn(2, c, *size) for c in (channels // 4, *cfg['in_channels'])
    ]
    return ours, theirs, feats


CASES: Dict[str, Callable[..., Case]] = {
    'Encoding': encoding,
    'EncModule': enc_module,
    'EncHead': enc_head
}


def run(module: torch.nn.Module, inputs: List[torch.Tensor],
        device: torch.device, dtype: torch.dtype) -> Dict[str, torch.Tensor]:
    """Outputs, input gradients and parameter gradients, in float32.

    The module trains (BN on batch statistics); its dropout draws the same
    mask for ours and mmseg's from the same seed.
    """
    module = copy.deepcopy(module).to(device).train()
    inputs = [x.detach().to(device).requires_grad_() for x in inputs]
    torch.manual_seed(0)
    # torch < 2.2 refuses a CPU autocast of float32 even when disabled
    autocast = (
        contextlib.nullcontext() if dtype == torch.float32 else torch.autocast(
            device.type, dtype=dtype))
    with autocast:
        out = module(inputs if len(inputs) > 1 else inputs[0])
    outs = out if isinstance(out, (tuple, list)) else (out, )
    torch.manual_seed(1)  # the same weights whatever the outputs' strides
    weights = [torch.randn(o.shape, device=device) for o in outs]
    sum((o.float() * w).sum() for o, w in zip(outs, weights)).backward()
    values = {f'out{i}': o.detach().float() for i, o in enumerate(outs)}
    values.update({
        f'grad_x{i}': x.grad.float()
        for i, x in enumerate(inputs) if x.grad is not None
    })
    values.update({
        f'grad_{n}': p.grad.float()
        for n, p in module.named_parameters() if p.grad is not None
    })
    return values


def worst(got: Dict[str, torch.Tensor], ref: Dict[str, torch.Tensor],
          keys: List[str]) -> Tuple[str, float]:
    """The value of ``keys`` furthest from ``ref``: its name and its largest
    difference relative to the reference's largest magnitude."""
    return max(((k, ((got[k] - ref[k]).abs().max() /
                     ref[k].abs().max().clamp(min=1e-12)).item())
                for k in keys),
               key=lambda kv: kv[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cuda')
    parser.add_argument(
        '--quick', action='store_true', help='small sizes (the CPU dry run)')
    args = parser.parse_args()
    init_default_scope('mmseg')
    device = torch.device(args.device)
    size, channels = ((8, 16), 64) if args.quick else ((64, 128), 512)
    failed = []
    for name, make in CASES.items():
        torch.manual_seed(0)
        ours, theirs, inputs = make(size, channels)
        ref = run(theirs, inputs, device, torch.float32)
        for precision, tol in TOLERANCE.items():
            dtype = getattr(torch, precision)
            try:
                got = run(ours, inputs, device, dtype)
                base = run(theirs, inputs, device, dtype)
            except RuntimeError as e:  # e.g. float16 convs on an old CPU
                print(f'{name} {precision}: not run ({e})')
                continue
            for kind in ('out', 'grad'):
                keys = [k for k in ref if k.startswith(kind)]
                ours_err = worst(got, ref, keys)
                mmseg_err = worst(base, ref, keys)
                # In half precision a gradient may be no less exact than
                # mmseg's own at that precision.
                limit = tol if kind == 'out' or dtype == torch.float32 \
                    else max(tol, 1.5 * mmseg_err[1])
                ok = ours_err[1] <= limit
                print(
                    f'{name} {precision} {kind}: ours {ours_err[1]:.2e} '
                    f'({ours_err[0]}), mmseg {mmseg_err[1]:.2e} '
                    f"(limit {limit:.1e}): {'ok' if ok else 'FAILED'}",
                    flush=True)
                if not ok:
                    failed.append(f'{name} {precision} {ours_err[0]} '
                                  f'{ours_err[1]:.2e} > {limit:.1e}')
    if failed:
        print('checks failed: ' + '; '.join(failed))
        return 1
    print(f'all checks passed on {device}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
