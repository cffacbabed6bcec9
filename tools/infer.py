"""Segment images with a trained model and draw what EncNet sees.

    python tools/infer.py CONFIG CHECKPOINT IMAGES... --out-dir DIR
        [--device cpu]

IMAGES are files, folders or globs. For each image, DIR gets the colour
mask, an overlay on the image and a chart of the SE branch's class-presence
probabilities, with the dataset's class names and palette.
"""
import argparse

import torch
from mmengine.utils import ProgressBar

from mmseg_encnet.apis import (collect_images, init_model, save_outputs,
                               segment_with_presence)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('images', nargs='+', help='files, folders or globs')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument(
        '--device', default='cuda:0' if torch.cuda.is_available() else 'cpu')
    parser.add_argument(
        '--opacity', type=float, default=0.5, help='of the mask in overlays')
    args = parser.parse_args()

    images = collect_images(args.images)
    model = init_model(args.config, args.checkpoint, device=args.device)
    progress = ProgressBar(len(images))
    for image in images:
        result, presence = segment_with_presence(model, image)
        save_outputs(image, result, presence, model.dataset_meta, args.out_dir,
                     args.opacity)
        progress.update()
    print(f'\nwrote {len(images)} results to {args.out_dir}')


if __name__ == '__main__':
    main()
