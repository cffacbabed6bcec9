"""Per-class IoU of a trained model, from one confusion matrix over a split.

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
        confusion += np.bincount(num * label[valid] + pred[valid],
                                 minlength=num * num).reshape(num, num)
    iou = np.diag(confusion) / np.maximum(
        confusion.sum(0) + confusion.sum(1) - np.diag(confusion), 1)
    return dict(mIoU=float(iou.mean() * 100),
                iou={c: float(v * 100) for c, v in zip(classes, iou)})
