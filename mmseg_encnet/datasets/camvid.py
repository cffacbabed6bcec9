"""CamVid in SegNet's 11-class split (Brostow et al., 2008).

Real street scenes from Cambridge, 480x360, as the SegNet tutorial
distributes them: ``train/`` (367 images), ``val/`` (101), ``test/`` (233),
each with its label maps in ``trainannot/``, ``valannot/``, ``testannot/``
under the same file name. Label 11 is void (unlabelled).
"""
from typing import Dict, Optional, Sequence

from mmseg.datasets import BaseSegDataset

from ..registry import DATASETS

CLASSES = ('sky', 'building', 'pole', 'road', 'pavement', 'tree',
           'sign_symbol', 'fence', 'car', 'pedestrian', 'bicyclist')
# The colours of SegNet's CamVid tutorial.
PALETTE = [[128, 128, 128], [128, 0, 0], [192, 192, 128], [128, 64, 128],
           [60, 40, 222], [128, 128, 0], [192, 128, 128], [64, 64, 128],
           [64, 0, 128], [64, 64, 0], [0, 128, 192]]
VOID = 11


@DATASETS.register_module()
class CamVidDataset(BaseSegDataset):
    """CamVid, 11 classes; void (label 11) becomes 255, mmseg's ignore label.

    The mapping is mmseg's own ``label_map`` (applied by
    ``LoadAnnotations``), so void pixels and the 255 that padding and
    cropping write into labels are one and the same ignored value: configs
    keep ``ignore_index=255``.

    Args:
        img_suffix (str): Default: '.png'.
        seg_map_suffix (str): Default: '.png'.
        **kwargs: Arguments of :class:`mmseg.datasets.BaseSegDataset`, e.g.
            ``data_prefix=dict(img_path='train', seg_map_path='trainannot')``.
    """
    METAINFO = dict(classes=CLASSES, palette=PALETTE)

    def __init__(self,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '.png',
                 **kwargs) -> None:
        super().__init__(
            img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)

    @classmethod
    def get_label_map(
            cls,
            new_classes: Optional[Sequence] = None
    ) -> Optional[Dict[int, int]]:
        """mmseg's class-subset mapping, plus void -> 255."""
        return {**(super().get_label_map(new_classes) or {}), VOID: 255}
