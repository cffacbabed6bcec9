"""Training loss and val mIoU, drawn to the work dir as training goes."""
import os.path as osp
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmengine.runner import Runner

from ...registry import HOOKS

# Where the hook keeps the (iteration, metric) points of the validations in
# the runner's message hub (and so in checkpoints, for --resume).
CURVE_KEY = 'mmseg_encnet.mIoU_curve'


def plot_training_curves(losses: np.ndarray,
                         val_points: List[Tuple[int, float]],
                         path: str,
                         title: str = '') -> None:
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
            ax_miou.annotate(
                f'{yi:.1f}', (xi, yi),
                textcoords='offset points',
                xytext=(0, 6),
                ha='center',
                color='tab:red')
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
        points = list(hub.get_info(CURVE_KEY, []))
        points = [p for p in points if p[0] != runner.iter]
        points.append((runner.iter, float(metrics[self.metric])))
        hub.update_info(CURVE_KEY, points)
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
            runner.message_hub.get_info(CURVE_KEY, []),
            osp.join(runner.work_dir, self.filename), title)
