"""Checkpoint and stop cleanly when the job is told to stop (Slurm's
scancel, time limit, preemption), and requeue it on request."""
import os
import signal
import subprocess
import threading
from types import FrameType
from typing import Dict, List, Optional, Sequence, Set

import torch
from mmengine.dist import all_reduce, barrier, get_world_size
from mmengine.hooks import CheckpointHook, Hook
from mmengine.runner import Runner

from ...compat import save_checkpoint_now
from ...registry import HOOKS


@HOOKS.register_module()
class PreemptionHook(Hook):
    """Stop at the next iteration boundary on a signal, losing nothing.

    The handler only sets a flag; after the iteration in progress the ranks
    agree to stop (one ``all_reduce`` per iteration), the checkpoint hook
    writes ``iter_N.pth``, the log says how to continue and the process
    exits with ``128 + signal``; on a ``requeue_signals`` signal inside a
    Slurm job rank 0 requeues it. Processes forked from the main one (the
    loaders' workers) ignore the job-wide signal until their loader stops
    them. docs/clusters.md has the details.

    Args:
        signals: names of the signals that stop the run.
        requeue_signals: those of ``signals`` after which a Slurm job
            requeues itself.
    """
    priority = 'LOWEST'  # after the checkpoint hook of the same iteration

    def __init__(
        self,
        signals: Sequence[str] = ('SIGTERM', 'SIGUSR1'),
        requeue_signals: Sequence[str] = ('SIGUSR1', )
    ) -> None:
        self.signals = [signal.Signals[name] for name in signals]
        unknown = set(requeue_signals) - set(signals)
        if unknown:
            raise ValueError(f'requeue_signals {sorted(unknown)} are not '
                             f'among the signals {list(signals)}')
        self.requeue_signals = [signal.Signals[n] for n in requeue_signals]
        self._received = 0  # the last signal number received, 0 for none
        self._stopped_by = 0  # the signal the ranks agreed to stop on
        self._previous: Dict[signal.Signals, object] = {}
        # From now on: the train loop forks its loader workers before any
        # hook's before_train is called.
        _block_in_forked_children(set(self.signals))

    def _record(self, signum: int, frame: Optional[FrameType]) -> None:
        self._received = signum

    def before_train(self, runner: Runner) -> None:
        for sig in self.signals:
            self._previous[sig] = signal.signal(sig, self._record)

    def after_train_failure(self, runner: Runner,
                            error: BaseException) -> None:
        self.release()

    def release(self) -> None:
        """At the end of a run, also a failed one (our Runner's
        ``after_train_failure``): fork plain children again and give the
        process its signal handlers back, except after a stop by a signal,
        whose handlers stay until the process exits so that the signals
        Slurm still sends (a requeue ends the job with SIGTERM) do not cut
        the exit short."""
        _block_in_forked_children(set())
        if self._stopped_by:
            return
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def after_train_iter(self,
                         runner: Runner,
                         batch_idx: int,
                         data_batch: Optional[Sequence[dict]] = None,
                         outputs: Optional[Dict[str, float]] = None) -> None:
        received = torch.tensor(self._received)
        if get_world_size() > 1:  # any rank's signal stops every rank
            all_reduce(received, op='max')
        if not received or self.is_last_train_iter(runner):
            return
        self._stopped_by = int(received)
        checkpoint_hook = _checkpoint_hook(runner)
        step = runner.iter + 1
        name = checkpoint_hook.filename_tmpl.format(step)
        if not (checkpoint_hook.last_ckpt or '').endswith(name):
            save_checkpoint_now(checkpoint_hook, runner)
        barrier()  # rank 0's checkpoint is complete before any rank exits
        runner.train_loop.stop_training = True
        runner.logger.warning(
            f'{signal.Signals(self._stopped_by).name} received: stopped '
            f'after iteration {step}, checkpoint {checkpoint_hook.last_ckpt}.'
            ' To continue, run the same command with --resume (and the '
            f'same --work-dir {runner.work_dir}).')

    def after_run(self, runner: Runner) -> None:
        self.release()
        if not self._stopped_by:
            return
        job = os.environ.get('SLURM_JOB_ID')
        if (self._stopped_by in self.requeue_signals and job
                and runner.rank == 0):
            result = subprocess.run(['scontrol', 'requeue', job],
                                    capture_output=True,
                                    text=True)
            if result.returncode == 0:
                runner.logger.warning(
                    f'requeued Slurm job {job}: when it starts again, it '
                    'resumes from this checkpoint')
            else:
                runner.logger.error(
                    f'could not requeue Slurm job {job} (scontrol: '
                    f'{result.stderr.strip()}); resume it with --resume')
        raise SystemExit(128 + self._stopped_by)


# The signals of the active PreemptionHook (none while there is none):
# processes forked meanwhile take them on a thread of their own.
_CHILD_SIGNALS: Set[signal.Signals] = set()


def _block_in_forked_children(signals: Set[signal.Signals]) -> None:
    _CHILD_SIGNALS.clear()
    _CHILD_SIGNALS.update(signals)


_MASK_BEFORE_FORK: List[Set[signal.Signals]] = []


def _block_for_the_fork() -> None:
    """In the parent, just before a fork: block ``_CHILD_SIGNALS``, so that
    the child is born with them blocked (none can reach it before its
    signal thread is up); the parent's mask is restored after the fork."""
    if _CHILD_SIGNALS:
        _MASK_BEFORE_FORK.append(
            signal.pthread_sigmask(signal.SIG_BLOCK, _CHILD_SIGNALS))


def _unblock_after_the_fork() -> None:
    if _MASK_BEFORE_FORK:
        signal.pthread_sigmask(signal.SIG_SETMASK, _MASK_BEFORE_FORK.pop())


def _follow_only_the_parent() -> None:
    """In a forked child (born with ``_CHILD_SIGNALS`` blocked): a SIGTERM
    from the parent ends the process (as PyTorch's loader workers do); the
    others of ``_CHILD_SIGNALS`` (Slurm's to the whole job) are taken and
    ignored."""
    if not _MASK_BEFORE_FORK:
        return
    signals = set(_CHILD_SIGNALS)
    _MASK_BEFORE_FORK.clear()  # the child keeps them blocked
    parent = os.getppid()

    def wait() -> None:
        while True:
            info = signal.sigwaitinfo(signals)
            if info.si_signo == signal.SIGTERM and info.si_pid == parent:
                os._exit(0)

    threading.Thread(target=wait, name='signals', daemon=True).start()


os.register_at_fork(
    before=_block_for_the_fork,
    after_in_parent=_unblock_after_the_fork,
    after_in_child=_follow_only_the_parent)


def _checkpoint_hook(runner: Runner) -> CheckpointHook:
    for hook in runner.hooks:
        if isinstance(hook, CheckpointHook):
            return hook
    raise RuntimeError('PreemptionHook saves through the CheckpointHook, '
                       'but default_hooks has none')
