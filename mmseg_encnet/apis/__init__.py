from .inference import collect_images, save_outputs, segment_with_presence

__all__ = ['collect_images', 'save_outputs', 'segment_with_presence']
