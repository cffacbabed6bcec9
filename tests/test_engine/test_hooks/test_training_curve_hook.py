"""TrainingCurveHook: val points kept in the message hub, the plot drawn."""
from types import SimpleNamespace

import numpy as np
from mmengine.logging import MessageHub
from PIL import Image

from mmseg_encnet.engine import TrainingCurveHook
from mmseg_encnet.engine.hooks.training_curve_hook import CURVE_KEY

RED = (214, 39, 40)  # matplotlib's tab:red, the mIoU curve


def red_pixels(path) -> int:
    pixels = np.asarray(Image.open(path).convert('RGB')).reshape(-1, 3)
    return int((np.abs(pixels.astype(int) - RED).sum(1) < 30).sum())


def test_val_points_are_kept_and_drawn(tmp_path):
    hub = MessageHub.get_instance('test_training_curve_hook')
    for loss in np.linspace(2, 0.1, 100):
        hub.update_scalar('train/loss', float(loss))
    runner = SimpleNamespace(
        message_hub=hub, work_dir=str(tmp_path), iter=50, rank=0)
    hook = TrainingCurveHook(filename='curves.png')
    hook.after_train(runner)  # no val point yet: the loss alone
    path = tmp_path / 'curves.png'
    assert Image.open(path).size == (700, 400)  # figsize 7x4 at 100 dpi
    assert red_pixels(path) == 0
    hook.after_val_epoch(runner, dict(mIoU=40.0))
    hook.after_val_epoch(runner, dict(aAcc=90.0))  # not the metric: ignored
    runner.iter = 100
    hook.after_val_epoch(runner, dict(mIoU=60.0))
    hook.after_val_epoch(runner, dict(mIoU=70.5))  # same iteration: replaced
    assert hub.get_info(CURVE_KEY) == [(50, 40.0), (100, 70.5)]
    assert red_pixels(path) > 100
