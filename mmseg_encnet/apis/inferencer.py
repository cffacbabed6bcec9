"""mmseg's inferencer, plus what EncNet's SE branch believes is in a scene."""
import os
import os.path as osp
import re
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.runner import load_state_dict
from mmseg.apis import MMSegInferencer
from mmseg.registry import DATASETS
from torch import nn


class EncNetInferencer(MMSegInferencer):
    """``MMSegInferencer`` that also reads the class-presence probabilities.

    Everything of mmseg's inferencer is kept (inputs, batching, overlays in
    ``out_dir/vis``, label maps in ``out_dir/pred``); on top:

    - each predicted ``SegDataSample`` carries ``presence`` (num_classes,):
      the SE branch's sigmoid probabilities, read with a forward hook on the
      head's ``se_layer`` (none without one). With sliding-window inference
      the SE layer runs once per window; a class is as present in the image
      as in the window where it is most present (the maximum over windows).
    - ``out_dir/presence/<name>.png``: a bar chart of them per image.
    - the checkpoint must fit the model: missing, unexpected or misshaped
      keys are an error that lists them (mmseg only warns, then runs a
      partly random model).
    - class names and palette come from the checkpoint, else from the
      config's test dataset (mmseg would take Cityscapes').
    - a folder's files are taken in sorted order (mmengine lists them in
      directory order), so the numbered label maps are reproducible.
    """
    visualize_kwargs = MMSegInferencer.visualize_kwargs | {'presence_out_dir'}

    def __call__(self,
                 inputs,
                 return_datasamples: bool = False,
                 batch_size: int = 1,
                 return_vis: bool = False,
                 show: bool = False,
                 wait_time: int = 0,
                 out_dir: str = '',
                 img_out_dir: str = 'vis',
                 pred_out_dir: str = 'pred',
                 presence_out_dir: str = 'presence',
                 **kwargs) -> dict:
        """mmseg's call (same arguments, in the same order); with
        ``out_dir``, the presence charts go to ``out_dir/presence_out_dir``.
        """
        return super().__call__(
            inputs,
            return_datasamples,
            batch_size,
            return_vis,
            show,
            wait_time,
            out_dir,
            img_out_dir,
            pred_out_dir,
            presence_out_dir=osp.join(out_dir, presence_out_dir)
            if out_dir else '',
            **kwargs)

    def _inputs_to_list(self, inputs) -> list:
        listed = super()._inputs_to_list(inputs)
        return sorted(listed) if isinstance(
            inputs, str) and osp.isdir(inputs) else listed

    def _load_weights_to_model(self, model: nn.Module,
                               checkpoint: Optional[dict], cfg) -> None:
        if checkpoint is not None:
            state_dict = checkpoint.get('state_dict', checkpoint)
            load_state_dict(
                model, {
                    re.sub(r'^module\.', '', key): value
                    for key, value in state_dict.items()
                },
                strict=True)
            meta = checkpoint.setdefault('meta', {})
            if 'dataset_meta' not in meta and 'CLASSES' not in meta:
                dataset = cfg.test_dataloader.dataset
                meta['dataset_meta'] = dict(
                    DATASETS.get(dataset.type).METAINFO,
                    **dataset.get('metainfo', {}))
        super()._load_weights_to_model(model, checkpoint, cfg)

    def forward(self, inputs, **kwargs) -> list:
        se_layer = getattr(self.model.decode_head, 'se_layer', None)
        if se_layer is None:
            return super().forward(inputs, **kwargs)
        windows: List[torch.Tensor] = []  # (B, num_classes) per window
        hook = se_layer.register_forward_hook(
            lambda _m, _i, out: windows.append(out.detach().float()))
        try:
            preds = super().forward(inputs, **kwargs)
        finally:
            hook.remove()
        presence = torch.stack(windows).sigmoid().amax(0).cpu().numpy()
        for pred, probabilities in zip(preds, presence):
            pred.set_metainfo(dict(presence=probabilities))
        return preds

    def visualize(self,
                  inputs: list,
                  preds: list,
                  presence_out_dir: str = '',
                  **kwargs) -> Optional[List[np.ndarray]]:
        if presence_out_dir:
            os.makedirs(presence_out_dir, exist_ok=True)
            meta = self.model.dataset_meta
            for index, (single_input, pred) in enumerate(zip(inputs, preds)):
                if 'presence' not in pred:
                    continue
                name = osp.splitext(osp.basename(single_input))[0] \
                    if isinstance(single_input, str) else \
                    str(self.num_visualized_imgs + index).zfill(8)
                save_presence_chart(pred.presence, meta['classes'],
                                    meta['palette'],
                                    osp.join(presence_out_dir, f'{name}.png'))
        return super().visualize(inputs, preds, **kwargs)


def save_presence_chart(presence: np.ndarray,
                        classes: Sequence[str],
                        palette: Sequence[Sequence[int]],
                        path: str,
                        top_k: int = 15) -> None:
    """Bar chart of the ``top_k`` most likely classes by the SE branch."""
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
