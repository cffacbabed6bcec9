"""Registries of mmseg_encnet: children of MMSegmentation's.

Modules registered here are built from mmseg's registries by their scoped
name, e.g. ``dict(type='mmseg_encnet.EncHead')``, while mmseg's own modules
of the same name (mmseg's ``EncHead``) stay untouched.
"""
from mmengine.registry import Registry
from mmseg.registry import DATASETS as MMSEG_DATASETS
from mmseg.registry import HOOKS as MMSEG_HOOKS
from mmseg.registry import MODELS as MMSEG_MODELS
from mmseg.registry import OPTIM_WRAPPERS as MMSEG_OPTIM_WRAPPERS
from mmseg.registry import RUNNERS as MMSEG_RUNNERS


def _child(parent: Registry, location: str) -> Registry:
    """A registry of this package under mmseg's ``parent``, its modules
    imported from ``mmseg_encnet.<location>`` on first lookup."""
    return Registry(
        parent.name,
        parent=parent,
        scope='mmseg_encnet',
        locations=[f'mmseg_encnet.{location}'])


MODELS = _child(MMSEG_MODELS, 'models')
DATASETS = _child(MMSEG_DATASETS, 'datasets')
HOOKS = _child(MMSEG_HOOKS, 'engine')
RUNNERS = _child(MMSEG_RUNNERS, 'engine')
OPTIM_WRAPPERS = _child(MMSEG_OPTIM_WRAPPERS, 'engine')
