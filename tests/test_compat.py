"""The private names of torch and mmengine that mmseg_encnet.compat holds:
each still exists and does what this package relies on."""
import inspect
import os

import torch
from mmengine.hooks import CheckpointHook
from mmengine.runner import Runner

from mmseg_encnet import compat


def test_torch_safe_globals_hold_torchs_tensor_rebuilders():
    allowed = compat.torch_safe_globals()
    assert allowed['torch._utils._rebuild_tensor_v2'] is \
        torch._utils._rebuild_tensor_v2
    assert allowed['collections.OrderedDict'].__name__ == 'OrderedDict'


def test_mmengine_home_follows_its_environment(tmp_path, monkeypatch):
    monkeypatch.setenv('MMENGINE_HOME', str(tmp_path / 'home'))
    assert compat.mmengine_home() == str(tmp_path / 'home')
    assert os.path.isdir(tmp_path / 'home')


def test_mmcls_checkpoints_keep_the_backbone_without_its_prefix():
    weight = torch.ones(1)
    processed = compat.process_mmcls_checkpoint(
        dict(state_dict={
            'backbone.conv.weight': weight,
            'head.fc.weight': weight
        }))
    assert processed == dict(state_dict={'conv.weight': weight})


def test_checkpoint_hook_saves_through_its_private_method():
    parameters = list(
        inspect.signature(CheckpointHook._save_checkpoint).parameters)
    assert parameters == ['self', 'runner']


def test_runner_train_compiles_through_the_method_we_override():
    assert f'self.{compat.COMPILE_METHOD}(' in inspect.getsource(Runner.train)
    assert list(
        inspect.signature(getattr(
            Runner, compat.COMPILE_METHOD)).parameters) == ['self', 'target']
