from .inference import (collect_images, colour_mask, init_model, save_outputs,
                        save_presence_chart, segment_with_presence)

__all__ = [
    'collect_images', 'colour_mask', 'init_model', 'save_outputs',
    'save_presence_chart', 'segment_with_presence'
]
