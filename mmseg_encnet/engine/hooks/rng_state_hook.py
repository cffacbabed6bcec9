"""PyTorch's RNG states in checkpoints, for an exact --resume."""
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from ...registry import HOOKS


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save PyTorch's global RNG states in checkpoints, restore on resume.

    mmengine reseeds at start-up and replays the data loader up to the
    resumed iteration, which reproduces the data order and the transforms'
    random draws (numpy/random), but not what the model itself draws from
    torch's global generator (dropout): without this hook a resumed run
    drifts from an uninterrupted one. Only on ``--resume``; ``load_from``
    (fine-tuning) keeps the fresh seed.
    """
    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        state = dict(torch=torch.get_rng_state())
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state['cuda'] = torch.cuda.get_rng_state_all()
        checkpoint['rng_state'] = state

    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        state = checkpoint.get('rng_state')
        if not getattr(runner, '_resume', False) or state is None:
            return
        torch.set_rng_state(state['torch'])
        if 'cuda' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state['cuda'])
