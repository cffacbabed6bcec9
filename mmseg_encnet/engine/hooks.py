"""Hooks of mmseg_encnet."""
import math
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmengine.runner import Runner

from ..registry import HOOKS


def plot_training_curves(losses: np.ndarray, val_points: List[Tuple[int,
                                                                     float]],
                         path: str, title: str = '') -> None:
    """Draw training loss and validation mIoU against the iteration.

    Args:
        losses (np.ndarray): Training loss of iterations 1..len(losses).
        val_points (list[tuple[int, float]]): (iteration, mIoU) pairs.
        path (str): Where the PNG goes.
        title (str): Title of the plot.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax_loss = plt.subplots(figsize=(7, 4), dpi=100)
    iters = np.arange(1, len(losses) + 1)
    ax_loss.plot(iters, losses, color='tab:blue', alpha=0.3, lw=0.8)
    window = max(1, len(losses) // 30)
    if len(losses) >= window:
        smooth = np.convolve(losses, np.ones(window) / window, mode='valid')
        ax_loss.plot(iters[window - 1:], smooth, color='tab:blue', lw=1.5)
    ax_loss.set_xlabel('iteration')
    ax_loss.set_ylabel('training loss', color='tab:blue')
    if val_points:
        ax_miou = ax_loss.twinx()
        x, y = zip(*val_points)
        ax_miou.plot(x, y, 'o-', color='tab:red')
        for xi, yi in val_points:
            ax_miou.annotate(f'{yi:.1f}', (xi, yi), textcoords='offset points',
                             xytext=(0, 6), ha='center', color='tab:red')
        ax_miou.set_ylabel('val mIoU (%)', color='tab:red')
        ax_miou.set_ylim(0, 100)
    ax_loss.set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


@HOOKS.register_module()
class TrainingCurveHook(Hook):
    """Plot training loss and val mIoU to ``work_dir/<filename>``.

    The val points live in the message hub's runtime info, which checkpoints
    carry, so a resumed run draws the whole history.

    Args:
        filename (str): Name of the PNG in the work dir.
            Default: 'training_curves.png'.
        metric (str): Validation metric to draw. Default: 'mIoU'.
    """
    priority = 'LOW'

    def __init__(self,
                 filename: str = 'training_curves.png',
                 metric: str = 'mIoU') -> None:
        self.filename = filename
        self.metric = metric

    def after_val_epoch(self,
                        runner: Runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        if not metrics or self.metric not in metrics:
            return
        hub = runner.message_hub
        points = list(hub.get_info('mmseg_encnet.mIoU_curve', []))
        points = [p for p in points if p[0] != runner.iter]
        points.append((runner.iter, float(metrics[self.metric])))
        hub.update_info('mmseg_encnet.mIoU_curve', points)
        self._plot(runner)

    def after_train(self, runner: Runner) -> None:
        self._plot(runner)

    @master_only
    def _plot(self, runner: Runner) -> None:
        if 'train/loss' not in runner.message_hub.log_scalars:
            return
        losses, _ = runner.message_hub.get_scalar('train/loss').data
        title = osp.basename(runner.work_dir)
        plot_training_curves(
            np.asarray(losses, dtype=float),
            runner.message_hub.get_info('mmseg_encnet.mIoU_curve', []),
            osp.join(runner.work_dir, self.filename), title)


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop training at the first NaN or infinite loss, naming the term.

    Runs before the checkpoint hook of the same iteration, so the weights the
    bad step produced are never saved; and a checkpoint whose weights are not
    all finite (a finite loss can still take a step to inf) is refused before
    it is written. The last checkpoint stays the last good one and
    ``--resume`` continues from it.
    """
    priority = 'VERY_HIGH'

    def after_train_iter(self,
                         runner: Runner,
                         batch_idx: int,
                         data_batch: Optional[Sequence[dict]] = None,
                         outputs: Optional[Dict[str, float]] = None) -> None:
        bad = {
            key: value
            for key, value in (outputs or {}).items()
            if 'loss' in key and not math.isfinite(float(value))
        }
        if bad:
            terms = ', '.join(f'{k}={v}' for k, v in bad.items())
            raise FloatingPointError(
                f'non-finite loss at iteration {runner.iter + 1}: {terms}. '
                'Training stopped before saving; the last checkpoint in '
                f'{runner.work_dir} is the last good one (resume with '
                '--resume, perhaps with a lower learning rate).')

    def before_save_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        for name, value in checkpoint.get('state_dict', {}).items():
            if value.is_floating_point() and not value.isfinite().all():
                raise FloatingPointError(
                    f'non-finite weights ({name}) at iteration {runner.iter};'
                    ' the checkpoint was not written, the last one in '
                    f'{runner.work_dir} is the last good one.')


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save PyTorch's global RNG states in checkpoints, restore on resume.

    mmengine reseeds at start-up and replays the data loader up to the
    resumed iteration, which reproduces the data order and the transforms'
    random draws (numpy/random), but not what the model itself draws from
    torch's global generator (dropout): without this hook a resumed run
    drifts from an uninterrupted one. Only on ``--resume``; ``load_from``
    (fine-tuning) keeps the fresh seed.
    """
    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        state = dict(torch=torch.get_rng_state())
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state['cuda'] = torch.cuda.get_rng_state_all()
        checkpoint['rng_state'] = state

    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        state = checkpoint.get('rng_state')
        if not getattr(runner, '_resume', False) or state is None:
            return
        torch.set_rng_state(state['torch'])
        if 'cuda' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state['cuda'])


@HOOKS.register_module()
class DataCheckHook(Hook):
    """Before training, check every training pair: both files exist, are
    images, and have the same size; the error names the file.

    Reads only the image headers (Pillow), about a second for Cityscapes.
    """
    priority = 'VERY_HIGH'

    def before_train(self, runner: Runner) -> None:
        check_image_label_pairs(runner.train_dataloader.dataset)


def check_image_label_pairs(dataset) -> None:
    """Raise ``ValueError`` at the first unusable (image, label) pair."""
    from PIL import Image, UnidentifiedImageError

    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        sizes = {}
        for key in ('img_path', 'seg_map_path'):
            path = info.get(key)
            if path is None:
                continue
            try:
                with Image.open(path) as image:
                    sizes[key] = image.size
            except FileNotFoundError:
                raise ValueError(f'{key} {path!r} does not exist') from None
            except (UnidentifiedImageError, OSError) as error:
                raise ValueError(
                    f'{key} {path!r} is not a readable image: {error}'
                ) from None
        if len(set(sizes.values())) > 1:
            (w, h), (lw, lh) = sizes['img_path'], sizes['seg_map_path']
            raise ValueError(
                f'label {info["seg_map_path"]!r} is {lw}x{lh} but its image '
                f'{info["img_path"]!r} is {w}x{h}; labels must have the '
                'size of their image')
