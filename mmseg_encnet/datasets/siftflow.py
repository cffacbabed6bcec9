"""SIFT Flow (Liu, Yuen and Torralba, TPAMI 2011): 33 classes of outdoor
scenes of eight kinds, 256x256 (FCN's table 5 reports on it).

``tools/dataset_converters/siftflow.py`` writes mmseg's layout from the
original release::

    data/siftflow/img_dir/{train,val,test}/NAME.jpg
    data/siftflow/ann_dir/{train,val,test}/NAME.png   (0-32; unlabeled 255)
"""
from mmseg.datasets import BaseSegDataset

from ..registry import DATASETS

# In the order of the release's ``names`` (its labels 1..33).
CLASSES = ('awning', 'balcony', 'bird', 'boat', 'bridge', 'building', 'bus',
           'car', 'cow', 'crosswalk', 'desert', 'door', 'fence', 'field',
           'grass', 'moon', 'mountain', 'person', 'plant', 'pole', 'river',
           'road', 'rock', 'sand', 'sea', 'sidewalk', 'sign', 'sky',
           'staircase', 'streetlight', 'sun', 'tree', 'window')
PALETTE = [[180, 120, 60], [200, 160, 120], [250, 170, 30], [220, 160, 40],
           [150, 100, 100], [70, 70, 70], [0, 60, 100], [0, 0, 142],
           [140, 90, 40], [255, 255, 255], [230, 200, 120], [120, 60, 30],
           [190, 153, 153], [170, 200, 80], [110, 200, 60], [240, 240, 200],
           [120, 110, 100], [220, 20, 60], [60, 160, 60], [153, 153, 153],
           [40, 110, 160], [128, 64, 128], [100, 90, 80], [210, 190, 140],
           [0, 80, 160], [244, 35, 232], [220, 220, 0], [70, 130, 180],
           [160, 120, 160], [200, 200, 100], [255, 200, 0], [107, 142, 35],
           [100, 140, 200]]


@DATASETS.register_module()
class SiftFlowDataset(BaseSegDataset):
    """SIFT Flow in the converter's layout; unlabeled pixels are 255 in the
    label files already, mmseg's ignore label.

    Args:
        **kwargs: Arguments of :class:`mmseg.datasets.BaseSegDataset`, e.g.
            ``data_prefix=dict(img_path='img_dir/train',
            seg_map_path='ann_dir/train')``.
    """
    METAINFO = dict(classes=CLASSES, palette=PALETTE)

    def __init__(self, **kwargs) -> None:
        super().__init__(img_suffix='.jpg', seg_map_suffix='.png', **kwargs)
