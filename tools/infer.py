"""Segment images with a trained model and draw what EncNet sees.

    python tools/infer.py CONFIG CHECKPOINT IMAGES... --out-dir DIR
        [--device cpu] [--opacity 0.5] [--batch-size 1]

IMAGES are image files or one folder (its files in sorted order). mmseg's
``MMSegInferencer`` writes the overlays to DIR/vis (named as the images) and
the label maps (class ids) to DIR/pred (numbered in the order of the images:
00000000_pred.png, ...); the SE branch's class-presence chart of each image
goes to DIR/presence (named as the images).
"""
import argparse
import os.path as osp

import torch

from mmseg_encnet.apis import EncNetInferencer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('images', nargs='+', help='image files or a folder')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument(
        '--device', default='cuda:0' if torch.cuda.is_available() else 'cpu')
    parser.add_argument(
        '--opacity', type=float, default=0.5, help='of the mask in overlays')
    parser.add_argument('--batch-size', type=int, default=1)
    args = parser.parse_args()
    missing = [path for path in args.images if not osp.exists(path)]
    if missing:
        parser.error(f'no such image or folder: {", ".join(missing)}')
    if len(args.images) > 1 and any(map(osp.isdir, args.images)):
        parser.error('give image files, or one folder')

    inferencer = EncNetInferencer(
        args.config, args.checkpoint, device=args.device)
    inferencer(
        args.images[0] if len(args.images) == 1 else args.images,
        out_dir=args.out_dir,
        opacity=args.opacity,
        batch_size=args.batch_size)
    print(f'wrote overlays, label maps and presence charts to {args.out_dir}')


if __name__ == '__main__':
    main()
