"""Per-class IoU of trained models and their predictions as a picture.

Shared by the benchmarks that train models (``camvid.py``, ``demo.py``):
mmseg's ``IoUMetric`` prints per-class IoU in the log only, so they evaluate
the final weights here, with ``mmseg.apis.inference_model``.
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np
from PIL import Image


def evaluate(config: str, checkpoint: str, pairs: List[Tuple[str, str]],
             classes: Sequence[str]) -> Dict:
    """mIoU and IoU per class (%) of ``checkpoint`` on ``(image, label)``
    file pairs; label values outside ``range(len(classes))`` are ignored."""
    from mmengine.config import Config
    from mmseg.apis import inference_model

    from mmseg_encnet.apis import init_model
    net = init_model(Config.fromfile(config), checkpoint)
    num = len(classes)
    confusion = np.zeros((num, num), np.int64)
    for image, label_file in pairs:
        label = np.array(Image.open(label_file)).astype(np.int64)
        pred = inference_model(net, image).pred_sem_seg.data[0].cpu().numpy()
        valid = label < num
        confusion += np.bincount(
            num * label[valid] + pred[valid],
            minlength=num * num).reshape(num, num)
    iou = np.diag(confusion) / np.maximum(
        confusion.sum(0) + confusion.sum(1) - np.diag(confusion), 1)
    return dict(
        mIoU=float(iou.mean() * 100),
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
