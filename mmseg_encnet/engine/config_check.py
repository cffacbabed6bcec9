"""Config mistakes found before training starts, each naming its field.

- ``in_channels``/``in_index`` of every head against what the backbone
  really outputs (a forward on the ``meta`` device: shapes, no compute);
- ``num_classes`` of the decode head, the auxiliary heads and the dataset;
- the data folders the run will read.
"""
import copy
import os.path as osp
from typing import List, Optional, Sequence

import torch
from mmengine.config import Config, ConfigDict
from mmengine.model import revert_sync_batchnorm
from mmseg.registry import DATASETS, MODELS


class ConfigError(ValueError):
    """A config field that cannot work, with what was expected."""


def _heads(model_cfg: ConfigDict) -> List[tuple]:
    heads = [('model.decode_head', model_cfg.get('decode_head'))]
    aux = model_cfg.get('auxiliary_head')
    if isinstance(aux, (list, tuple)):
        heads += [(f'model.auxiliary_head[{i}]', h) for i, h in enumerate(aux)]
    elif aux is not None:
        heads.append(('model.auxiliary_head', aux))
    return [(name, head) for name, head in heads if head is not None]


def backbone_channels(model_cfg: ConfigDict) -> Optional[List[int]]:
    """Channels of each backbone output, from a forward on the meta device
    (None when the backbone cannot run there)."""
    cfg = copy.deepcopy(model_cfg.backbone)
    cfg.pop('init_cfg', None)
    cfg.pop('pretrained', None)
    try:
        with torch.device('meta'):  # SyncBN runs on CUDA with a group only
            backbone = revert_sync_batchnorm(MODELS.build(cfg))
            outputs = backbone(torch.empty(1, 3, 64, 64))
    except Exception:  # an exotic backbone: leave the check to the run
        return None
    return [out.shape[1] for out in outputs]


def check_heads(model_cfg: ConfigDict) -> None:
    """``in_channels``/``in_index`` of each head match the backbone."""
    channels = backbone_channels(model_cfg)
    if channels is None or model_cfg.get('neck') is not None:
        return
    for name, head in _heads(model_cfg):
        in_index = head.get('in_index', -1)
        in_channels = head.get('in_channels')
        indices = list(in_index) if isinstance(in_index,
                                               (list, tuple)) else [in_index]
        wanted = list(in_channels) if isinstance(in_channels,
                                                 (list,
                                                  tuple)) else [in_channels]
        bad = [i for i in indices if not -len(channels) <= i < len(channels)]
        if bad:
            raise ConfigError(
                f'{name}.in_index={in_index}: the backbone has '
                f'{len(channels)} outputs (indices 0..{len(channels) - 1})')
        if head.get('input_transform') == 'resize_concat':
            wanted = [sum(wanted)]
            actual = [sum(channels[i] for i in indices)]
        else:
            actual = [channels[i] for i in indices]
        if len(wanted) != len(actual) or wanted != actual:
            raise ConfigError(
                f'{name}.in_channels={in_channels} does not match the '
                f'backbone outputs selected by in_index={in_index}, which '
                f'have {actual if len(actual) > 1 else actual[0]} channels '
                f'(backbone outputs: {channels})')


def _dataset_cfg(cfg: Config, dataloader: str) -> Optional[dict]:
    """The dataset config of a dataloader, inside any dataset wrappers."""
    dataset = (cfg.get(dataloader) or {}).get('dataset')
    while dataset is not None and 'dataset' in dataset:
        dataset = dataset['dataset']
    return dataset


def dataset_classes(cfg: Config) -> Optional[int]:
    """Number of classes of the training dataset, if the config tells."""
    dataset = _dataset_cfg(cfg, 'train_dataloader')
    if dataset is None:
        return None
    metainfo = dataset.get('metainfo') or {}
    if 'classes' in metainfo:
        return len(metainfo['classes'])
    dataset_cls = DATASETS.get(dataset['type']) if isinstance(
        dataset.get('type'), str) else dataset.get('type')
    classes = getattr(dataset_cls, 'METAINFO', {}).get('classes')
    return len(classes) if classes else None


def check_num_classes(cfg: Config) -> None:
    """All heads and the dataset agree on the number of classes."""
    heads = _heads(cfg.model)
    counts = {name: head.get('num_classes') for name, head in heads}
    expected = dataset_classes(cfg)
    source = 'the training dataset'
    if expected is None:
        name, head = heads[0]
        expected, source = head.get('num_classes'), f'{name}.num_classes'
    for name, count in counts.items():
        if count is not None and count != expected:
            raise ConfigError(
                f'{name}.num_classes={count}, but {source} has {expected} '
                'classes')


def check_config(cfg: Config) -> None:
    """Run every check; raise :class:`ConfigError` at the first mistake."""
    if cfg.get('model', {}).get('backbone') is None:
        return
    check_heads(cfg.model)
    check_num_classes(cfg)


def check_data(cfg: Config, dataloaders: Sequence[str]) -> None:
    """The image and label folders of ``dataloaders`` exist.

    Raises:
        FileNotFoundError: Naming the missing folder and the layout the
            dataset expects under its ``data_root``.
    """
    for key in dataloaders:
        dataset = _dataset_cfg(cfg, key)
        if not dataset or _writes_missing_data(dataset):
            continue
        root = dataset.get('data_root') or ''
        prefix = dataset.get('data_prefix') or {}
        for field in ('img_path', 'seg_map_path'):
            folder = osp.join(root, prefix.get(field, ''))
            if prefix.get(field) is not None and not osp.isdir(folder):
                raise FileNotFoundError(
                    f'{key}.dataset: folder {folder!r} does not exist. '
                    f'{dataset.get("type")} expects images under '
                    f'data_root/{prefix.get("img_path")} and labels under '
                    f'data_root/{prefix.get("seg_map_path")} '
                    f'(data_root={root!r}); set data_root (e.g. --cfg-options '
                    f'{key}.dataset.data_root=...) or prepare the data as '
                    "mmseg's docs/en/user_guides/2_dataset_prepare.md says.")


def _writes_missing_data(dataset: dict) -> bool:
    """Whether the dataset writes its data on first use (the demo's,
    ``WRITES_MISSING_DATA``), so a missing folder is no mistake."""
    try:
        cls = DATASETS.get(dataset.get('type'))
    except (KeyError, TypeError):
        return False
    return bool(
        getattr(cls, 'WRITES_MISSING_DATA', False)
        and dataset.get('generate_if_missing', True))
