"""Per-class IoU of trained models and their predictions as a picture.

Used by ``seeds.py``, which trains the recipes: mmseg's ``IoUMetric``
prints per-class IoU in the log only, so the final weights are evaluated
here, predicting with ``EncNetInferencer`` (mmseg's inferencer) and counting
with the metric's own helpers.
"""
import glob
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image


def evaluate(config: str,
             checkpoint: str,
             pairs: List[Tuple[str, str]],
             classes: Sequence[str],
             scenes: Optional[Sequence[str]] = None) -> Dict:
    """Pixel accuracy (aAcc), mIoU, mean class accuracy (mAcc) and IoU and
    accuracy per class (%) of ``checkpoint`` on ``(image, label)`` file
    pairs, by mmseg's ``IoUMetric`` helpers (classes absent from the labels
    are left out of the means, as there); label values outside
    ``range(len(classes))`` are ignored. For EncNet also the SE branch's
    presence scores and what its context vector holds (:class:`Context`),
    told apart by the images' ``scenes`` (a kind per image) if given."""
    import torch
    from mmseg.evaluation import IoUMetric

    from mmseg_encnet.apis import EncNetInferencer
    inferencer = EncNetInferencer(config, checkpoint, device='cpu')
    inferencer.show_progress = False  # one image a call
    head = inferencer.model.decode_head
    context = Context(head) if hasattr(head, 'enc_module') else None
    num, ignore = len(classes), 255
    areas = []  # intersection, union, prediction, label per class
    present, believed = [], []  # per image: in the label, SE branch > 0.5
    for image, label_file in pairs:
        label = torch.from_numpy(np.array(Image.open(label_file))).long()
        label[label >= num] = ignore
        result = inferencer(image, return_datasamples=True)
        areas.append(
            IoUMetric.intersect_and_union(result.pred_sem_seg.data[0].cpu(),
                                          label, num, ignore))
        present.append(np.bincount(label[label < num], minlength=num) > 0)
        if 'presence' in result:
            believed.append(np.asarray(result.presence) > 0.5)
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
        },
        **(presence_scores(np.array(present), np.array(believed), classes)
           if believed else {}),
        **(dict(context=context.summary(scenes)) if context else {}))


def presence_scores(present: np.ndarray, believed: np.ndarray,
                    classes: Sequence[str]) -> Dict:
    """Per class, over the images: how many have it (``images``), and of
    those the share the SE branch believes present (``recall``, %); of the
    images it believes have it, the share that do (``precision``, %;
    None where it believes none). ``present`` and ``believed`` are
    (images, classes) booleans."""
    hits = (present & believed).sum(0)
    return dict(
        presence={
            c:
            dict(
                images=int(n),
                recall=float(h / n * 100) if n else None,
                precision=float(h / b * 100) if b else None)
            for c, n, b, h in zip(classes, present.sum(0), believed.sum(0),
                                  hits)
        })


class Context:
    """What EncHead's Context Encoding Module sees, one image per forward:
    the assignment of the encoded features to the codewords, the context
    vector ``e`` it rescales the channels by, and the same features
    averaged over the image, the summary a plain global pooling would give.

    Args:
        head (nn.Module): An EncHead; forward hooks are put on its
            ``enc_module``.
    """

    def __init__(self, head) -> None:
        from mmseg_encnet.models.encoding import assign, scaled_distances
        module = head.enc_module
        # none where pooling takes the Encoding layer's place (mmseg's
        # EncHead has no ``context``: it always encodes)
        encoding = (
            module.encoding[0]
            if getattr(head, 'context', 'encoding') == 'encoding' else None)
        self.usage, self.pooled, self.vectors = [], [], []

        def projected(_, __, x) -> None:  # (1, C, H, W) encoded features
            x = x.detach().float().flatten(2)
            self.pooled.append(x[0].mean(1).numpy())
            if encoding is not None:
                logits, _ = scaled_distances(x, encoding.codewords.detach(),
                                             encoding.scale.detach())
                self.usage.append(assign(logits)[0].mean(0).numpy())

        def encoded(_, __, out) -> None:  # ((1, C) context, features)
            self.vectors.append(out[0][0].detach().float().numpy())

        module.encoding_project.register_forward_hook(projected)
        module.register_forward_hook(encoded)

    def summary(self, scenes: Optional[Sequence[str]]) -> Dict:
        """Each codeword's share of all assignments (%, largest first) and
        how many codewords that spread is worth (``exp`` of its entropy);
        with ``scenes``, how well the context vector and the pooled
        features tell the images' scene kinds apart
        (:func:`scene_accuracy`)."""
        summary = {}
        if self.usage:
            usage = np.mean(self.usage, axis=0)
            summary.update(
                usage=sorted((float(u * 100) for u in usage), reverse=True),
                effective_codewords=float(
                    np.exp(-(usage * np.log(np.maximum(usage, 1e-12))).sum())))
        if scenes is not None:
            summary['scene_accuracy'] = dict(
                context=scene_accuracy(np.array(self.vectors), scenes),
                pooled=scene_accuracy(np.array(self.pooled), scenes))
        return summary


def scene_accuracy(features: np.ndarray, scenes: Sequence[str]) -> float:
    """Leave-one-out accuracy (%) of telling each row's scene kind by the
    nearest mean of each kind's other rows, on features (n, D) standardised
    per dimension: how much of the scene a summary vector holds."""
    x = (features - features.mean(0)) / (features.std(0) + 1e-8)
    kinds, label = np.unique(np.asarray(scenes), return_inverse=True)
    sums = np.zeros((len(kinds), x.shape[1]))
    np.add.at(sums, label, x)
    counts = np.bincount(label, minlength=len(kinds)).astype(float)
    hits = 0
    for row, own in zip(x, label):
        others, n = sums.copy(), counts.copy()
        others[own] -= row
        n[own] -= 1
        means = others / np.maximum(n, 1)[:, None]
        distance = ((means - row)**2).sum(1)
        distance[n == 0] = np.inf
        hits += int(distance.argmin() == own)
    return hits / len(x) * 100


def logged(work_dir: str) -> List[dict]:
    """The rows of mmengine's ``scalars.json`` of every part of the run in
    ``work_dir``, in the order the parts ran."""
    rows = []
    for path in sorted(
            glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            rows += [json.loads(line) for line in f]
    return rows


def se_loss_share(work_dir: str, last: int = 100) -> Dict:
    """The SE-loss's share of the total training loss (%, mean of the
    logged ratios over the ``last`` logged iterations), from mmengine's
    ``scalars.json`` in ``work_dir``; empty without SE-loss or log."""
    shares = [
        r['decode.loss_se'] / r['loss'] for r in logged(work_dir)
        if 'decode.loss_se' in r and r.get('loss')
    ][-last:]
    return dict(se_loss_share=float(np.mean(shares) * 100)) if shares else {}


def iteration_clock(work_dir: str) -> Dict[int, float]:
    """Seconds of training up to each logged iteration: the logged mean
    iteration time times the iterations since the previous log, summed (the
    logs of a resumed part replace those of the iterations it repeats)."""
    times = {
        r['iter']: r['time']
        for r in logged(work_dir) if 'iter' in r and 'time' in r
    }
    clock, total, previous = {}, 0.0, 0
    for it in sorted(times):
        total += times[it] * (it - previous)
        clock[it], previous = total, it
    return clock


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
