from .demo_street import CLASSES, DemoStreetDataset, make_demo_data, make_scene

__all__ = ['CLASSES', 'DemoStreetDataset', 'make_demo_data', 'make_scene']
