"""Train a segmentor: ``tools/train.py CONFIG`` (same flags as mmseg's)."""
import argparse
from typing import List, Optional

import torch
from mmseg.registry import RUNNERS

from ..engine import Runner
from .common import add_common_args, load_config


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume',
        action='store_true',
        help='resume from the latest checkpoint in the work dir')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed-precision training: float16 with loss scaling on GPUs '
        '(mmengine), bfloat16 autocast on machines without CUDA')
    add_common_args(parser)
    return parser.parse_args(argv)


def train(argv: Optional[List[str]] = None) -> Runner:
    """Train as the command line says; the runner, once trained."""
    args = parse_args(argv)
    cfg = load_config(args)
    if args.amp and torch.cuda.is_available():
        if cfg.optim_wrapper.type != 'AmpOptimWrapper':
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    elif args.amp:  # mmengine's AMP is GPU-only; CPUs train in bfloat16
        cfg.optim_wrapper.type = 'mmseg_encnet.BF16OptimWrapper'
    cfg.resume = args.resume
    runner = (
        RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg))
    runner.train()
    return runner


def main(argv: Optional[List[str]] = None) -> None:
    """``tools/train.py`` and ``mmseg-encnet-train`` (a console script's
    exit status is what its function returns)."""
    train(argv)


if __name__ == '__main__':
    main()
