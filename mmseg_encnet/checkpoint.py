"""Checkpoints are data, not code.

On torch >= 2.6 ``torch.load`` defaults to ``weights_only=True``, which
refuses every type outside a small allowlist, and mmengine 0.10 (which calls
it without the argument) cannot read back its own checkpoints: their
``message_hub`` holds ``HistoryBuffer`` objects (whose table of statistics
methods pickles as ``getattr(HistoryBuffer, 'mean')``) and numpy arrays. We add exactly those
types to torch's allowlist, with ``getattr`` narrowed to those statistics
methods, and keep ``weights_only=True``: a checkpoint that asks for anything
else (a pickled ``os.system`` call, say) is still refused before any of it
runs.
"""
import inspect
import os.path as osp
import pickle
import zipfile

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import find_latest_checkpoint

try:  # numpy >= 2
    from numpy._core import multiarray as _multiarray
except ImportError:
    from numpy.core import multiarray as _multiarray


def history_buffer_method(owner: object, name: str):
    """``getattr`` as checkpoints may use it: a HistoryBuffer statistic."""
    method = vars(HistoryBuffer).get(name) if isinstance(name, str) else None
    if (owner is not HistoryBuffer or name.startswith('_')
            or not inspect.isfunction(method)):
        raise pickle.UnpicklingError(
            f'checkpoint asks for getattr({owner!r}, {name!r}); only '
            'statistics methods of mmengine HistoryBuffer are allowed')
    return method


def mmengine_checkpoint_globals() -> list:
    """The types beyond torch's defaults that mmengine checkpoints contain."""
    numpy_types = [
        np.ndarray, np.dtype, _multiarray._reconstruct,
        _multiarray.scalar
    ]
    # The dtype classes (np.dtypes.Float64DType ...) numpy pickles dtypes by.
    numpy_types += [type(np.dtype(t)) for t in np.sctypeDict.values()]
    return [
        HistoryBuffer, (history_buffer_method, 'builtins.getattr'),
        *dict.fromkeys(numpy_types)
    ]


def allow_mmengine_checkpoints() -> None:
    """Allowlist the types of :func:`mmengine_checkpoint_globals`."""
    torch.serialization.add_safe_globals(mmengine_checkpoint_globals())


def check_resumable(work_dir: str) -> None:
    """Fail clearly when the checkpoint ``--resume`` would load is truncated.

    Checkpoints that this package's runner writes are complete or absent;
    this catches one written in place by another tool and cut short.

    Raises:
        ValueError: The latest checkpoint is not a complete zip archive.
    """
    latest = find_latest_checkpoint(work_dir)
    if latest is not None and osp.isfile(latest) and not zipfile.is_zipfile(
            latest):
        raise ValueError(
            f'{latest} is truncated or not a PyTorch checkpoint (was the run '
            'killed while saving it?). Delete it and point '
            f'{osp.join(work_dir, "last_checkpoint")} at the previous '
            'checkpoint to resume from there.')
