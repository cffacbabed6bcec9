from .inference import (collect_images, init_model, save_outputs,
                        segment_with_presence)

__all__ = [
    'collect_images', 'init_model', 'save_outputs', 'segment_with_presence'
]
