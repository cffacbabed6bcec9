"""EncNet against FCN and PSPNet on CamVid: train, evaluate, tabulate.

Trains each ``--models`` config of ``configs/camvid/`` for each ``--seeds``
(``tools/train.py``, one run after the other; a run whose final checkpoint
exists is not trained again), evaluates the final weights on ``val/`` with
whole 480x360 images, and prints val mIoU and per-class IoU as a Markdown
table. The raw numbers are written to ``--out`` (JSON).

    python benchmarks/camvid.py [--data-root ../shared/camvid]
        [--models encnet fcn pspnet] [--seeds 0 1] [--out camvid.json]
        [--figure docs/camvid_val.png]
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List

import numpy as np
from mmengine.config import Config
from PIL import Image

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def config_path(model: str) -> str:
    return osp.join(ROOT, 'configs/camvid', f'{model}_r18-d8_camvid.py')


def train(model: str, seed: int, data_root: str, work_dir: str) -> str:
    """Train (unless done) and return the final checkpoint."""
    cfg = Config.fromfile(config_path(model))
    final = osp.join(work_dir, f'iter_{cfg.train_cfg.max_iters}.pth')
    if not osp.isfile(final):
        options = [f'{split}_dataloader.dataset.data_root={data_root}'
                   for split in ('train', 'val', 'test')]
        subprocess.run(
            [sys.executable, osp.join(ROOT, 'tools/train.py'),
             config_path(model), '--work-dir', work_dir, '--cfg-options',
             f'randomness.seed={seed}', *options],
            check=True, env=dict(os.environ, PYTHONWARNINGS='ignore'))
    return final


def evaluate(model: str, checkpoint: str, data_root: str) -> Dict:
    """Per-class IoU (%) on val/ from one confusion matrix over all images."""
    from mmseg.apis import inference_model

    from mmseg_encnet.apis import init_model
    from mmseg_encnet.datasets.camvid import CLASSES
    cfg = Config.fromfile(config_path(model))
    net = init_model(cfg, checkpoint)
    num = len(CLASSES)
    confusion = np.zeros((num, num), np.int64)
    folder = osp.join(data_root, 'val')
    for name in sorted(os.listdir(folder)):
        label = np.array(Image.open(osp.join(data_root, 'valannot', name)))
        pred = inference_model(net, osp.join(folder, name))
        pred = pred.pred_sem_seg.data[0].cpu().numpy()
        valid = label < num  # void (11) is ignored
        confusion += np.bincount(
            num * label[valid].astype(np.int64) + pred[valid],
            minlength=num * num).reshape(num, num)
    iou = np.diag(confusion) / np.maximum(
        confusion.sum(0) + confusion.sum(1) - np.diag(confusion), 1)
    return dict(mIoU=float(iou.mean() * 100),
                iou={c: float(v * 100) for c, v in zip(CLASSES, iou)})


def figure(checkpoints: Dict[str, str], data_root: str, path: str,
           names: List[str]) -> None:
    """Val scenes as rows: image | ground truth | one column per model; and
    the SE branch's presence chart of EncNet on the first scene beside
    ``path`` (``*_presence.png``)."""
    import cv2

    from mmseg_encnet.apis import (colour_mask, init_model,
                                   save_presence_chart, segment_with_presence)
    from mmseg_encnet.datasets.camvid import CLASSES, PALETTE
    nets = {m: init_model(Config.fromfile(config_path(m)), c)
            for m, c in checkpoints.items()}
    rows = []
    for i, name in enumerate(names):
        image = osp.join(data_root, 'val', name)
        label = np.array(Image.open(osp.join(data_root, 'valannot', name)))
        label[label == 11] = 255  # void: black
        row = [cv2.imread(image), colour_mask(label, PALETTE)]
        for model, net in nets.items():
            result, presence = segment_with_presence(net, image)
            row.append(colour_mask(result.pred_sem_seg.data[0].cpu().numpy(),
                                   PALETTE))
            if i == 0 and model == 'encnet':
                save_presence_chart(presence, CLASSES, PALETTE,
                                    path.replace('.png', '_presence.png'))
        rows.append(np.concatenate(row, axis=1))
    grid = np.concatenate(rows, axis=0)
    cv2.imwrite(path, cv2.resize(grid, None, fx=0.5, fy=0.5,
                                 interpolation=cv2.INTER_AREA))


def table(results: List[Dict]) -> str:
    from mmseg_encnet.datasets.camvid import CLASSES
    head = ['model', 'seed', 'val mIoU', *CLASSES]
    rows = ['| ' + ' | '.join(head) + ' |',
            '| --- | ---: |' + ' ---: |' * (len(head) - 2)]
    for r in results:
        cells = [r['model'], str(r['seed']), f"{r['mIoU']:.2f}"]
        cells += [f"{r['iou'][c]:.1f}" for c in CLASSES]
        rows.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data-root',
                        default=osp.join(ROOT, '..', 'shared', 'camvid'))
    parser.add_argument('--models', nargs='+',
                        default=['encnet', 'fcn', 'pspnet'])
    parser.add_argument('--seeds', nargs='+', type=int, default=[0])
    parser.add_argument('--work-dirs', default='work_dirs/camvid')
    parser.add_argument('--out', default='camvid.json')
    parser.add_argument(
        '--figure', help='PNG: val scenes, image | ground truth | models '
        '(first seed), and EncNet\'s presence chart beside it')
    parser.add_argument(
        '--scenes', nargs='+',
        default=['0016E5_07959.png', '0016E5_08079.png', '0016E5_08151.png'],
        help='val images for --figure')
    args = parser.parse_args()
    data_root = osp.realpath(args.data_root)
    results, first = [], {}
    for model in args.models:
        for seed in args.seeds:
            work_dir = osp.join(args.work_dirs, f'{model}_seed{seed}')
            checkpoint = train(model, seed, data_root, work_dir)
            first.setdefault(model, checkpoint)
            results.append(
                dict(model=model, seed=seed,
                     **evaluate(model, checkpoint, data_root)))
            print(table(results[-1:]), flush=True)
    with open(args.out, 'w') as f:
        json.dump(results, f, indent=1)
    print(table(results))
    if args.figure:
        figure(first, data_root, args.figure, args.scenes)
        print(f'figure: {args.figure}')


if __name__ == '__main__':
    main()
