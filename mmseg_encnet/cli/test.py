"""Test (and evaluate) a segmentor: ``tools/test.py CONFIG CHECKPOINT``."""
import argparse
import os.path as osp
from typing import List, Optional

from mmengine.config import Config
from mmseg.registry import RUNNERS

from ..engine import Runner
from .common import add_common_args, load_config


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Test (and evaluate) a segmentor')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file or URL')
    parser.add_argument(
        '--out', help='directory to save predictions for offline evaluation')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='directory where painted predictions are saved, under the work '
        'dir\'s timestamped folder')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='interval of show (s)')
    parser.add_argument(
        '--tta', action='store_true', help='test-time augmentation')
    add_common_args(parser)
    return parser.parse_args(argv)


def enable_visualization(cfg: Config, args: argparse.Namespace) -> None:
    """Turn on the config's SegVisualizationHook for --show/--show-dir."""
    if 'visualization' not in cfg.default_hooks:
        raise RuntimeError(
            'the config has no default_hooks.visualization; --show and '
            "--show-dir need dict(type='SegVisualizationHook') there")
    hook = cfg.default_hooks.visualization
    hook.draw = True
    hook.interval = 1
    if args.show:
        hook.show = True
        hook.wait_time = args.wait_time
    if args.show_dir:
        cfg.visualizer.save_dir = args.show_dir


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    if '://' not in args.checkpoint and not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    cfg = load_config(args)
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        enable_visualization(cfg, args)
    if args.tta:
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.out is not None:
        cfg.test_evaluator.output_dir = args.out
        cfg.test_evaluator.keep_results = True
    runner = (
        RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg))
    runner.test()


if __name__ == '__main__':
    main()
