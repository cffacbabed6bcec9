"""Train and evaluate EncNet on the synthetic demo data with
``tools/train.py``, then say where the results are. The README's main
command runs this (after setting up .venv).

    python tools/demo.py [--config configs/demo/encnet_r18-d8_demo.py]
                         [any argument of tools/train.py]

The demo's dataset writes its scenes to ``data/demo_street`` on first use.
"""
import argparse
import os.path as osp
import time

from mmseg_encnet.cli import train
from mmseg_encnet.engine.hooks import CURVE_KEY


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--config', default='configs/demo/encnet_r18-d8_demo.py')
    args, train_args = parser.parse_known_args()
    start = time.perf_counter()
    runner = train.train([args.config, *train_args])
    minutes, seconds = divmod(round(time.perf_counter() - start), 60)

    name = osp.splitext(osp.basename(args.config))[0]
    work_dir = runner.work_dir
    curve = runner.message_hub.get_info(CURVE_KEY, [])
    overlays = osp.join(work_dir, runner.timestamp, 'vis_data', 'vis_image')
    print('\n' + '=' * 72)
    print(f'{name}: trained {runner.iter} iterations in {minutes} min '
          f'{seconds} s (validations included) in {work_dir}')
    if curve:
        print('val mIoU by iteration: ' + ', '.join(f'{it}: {miou:.2f}'
                                                    for it, miou in curve))
    print(f'checkpoint:  {osp.join(work_dir, f"iter_{runner.iter}.pth")}')
    print(f'curves:      {osp.join(work_dir, "training_curves.png")}')
    if osp.isdir(overlays):
        print(f'overlays:    {overlays}  (ground truth | prediction)')
    print(f'log:         {osp.join(work_dir, runner.timestamp)}')
    print('=' * 72)


if __name__ == '__main__':
    main()
