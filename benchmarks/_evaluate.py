"""Per-class IoU of trained models and their predictions as a picture.

Used by ``seeds.py``, which trains the recipes:
mmseg's ``IoUMetric`` prints per-class IoU in the log only, so they evaluate
the final weights here, with ``mmseg.apis.inference_model`` and the
metric's own helpers.
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np
from PIL import Image


def evaluate(config: str, checkpoint: str, pairs: List[Tuple[str, str]],
             classes: Sequence[str]) -> Dict:
    """mIoU and IoU per class (%) of ``checkpoint`` on ``(image, label)``
    file pairs, by mmseg's ``IoUMetric`` helpers; label values outside
    ``range(len(classes))`` are ignored."""
    import torch
    from mmengine.config import Config
    from mmseg.apis import inference_model
    from mmseg.evaluation import IoUMetric

    from mmseg_encnet.apis import init_model
    net = init_model(Config.fromfile(config), checkpoint)
    num, ignore = len(classes), 255
    areas = []  # intersection, union, prediction, label per class
    for image, label_file in pairs:
        label = torch.from_numpy(np.array(Image.open(label_file))).long()
        label[label >= num] = ignore
        pred = inference_model(net, image).pred_sem_seg.data[0].cpu()
        areas.append(IoUMetric.intersect_and_union(pred, label, num, ignore))
    totals = [sum(area[i] for area in areas) for i in range(4)]
    iou = IoUMetric.total_area_to_metrics(*totals, metrics=['mIoU'])['IoU']
    return dict(
        mIoU=float(np.nanmean(iou) * 100),
        iou={
            c: float(v * 100)
            for c, v in zip(classes, iou)
        })


def save_figure(models: Dict[str, Tuple[str, str]],
                pairs: List[Tuple[str, str]],
                classes: Sequence[str],
                palette: Sequence[Sequence[int]],
                path: str,
                scale: float = 1.0) -> None:
    """Write ``path``: scenes as rows, ``image | ground truth | one column per
    model`` (resized by ``scale``), for ``models`` = {name: (config,
    checkpoint)}; and beside it (``*_presence.png``) the SE-branch presence
    chart of the first model that has one, on the first scene. Labels
    outside the palette are black."""
    import cv2
    from mmengine.config import Config

    from mmseg_encnet.apis import (colour_mask, init_model,
                                   save_presence_chart, segment_with_presence)
    nets = {
        name: init_model(Config.fromfile(config), checkpoint)
        for name, (config, checkpoint) in models.items()
    }
    rows, chart = [], None
    for image, label in pairs:
        row = [
            cv2.imread(image),
            colour_mask(np.array(Image.open(label)), palette)
        ]
        for net in nets.values():
            result, presence = segment_with_presence(net, image)
            row.append(
                colour_mask(result.pred_sem_seg.data[0].cpu().numpy(),
                            palette))
            if chart is None:
                chart = presence
        rows.append(np.concatenate(row, axis=1))
    grid = np.concatenate(rows, axis=0)
    if scale != 1.0:
        grid = cv2.resize(
            grid, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    cv2.imwrite(path, grid)
    if chart is not None:
        save_presence_chart(chart, classes, palette,
                            path.replace('.png', '_presence.png'))
