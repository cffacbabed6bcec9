"""PreemptionHook in one process: stop on a signal with a checkpoint, the
requeue of a Slurm job, and loader workers that outlive a job-wide SIGTERM.
(On the live cluster, with two ranks: tests/test_slurm.py.)"""
import multiprocessing
import os
import os.path as osp
import signal
import subprocess
import time

import pytest
from mmengine.hooks import Hook

from mmseg_encnet import checkpoint as safe_checkpoint
from mmseg_encnet.engine import PreemptionHook


class SendSignal(Hook):
    """Sends ``signum`` to this process at the end of iteration ``at``."""
    priority = 'VERY_HIGH'

    def __init__(self, signum: int, at: int) -> None:
        self.signum, self.at = signum, at

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        if runner.iter + 1 == self.at:
            os.kill(os.getpid(), self.signum)


def train_until_signal(tmp_path, data_root, signum):
    from helpers import demo_runner
    work_dir = str(tmp_path / 'work')
    runner = demo_runner(work_dir, data_root, 8,
                         'default_hooks.checkpoint.interval=2')
    runner.register_hook(SendSignal(signum, at=3))
    # A stopped run keeps its handlers until the process exits; this one
    # goes on with pytest.
    previous = {
        s: signal.getsignal(s)
        for s in (signal.SIGTERM, signal.SIGUSR1)
    }
    with pytest.raises(SystemExit) as stop:
        runner.train()
    # Stopped by a signal: the handlers stay until the process exits, so that
    # Slurm's later signals (a requeue ends the job with SIGTERM) do not cut
    # the exit short.
    assert all(
        signal.getsignal(s) != handler for s, handler in previous.items())
    for s, handler in previous.items():
        signal.signal(s, handler)
    return runner, stop.value.code, work_dir


@pytest.mark.slow
def test_sigterm_stops_after_the_iteration_with_a_checkpoint(
        tmp_path, demo_data_root, caplog):
    runner, code, work_dir = train_until_signal(tmp_path, demo_data_root,
                                                signal.SIGTERM)
    assert code == 128 + signal.SIGTERM
    assert runner.iter == 3  # the loop ended after iteration 3
    checkpoint = osp.join(work_dir, 'iter_3.pth')
    assert safe_checkpoint.load(checkpoint)['meta']['iter'] == 3
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert f.read().strip() == checkpoint
    assert not osp.isfile(osp.join(work_dir, 'iter_4.pth'))


@pytest.mark.slow
def test_usr1_requeues_the_slurm_job(tmp_path, demo_data_root, monkeypatch):
    """Inside a Slurm job (SLURM_JOB_ID), rank 0 runs `scontrol requeue`
    after the checkpoint; a stand-in scontrol records the call."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    calls = tmp_path / 'calls.txt'
    (bin_dir / 'scontrol').write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    (bin_dir / 'scontrol').chmod(0o755)
    monkeypatch.setenv('PATH', f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv('SLURM_JOB_ID', '4242')
    _, code, work_dir = train_until_signal(tmp_path, demo_data_root,
                                           signal.SIGUSR1)
    assert code == 128 + signal.SIGUSR1
    assert osp.isfile(osp.join(work_dir, 'iter_3.pth'))
    assert calls.read_text() == 'requeue 4242\n'


def test_requeue_signals_must_be_among_the_signals():
    with pytest.raises(ValueError, match=r"\['SIGUSR2'\] are not among"):
        PreemptionHook(signals=('SIGTERM', ), requeue_signals=('SIGUSR2', ))


def _sleep() -> None:
    time.sleep(60)


@pytest.mark.slow
def test_forked_children_ignore_a_job_wide_sigterm_but_not_their_parent():
    """What Slurm does to a job's loader workers (a SIGTERM from another
    process) leaves them running; their parent's terminate() ends them."""
    hook = PreemptionHook()  # built with the runner, before the loader
    context = multiprocessing.get_context('fork')
    child = context.Process(target=_sleep, daemon=True)
    child.start()  # born with the signals blocked: no wait needed
    subprocess.run(['kill', '-TERM', str(child.pid)], check=True)
    subprocess.run(['kill', '-USR1', str(child.pid)], check=True)
    child.join(1.0)
    assert child.is_alive()
    child.terminate()
    child.join(5.0)
    assert child.exitcode == 0
    hook.after_run(None)  # the run is over: children are plain again

    plain = context.Process(target=_sleep, daemon=True)
    plain.start()
    subprocess.run(['kill', '-TERM', str(plain.pid)], check=True)
    plain.join(5.0)
    assert plain.exitcode == -signal.SIGTERM


@pytest.mark.slow
def test_a_failed_run_gives_the_signals_back(tmp_path, demo_data_root):
    """mmengine calls no hook when training raises: our Runner releases the
    hook's handlers, so the process (a notebook, pytest) is as before."""
    from helpers import demo_runner

    class Fail(Hook):

        def after_train_iter(self, *args, **kwargs):
            raise RuntimeError('failed at iteration 1')

    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGUSR1)}
    runner = demo_runner(str(tmp_path / 'work'), demo_data_root, 4)
    runner.register_hook(Fail())
    with pytest.raises(RuntimeError, match='failed at iteration 1'):
        runner.train()
    assert {s: signal.getsignal(s) for s in before} == before
    child = multiprocessing.get_context('fork').Process(
        target=_sleep, daemon=True)
    child.start()
    subprocess.run(['kill', '-TERM', str(child.pid)], check=True)
    child.join(5.0)
    assert child.exitcode == -signal.SIGTERM  # a plain child again
