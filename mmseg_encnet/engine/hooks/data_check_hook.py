"""Every training image/label pair checked before the first iteration."""
import os
from concurrent.futures import ThreadPoolExecutor
from typing import List, Optional

from mmengine.dist import all_gather_object, get_dist_info
from mmengine.hooks import Hook
from mmengine.runner import Runner

from ...registry import HOOKS


@HOOKS.register_module()
class DataCheckHook(Hook):
    """Before training, check every training pair: both files exist, are
    images, and have the same size; the error lists every file that fails.

    Args:
        decode: decode every image and label in full, so that a file whose
            header is fine but whose data is cut short fails here, not when
            it is first drawn. The headers alone take about a second for
            Cityscapes; decoding costs what docs/safety.md measures.
        workers: threads per process that open the files (default: the
            CPUs this process may use). Ranks share the files.
    """
    priority = 'VERY_HIGH'

    def __init__(self,
                 decode: bool = False,
                 workers: Optional[int] = None) -> None:
        self.decode = decode
        self.workers = workers

    def before_train(self, runner: Runner) -> None:
        check_image_label_pairs(runner.train_dataloader.dataset, self.decode,
                                self.workers)


def check_image_label_pairs(dataset,
                            decode: bool = False,
                            workers: Optional[int] = None) -> None:
    """Raise ``ValueError`` listing every unusable (image, label) pair.

    In a distributed run each rank opens its share of the pairs and every
    rank raises the same error.
    """
    rank, world_size = get_dist_info()
    indices = range(rank, len(dataset), world_size)
    workers = workers or len(os.sched_getaffinity(0))
    with ThreadPoolExecutor(workers) as pool:
        found = [
            problem for problems in pool.map(
                lambda i: _pair_problems(dataset.get_data_info(i), decode),
                indices) for problem in problems
        ]
    if world_size > 1:
        found = [p for problems in all_gather_object(found) for p in problems]
    if found:
        raise ValueError(f'{len(found)} unusable training files (of '
                         f'{len(dataset)} image/label pairs):\n' +
                         '\n'.join(found))


def _pair_problems(info: dict, decode: bool) -> List[str]:
    """What is wrong with one pair: nothing, or one line per file."""
    from PIL import Image, UnidentifiedImageError

    problems, sizes = [], {}
    for key in ('img_path', 'seg_map_path'):
        path = info.get(key)
        if path is None:
            continue
        try:
            with Image.open(path) as image:
                if decode:
                    image.load()
                sizes[key] = image.size
        except FileNotFoundError:
            problems.append(f'{key} {path!r} does not exist')
        except (UnidentifiedImageError, OSError) as error:
            problems.append(f'{key} {path!r} is not a readable image: {error}')
    if len(set(sizes.values())) > 1:
        (w, h), (lw, lh) = sizes['img_path'], sizes['seg_map_path']
        problems.append(
            f'label {info["seg_map_path"]!r} is {lw}x{lh} but its image '
            f'{info["img_path"]!r} is {w}x{h}; labels must have the size of '
            'their image')
    return problems
