"""Train and evaluate EncNet on the synthetic demo data, then say where the
results are. The README's main command runs this (after setting up .venv).

    python tools/demo.py [--config configs/demo/encnet_r18-d8_demo.py]
                         [--work-dir DIR] [--cfg-options randomness.seed=1]
"""
import argparse
import os.path as osp
import time

from mmengine.config import Config, DictAction

from mmseg_encnet.datasets import make_demo_data
from mmseg_encnet.engine import Runner
from mmseg_encnet.engine.hooks import CURVE_KEY


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--config', default='configs/demo/encnet_r18-d8_demo.py')
    parser.add_argument('--work-dir', help='default: work_dirs/<config>')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, default={})
    args = parser.parse_args()

    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    name = osp.splitext(osp.basename(args.config))[0]
    cfg.work_dir = args.work_dir or osp.join('work_dirs', name)
    data_root = cfg.train_dataloader.dataset.data_root
    if not osp.isdir(data_root):
        make_demo_data(data_root)
        print(f'wrote the demo dataset to {data_root}')

    runner = Runner.from_cfg(cfg)
    start = time.perf_counter()
    runner.train()
    minutes, seconds = divmod(round(time.perf_counter() - start), 60)

    curve = runner.message_hub.get_info(CURVE_KEY, [])
    overlays = osp.join(cfg.work_dir, runner.timestamp, 'vis_data',
                        'vis_image')
    print('\n' + '=' * 72)
    print(f'{name}: trained {runner.iter} iterations in {minutes} min '
          f'{seconds} s (validations included) in {cfg.work_dir}')
    if curve:
        print('val mIoU by iteration: ' + ', '.join(f'{it}: {miou:.2f}'
                                                    for it, miou in curve))
    print(f'checkpoint:  {osp.join(cfg.work_dir, f"iter_{runner.iter}.pth")}')
    print(f'curves:      {osp.join(cfg.work_dir, "training_curves.png")}')
    if osp.isdir(overlays):
        print(f'overlays:    {overlays}  (ground truth | prediction)')
    print(f'log:         {osp.join(cfg.work_dir, runner.timestamp)}')
    print('=' * 72)


if __name__ == '__main__':
    main()
