"""Inference with EncNet: the segmentation and what the SE branch believes
is in the scene.

Built on mmseg's own ``init_model``/``inference_model``: the class-presence
probabilities are read from the SE layer as the model runs, with a forward
hook, so nothing of the model's forward is duplicated.
"""
import glob
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint
from mmseg.apis import inference_model
from mmseg.apis import init_model as mmseg_init_model
from mmseg.registry import DATASETS
from mmseg.structures import SegDataSample

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp')


def collect_images(sources: Sequence[str]) -> List[str]:
    """Image files from paths, folders (searched recursively) and globs.

    Raises:
        FileNotFoundError: A source matches no image.
    """
    images = []
    for source in sources:
        if osp.isdir(source):
            found = sorted(
                osp.join(root, f) for root, _, files in os.walk(source)
                for f in files if f.lower().endswith(IMAGE_SUFFIXES))
        elif osp.isfile(source):
            found = [source]
        else:
            found = sorted(
                f for f in glob.glob(source, recursive=True)
                if f.lower().endswith(IMAGE_SUFFIXES))
        if not found:
            raise FileNotFoundError(f'no image found at {source!r}')
        images += found
    return images


def init_model(config: Union[str, Config],
               checkpoint: str,
               device: str = 'cpu') -> torch.nn.Module:
    """mmseg's ``init_model``, but the checkpoint must fit the model.

    Missing, unexpected or misshaped keys are an error that lists them
    (mmseg only warns, then runs a partly random model). Class names and
    palette come from the checkpoint, else from the config's test dataset.
    """
    model = mmseg_init_model(config, None, device=device)
    meta = load_checkpoint(
        model, checkpoint, map_location='cpu', strict=True).get('meta', {})
    dataset = model.cfg.test_dataloader.dataset
    model.dataset_meta = meta.get('dataset_meta') or dict(
        DATASETS.get(dataset.type).METAINFO, **dataset.get('metainfo', {}))
    return model


def segment_with_presence(model: torch.nn.Module, image: str):
    """Segment one image and read the SE branch's class presence.

    Args:
        model: A segmentor from ``mmseg.apis.init_model`` with an EncHead
            (mmseg's or ours) that has ``use_se_loss=True``.
        image (str): Image path.

    Returns:
        tuple[SegDataSample, np.ndarray | None]: mmseg's result and the
        presence probabilities (num_classes,), or None without an SE layer.
        With sliding-window inference (``test_cfg.mode='slide'``) the SE
        layer runs once per window; a class is as present in the image as
        in the window where it is most present (the maximum over windows).
    """
    se_layer = getattr(model.decode_head, 'se_layer', None)
    captured = []
    hook = se_layer.register_forward_hook(lambda _m, _i, out: captured.append(
        out.detach())) if se_layer else None
    try:
        result = inference_model(model, image)
    finally:
        if hook is not None:
            hook.remove()
    if not captured:
        return result, None
    windows = torch.cat(captured).float().sigmoid()  # (windows, num_classes)
    return result, windows.amax(0).cpu().numpy()


def colour_mask(labels: np.ndarray,
                palette: Sequence[Sequence[int]]) -> np.ndarray:
    """(H, W) class ids -> (H, W, 3) BGR colours from an RGB palette."""
    lut = np.zeros((256, 3), np.uint8)
    lut[:len(palette)] = np.asarray(palette, np.uint8)[:, ::-1]
    return lut[labels.astype(np.uint8)]


def save_presence_chart(presence: np.ndarray,
                        classes: Sequence[str],
                        palette: Sequence[Sequence[int]],
                        path: str,
                        top_k: int = 15) -> None:
    """Bar chart of the most likely classes according to the SE branch."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    order = np.argsort(presence)[::-1][:top_k]
    fig, ax = plt.subplots(figsize=(5, 0.3 * len(order) + 1), dpi=100)
    ax.barh(
        range(len(order)),
        presence[order],
        color=[np.asarray(palette[i]) / 255 for i in order],
        edgecolor='black')
    ax.set_yticks(range(len(order)), [classes[i] for i in order])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel('presence probability (SE branch)')
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def save_outputs(image: str,
                 result: SegDataSample,
                 presence: Optional[np.ndarray],
                 metainfo: Dict,
                 out_dir: str,
                 opacity: float = 0.5) -> List[str]:
    """Write ``<name>_mask.png``, ``<name>_overlay.png`` and, with presence,
    ``<name>_presence.png`` to ``out_dir``; return their paths."""
    os.makedirs(out_dir, exist_ok=True)
    name = osp.splitext(osp.basename(image))[0]
    labels = result.pred_sem_seg.data[0].cpu().numpy()
    mask = colour_mask(labels, metainfo['palette'])
    img = cv2.imread(image, cv2.IMREAD_COLOR)
    overlay = cv2.addWeighted(img, 1 - opacity, mask, opacity, 0)
    paths = [
        osp.join(out_dir, f'{name}_mask.png'),
        osp.join(out_dir, f'{name}_overlay.png')
    ]
    cv2.imwrite(paths[0], mask)
    cv2.imwrite(paths[1], overlay)
    if presence is not None:
        paths.append(osp.join(out_dir, f'{name}_presence.png'))
        save_presence_chart(presence, metainfo['classes'], metainfo['palette'],
                            paths[-1])
    return paths
