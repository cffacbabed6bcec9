"""Per-class IoU of trained models and their predictions as a picture.

Used by ``seeds.py``, which trains the recipes: mmseg's ``IoUMetric``
prints per-class IoU in the log only, so the final weights are evaluated
here, predicting with ``EncNetInferencer`` (mmseg's inferencer) and counting
with the metric's own helpers.
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np
from PIL import Image


def evaluate(config: str, checkpoint: str, pairs: List[Tuple[str, str]],
             classes: Sequence[str]) -> Dict:
    """Pixel accuracy (aAcc), mIoU, mean class accuracy (mAcc) and IoU and
    accuracy per class (%) of ``checkpoint`` on ``(image, label)`` file
    pairs, by mmseg's ``IoUMetric`` helpers (classes absent from the labels
    are left out of the means, as there); label values outside
    ``range(len(classes))`` are ignored."""
    import torch
    from mmseg.evaluation import IoUMetric

    from mmseg_encnet.apis import EncNetInferencer
    inferencer = EncNetInferencer(config, checkpoint, device='cpu')
    inferencer.show_progress = False  # one image a call
    num, ignore = len(classes), 255
    areas = []  # intersection, union, prediction, label per class
    for image, label_file in pairs:
        label = torch.from_numpy(np.array(Image.open(label_file))).long()
        label[label >= num] = ignore
        pred = inferencer(image, return_datasamples=True).pred_sem_seg
        areas.append(
            IoUMetric.intersect_and_union(pred.data[0].cpu(), label, num,
                                          ignore))
    totals = [sum(area[i] for area in areas) for i in range(4)]
    metrics = IoUMetric.total_area_to_metrics(*totals, metrics=['mIoU'])
    iou, acc = metrics['IoU'], metrics['Acc']
    return dict(
        aAcc=float(metrics['aAcc']) * 100,
        mIoU=float(np.nanmean(iou) * 100),
        mAcc=float(np.nanmean(acc) * 100),
        iou={
            c: float(v * 100)
            for c, v in zip(classes, iou)
        },
        acc={
            c: float(v * 100)
            for c, v in zip(classes, acc)
        })


def colour(labels: np.ndarray, palette: Sequence[Sequence[int]]) -> np.ndarray:
    """(H, W) class ids -> (H, W, 3) BGR; ids outside the palette black."""
    lut = np.zeros((256, 3), np.uint8)
    lut[:len(palette)] = np.asarray(palette, np.uint8)[:, ::-1]
    return lut[labels.astype(np.uint8)]


def save_figure(models: Dict[str, Tuple[str, str]],
                pairs: List[Tuple[str, str]],
                classes: Sequence[str],
                palette: Sequence[Sequence[int]],
                path: str,
                scale: float = 1.0) -> None:
    """Write ``path``: scenes as rows, ``image | ground truth | one column per
    model`` (resized by ``scale``), for ``models`` = {name: (config,
    checkpoint)}; and beside it (``*_presence.png``) the SE-branch presence
    chart of the first model that has one, on the first scene."""
    import cv2

    from mmseg_encnet.apis import EncNetInferencer, save_presence_chart
    inferencers = [
        EncNetInferencer(config, checkpoint, device='cpu')
        for config, checkpoint in models.values()
    ]
    for inferencer in inferencers:
        inferencer.show_progress = False  # one image a call
    rows, chart = [], None
    for image, label in pairs:
        row = [cv2.imread(image), colour(np.array(Image.open(label)), palette)]
        for inferencer in inferencers:
            result = inferencer(image, return_datasamples=True)
            row.append(
                colour(result.pred_sem_seg.data[0].cpu().numpy(), palette))
            if chart is None and 'presence' in result:
                chart = result.presence
        rows.append(np.concatenate(row, axis=1))
    grid = np.concatenate(rows, axis=0)
    if scale != 1.0:
        grid = cv2.resize(
            grid, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    cv2.imwrite(path, grid)
    if chart is not None:
        save_presence_chart(chart, classes, palette,
                            path.replace('.png', '_presence.png'))
