"""A checkpoint of the last completed iteration when an iteration raises."""
import os.path as osp
import shlex
import sys
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.dist import get_world_size
from mmengine.hooks import CheckpointHook, Hook
from mmengine.optim import OptimWrapperDict
from mmengine.runner import IterBasedTrainLoop, Runner, find_latest_checkpoint

from ...registry import HOOKS


@HOOKS.register_module()
class CrashCheckpointHook(Hook):
    """When a training iteration raises, write ``iter_N.pth`` for the last
    completed iteration N and end with how to continue.

    A file that does not decode, a DataLoader worker that dies, running out
    of memory, a bad label: the failed iteration left the weights and the
    optimizer as iteration N left them, but its forward may have moved
    BatchNorm's running statistics and drawn from torch's RNG. Both are
    kept as iteration N ended them (a copy of the buffers, the RNG state)
    and put back before writing, so ``--resume`` continues as a run that
    never failed. Once the optimizer has stepped in the failed iteration (a
    non-finite loss, a checkpoint that could not be written) the state is
    half-way through a step: nothing is written and the message names the
    last complete checkpoint. Every rank holds the whole model, so any rank
    whose iteration raised writes (rank 0 or not).

    Our Runner registers it (``crash_checkpoint = False`` in the config
    turns it off) and calls :meth:`after_train_failure`.
    """
    priority = 'LOWEST'  # after the optimizer, schedulers and checkpoints

    def __init__(self) -> None:
        self._completed: Optional[int] = None  # None: training not started
        self._started = 0
        self._steps = 0  # optimizer steps so far
        self._steps_completed = 0  # ... when an iteration last completed
        self._buffers: List[torch.Tensor] = []
        self._rng: Dict[str, object] = {}
        self._handles: list = []

    def before_train(self, runner: Runner) -> None:
        wrapper = runner.optim_wrapper
        wrappers = wrapper.values() if isinstance(
            wrapper, OptimWrapperDict) else [wrapper]
        self._handles = [
            w.optimizer.register_step_pre_hook(self._count_step)
            for w in wrappers
        ]
        self._buffers = [b.detach().clone() for b in runner.model.buffers()]
        self._started = runner.iter
        self._keep_state(runner, runner.iter)

    def after_train_iter(self,
                         runner: Runner,
                         batch_idx: int,
                         data_batch: Optional[Sequence[dict]] = None,
                         outputs: Optional[dict] = None) -> None:
        self._keep_state(runner, runner.iter + 1)

    def after_train(self, runner: Runner) -> None:
        self._remove_step_hooks()

    def after_train_failure(self, runner: Runner,
                            error: BaseException) -> None:
        """Write the crash checkpoint if the state allows, then log the
        one message (also a note of ``error``) that says what failed,
        which checkpoint holds the run and how to continue."""
        self._remove_step_hooks()
        if self._completed is None or isinstance(error, SystemExit):
            return  # before training, or a stop PreemptionHook handled
        done = self._completed
        latest = find_latest_checkpoint(runner.work_dir)
        checkpoint = _checkpoint_hook(runner)
        name = checkpoint.filename_tmpl.format(done) if checkpoint else None
        if latest and osp.basename(latest) == name:
            state = f'written at iteration {done}'
        elif self._steps != self._steps_completed:
            state = (f'not written: iteration {done + 1} had already '
                     'updated the weights')
        elif done == self._started:
            state = 'no iteration completed since the run (re)started'
        elif checkpoint is None or not isinstance(runner.train_loop,
                                                  IterBasedTrainLoop):
            state = ('not written: crash checkpoints need a CheckpointHook '
                     'and an iteration-based loop')
        else:
            try:  # never in place of the error that stopped the run
                latest = self._save(runner, checkpoint, done)
                state = 'written now'
            except Exception as write_error:
                state = f'not written: {_cause(write_error)}'
        message = (f'training stopped in iteration {done + 1}: '
                   f'{_cause(error)}\nCheckpoint of iteration {done}: {state}.'
                   '\n' + (f'{latest} holds the run; continue it with: '
                           f'{_resume_command()}' if latest else
                           'No checkpoint holds the run: fix the cause and '
                           'start again.'))
        runner.logger.error(message)
        if hasattr(error, 'add_note'):  # Python >= 3.11: after the traceback
            error.add_note(message)

    def _count_step(self, optimizer, args, kwargs) -> None:
        self._steps += 1

    def _keep_state(self, runner: Runner, iteration: int) -> None:
        """Iteration ``iteration`` is complete: keep what its end was."""
        self._completed = iteration
        self._steps_completed = self._steps
        with torch.no_grad():
            for kept, buffer in zip(self._buffers, runner.model.buffers()):
                kept.copy_(buffer)
        self._rng = dict(torch=torch.get_rng_state())
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            self._rng['cuda'] = torch.cuda.get_rng_state_all()

    def _save(self, runner: Runner, hook: CheckpointHook,
              iteration: int) -> str:
        with torch.no_grad():
            for kept, buffer in zip(self._buffers, runner.model.buffers()):
                buffer.copy_(kept)
        torch.set_rng_state(self._rng['torch'])
        if 'cuda' in self._rng:
            torch.cuda.set_rng_state_all(self._rng['cuda'])
        filename = hook.filename_tmpl.format(iteration)
        path = hook.file_backend.join_path(hook.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', path)  # as the hook does
        runner.save_checkpoint(
            hook.out_dir,
            filename,
            hook.file_client_args,
            save_optimizer=hook.save_optimizer,
            save_param_scheduler=hook.save_param_scheduler,
            meta=dict(epoch=runner.epoch, iter=iteration),
            by_epoch=False,
            backend_args=hook.backend_args,
            any_rank=True,
            **hook.args)
        hook.last_ckpt = path
        with open(osp.join(runner.work_dir, 'last_checkpoint'), 'w') as f:
            f.write(path)
        return path

    def _remove_step_hooks(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []


def _checkpoint_hook(runner: Runner) -> Optional[CheckpointHook]:
    return next((h for h in runner.hooks if isinstance(h, CheckpointHook)),
                None)


def _cause(error: BaseException) -> str:
    """The error's last line: a DataLoader worker's error comes with its
    traceback in the message, the file it could not load at the end."""
    lines = [line for line in str(error).splitlines() if line.strip()]
    name = type(error).__name__
    if not lines:
        return name
    return lines[-1] if lines[-1].startswith(name) else f'{name}: {lines[-1]}'


def _resume_command() -> str:
    if get_world_size() > 1:
        return 'the same launch command with --resume'
    return shlex.join(['python'] + [a for a in sys.argv if a != '--resume'] +
                      ['--resume'])
