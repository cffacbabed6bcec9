from .camvid import CamVidDataset
from .demo_street import DemoStreetDataset, make_demo_data, make_scene
from .siftflow import SiftFlowDataset

__all__ = [
    'CamVidDataset', 'DemoStreetDataset', 'SiftFlowDataset', 'make_demo_data',
    'make_scene'
]
