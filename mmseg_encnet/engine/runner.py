"""mmengine's Runner, with checkpoints written atomically."""
import os
import os.path as osp

from mmengine.dist import master_only
from mmengine.runner import Runner as MMEngineRunner

from ..registry import RUNNERS


@RUNNERS.register_module()
class Runner(MMEngineRunner):
    """mmengine's ``Runner`` whose checkpoints appear whole or not at all.

    mmengine writes ``iter_N.pth`` in place, so a kill while saving leaves a
    truncated file that ``--resume`` then fails on. Here a local checkpoint
    is written to ``.iter_N.pth.partial`` and renamed into place; the
    checkpoint hook writes ``last_checkpoint`` only after that, so after a
    kill it still names the previous, complete checkpoint. The tools use this
    runner unless the config names another ``runner_type``.
    """

    @master_only  # as mmengine's: only rank 0 writes
    def save_checkpoint(self, out_dir: str, filename: str, *args,
                        **kwargs) -> None:
        if not osp.isdir(out_dir):  # a remote backend: its own semantics
            return super().save_checkpoint(out_dir, filename, *args,
                                           **kwargs)
        partial = f'.{filename}.partial'
        super().save_checkpoint(out_dir, partial, *args, **kwargs)
        os.replace(osp.join(out_dir, partial), osp.join(out_dir, filename))
