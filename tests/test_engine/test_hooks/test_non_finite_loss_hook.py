"""NonFiniteLossHook: the first non-finite loss term stops training, and
non-finite weights are never saved."""
from types import SimpleNamespace

import pytest
import torch

from mmseg_encnet.engine import NonFiniteLossHook


@pytest.mark.parametrize('value', [float('nan'), float('inf')])
def test_non_finite_loss_stops_training(value):
    hook = NonFiniteLossHook()
    runner = SimpleNamespace(iter=41, work_dir='work_dirs/x')
    outputs = {
        'loss': torch.tensor(value),
        'decode.loss_se': torch.tensor(value),
        'decode.loss_ce': torch.tensor(0.5),
        'decode.acc_seg': torch.tensor(float('nan')),  # not a loss term
    }
    with pytest.raises(
            FloatingPointError,
            match=r'iteration 42: loss=.*decode\.loss_se=') as e:
        hook.after_train_iter(runner, 0, None, outputs)
    assert 'loss_ce' not in str(e.value) and 'acc_seg' not in str(e.value)
    hook.after_train_iter(runner, 0, None, {'loss': torch.tensor(1.0)})


def test_non_finite_weights_are_not_saved():
    hook = NonFiniteLossHook()
    runner = SimpleNamespace(iter=7, work_dir='w')
    good = dict(state_dict=dict(a=torch.ones(2), n=torch.tensor(3)))
    hook.before_save_checkpoint(runner, good)
    bad = dict(
        state_dict=dict(a=torch.ones(2), b=torch.tensor([1., float('inf')])))
    with pytest.raises(FloatingPointError, match=r'\(b\) at iteration 7'):
        hook.before_save_checkpoint(runner, bad)
