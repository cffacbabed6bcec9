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

MODELS = Registry(
    'model',
    parent=MMSEG_MODELS,
    scope='mmseg_encnet',
    locations=['mmseg_encnet.models'])
DATASETS = Registry(
    'dataset',
    parent=MMSEG_DATASETS,
    scope='mmseg_encnet',
    locations=['mmseg_encnet.datasets'])
HOOKS = Registry(
    'hook',
    parent=MMSEG_HOOKS,
    scope='mmseg_encnet',
    locations=['mmseg_encnet.engine'])
RUNNERS = Registry(
    'runner',
    parent=MMSEG_RUNNERS,
    scope='mmseg_encnet',
    locations=['mmseg_encnet.engine'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper',
    parent=MMSEG_OPTIM_WRAPPERS,
    scope='mmseg_encnet',
    locations=['mmseg_encnet.engine'])
