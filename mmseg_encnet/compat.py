"""The private names of other packages this package uses, in one place.

Each has no public equivalent (the gap is named beside it);
``tests/test_compat.py`` fails loudly when a new torch or mmengine changes
one of them.
"""
from mmengine.hooks import CheckpointHook
from mmengine.runner import Runner
# mmcls:// checkpoints are re-keyed (backbone only) by this function alone.
# No public way to get mmengine's cache folder of open-mmlab:// models.
from mmengine.runner.checkpoint import _get_mmengine_home as mmengine_home
from mmengine.runner.checkpoint import \
    _process_mmcls_checkpoint as process_mmcls_checkpoint
# torch's weights_only allowlist: torch.serialization.get_safe_globals()
# returns only what users added, not torch's own tensor rebuilders.
from torch._weights_only_unpickler import \
    _get_allowed_globals as torch_safe_globals

# mmengine's Runner.train compiles through this method (no public hook):
# our Runner overrides it to compile the network's forward only.
COMPILE_METHOD = '_maybe_compile'

# mmengine's Runner.save_checkpoint is master_only; the rank whose iteration
# failed writes its crash checkpoint through the undecorated method.
save_checkpoint_on_this_rank = Runner.save_checkpoint.__wrapped__


def save_checkpoint_now(hook: CheckpointHook, runner: Runner) -> None:
    """Have the CheckpointHook save this iteration's checkpoint with its own
    bookkeeping (file name, ``last_checkpoint``, ``max_keep_ckpts``): it has
    no public "save now"."""
    hook._save_checkpoint(runner)


__all__ = [
    'COMPILE_METHOD', 'mmengine_home', 'process_mmcls_checkpoint',
    'save_checkpoint_now', 'save_checkpoint_on_this_rank', 'torch_safe_globals'
]
