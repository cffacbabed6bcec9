"""RNGStateHook: torch's generator state goes into checkpoints and comes back
on --resume only."""
from types import SimpleNamespace

import torch

from mmseg_encnet.engine import RNGStateHook


def test_resume_restores_the_generator_fine_tuning_does_not():
    hook = RNGStateHook()
    torch.manual_seed(3)
    checkpoint = {}
    hook.before_save_checkpoint(SimpleNamespace(), checkpoint)
    expected = torch.rand(4)  # what the run drew after saving
    torch.rand(10)  # another run's draws
    hook.after_load_checkpoint(SimpleNamespace(_resume=False), checkpoint)
    assert not torch.equal(torch.rand(4), expected)
    hook.after_load_checkpoint(SimpleNamespace(_resume=True), checkpoint)
    assert torch.equal(torch.rand(4), expected)
    # a checkpoint written without the hook loads as it is
    hook.after_load_checkpoint(SimpleNamespace(_resume=True), {})
