"""Stop at the first non-finite loss; never save non-finite weights."""
import math
from typing import Dict, Optional, Sequence

from mmengine.hooks import Hook
from mmengine.runner import Runner

from ...registry import HOOKS


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop training at the first NaN or infinite loss, naming the term.

    Runs before the checkpoint hook of the same iteration, so the weights the
    bad step produced are never saved; and a checkpoint whose weights are not
    all finite (a finite loss can still take a step to inf) is refused before
    it is written. The last checkpoint stays the last good one and
    ``--resume`` continues from it.
    """
    priority = 'VERY_HIGH'

    def after_train_iter(self,
                         runner: Runner,
                         batch_idx: int,
                         data_batch: Optional[Sequence[dict]] = None,
                         outputs: Optional[Dict[str, float]] = None) -> None:
        bad = {
            key: value
            for key, value in (outputs or {}).items()
            if 'loss' in key and not math.isfinite(float(value))
        }
        if bad:
            terms = ', '.join(f'{k}={v}' for k, v in bad.items())
            raise FloatingPointError(
                f'non-finite loss at iteration {runner.iter + 1}: {terms}. '
                'Training stopped before saving; the last checkpoint in '
                f'{runner.work_dir} is the last good one (resume with '
                '--resume, perhaps with a lower learning rate).')

    def before_save_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        for name, value in checkpoint.get('state_dict', {}).items():
            if value.is_floating_point() and not value.isfinite().all():
                raise FloatingPointError(
                    f'non-finite weights ({name}) at iteration {runner.iter};'
                    ' the checkpoint was not written, the last one in '
                    f'{runner.work_dir} is the last good one.')
