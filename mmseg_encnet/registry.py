"""Registry of mmseg_encnet: a child of MMSegmentation's ``MODELS``.

Modules registered here are built from mmseg's registry by their scoped
name, e.g. ``dict(type='mmseg_encnet.EncHead')``, while mmseg's own modules
of the same name (mmseg's ``EncHead``) stay untouched.
"""
from mmengine.registry import Registry
from mmseg.registry import MODELS as MMSEG_MODELS

MODELS = Registry(
    'model',
    parent=MMSEG_MODELS,
    scope='mmseg_encnet',
    locations=['mmseg_encnet.models'])
