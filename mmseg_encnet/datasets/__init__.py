from .camvid import CamVidDataset
from .demo_street import CLASSES, DemoStreetDataset, make_demo_data, make_scene

__all__ = [
    'CamVidDataset', 'CLASSES', 'DemoStreetDataset', 'make_demo_data',
    'make_scene'
]
