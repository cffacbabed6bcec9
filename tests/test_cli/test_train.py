"""End-to-end: train + evaluate on the demo data, resume, 2-process CPU DDP.

These run the real tools on the generated demo dataset for a few
iterations; they take a minute or two and are marked slow.
"""
import copy
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import threading
import time

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook

from mmseg_encnet import checkpoint as safe_checkpoint
from mmseg_encnet.cli import train as train_cli
from mmseg_encnet.engine import Runner
from helpers import (CONFIG, ROOT, dist_env, final_weights, short_options,
                     train_subprocess)

pytestmark = pytest.mark.slow


def test_train_evaluate_and_test(tmp_path, data_root):
    work_dir = str(tmp_path / 'work')
    train_cli.main([CONFIG, '--work-dir', work_dir, '--cfg-options'] +
                   short_options(data_root, 3))
    checkpoint = osp.join(work_dir, 'iter_3.pth')
    assert osp.isfile(checkpoint)
    assert osp.isfile(osp.join(work_dir, 'training_curves.png'))
    ckpt = safe_checkpoint.load(checkpoint)
    assert ckpt['meta']['iter'] == 3
    assert 'decode_head.enc_module.encoding.0.codewords' in ckpt['state_dict']

    # A process of its own, as users run it (mmengine's visualizer is a
    # per-process singleton that the training run above already made).
    show_dir = str(tmp_path / 'show')
    result = subprocess.run(
        [
            sys.executable,
            osp.join(ROOT, 'tools/test.py'), CONFIG, checkpoint, '--work-dir',
            work_dir, '--show-dir', show_dir, '--cfg-options'
        ] + short_options(data_root, 3),
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONWARNINGS='ignore'))
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(r'Iter\(test\) \[8/8\].*mIoU',
                     result.stdout + result.stderr)
    overlays = [
        f for _, _, files in os.walk(show_dir) for f in files
        if f.endswith('.png')
    ]
    assert len(overlays) == 8


class ResumeProbe(Hook):
    """Records where a run starts and the optimizer state it starts with."""

    def before_train(self, runner):
        self.start_iter = runner.iter
        self.optimizer = copy.deepcopy(runner.optim_wrapper.state_dict())

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if not hasattr(self, 'first_iter'):
            self.first_iter = runner.iter


def run(data_root, work_dir, iters, resume):
    args = train_cli.parse_args([CONFIG, '--work-dir', work_dir] +
                                (['--resume'] if resume else []) +
                                ['--cfg-options'] +
                                short_options(data_root, iters))
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = work_dir
    cfg.resume = resume
    cfg.experiment_name = f'resume_test_{iters}_{resume}'
    runner = Runner.from_cfg(cfg)
    probe = ResumeProbe()
    runner.register_hook(probe)
    runner.train()
    return runner, probe


def test_resume_continues_from_checkpoint(tmp_path, data_root):
    work_dir = str(tmp_path / 'work')
    runner, _ = run(data_root, work_dir, 2, resume=False)
    saved = safe_checkpoint.load(osp.join(work_dir, 'iter_2.pth'))

    runner, probe = run(data_root, work_dir, 4, resume=True)
    assert probe.start_iter == 2 and probe.first_iter == 2
    assert runner.iter == 4
    state, ref = probe.optimizer['state'], saved['optimizer']['state']
    assert state.keys() == ref.keys() and len(state) > 0
    for key in ref:
        torch.testing.assert_close(state[key]['momentum_buffer'],
                                   ref[key]['momentum_buffer'])
    assert osp.isfile(osp.join(work_dir, 'iter_4.pth'))


def test_two_process_cpu_distributed_training(tmp_path, data_root):
    work_dir = str(tmp_path / 'work')
    result = subprocess.run(
        [
            'bash',
            osp.join(ROOT, 'tools/dist_train.sh'), CONFIG, '2', '--work-dir',
            work_dir, '--cfg-options'
        ] + short_options(data_root, 3, batch_size=1),
        env=dist_env(),
        capture_output=True,
        text=True,
        timeout=600)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert 'Distributed launcher: pytorch' in log
    assert re.search(r'Distributed training: True', log)
    assert re.search(r'Iter\(val\) \[4/4\].*mIoU', log)  # 8 images / 2 ranks
    assert osp.isfile(osp.join(work_dir, 'iter_3.pth'))


def test_divergence_stops_training_and_keeps_last_good_checkpoint(
        tmp_path, data_root):
    work_dir = str(tmp_path / 'work')
    options = short_options(data_root, 12) + [
        'default_hooks.checkpoint.interval=1',
        'default_hooks.checkpoint.max_keep_ckpts=100',
        'optim_wrapper.optimizer.lr=1e8',
        'param_scheduler=[]',
    ]
    with pytest.raises(FloatingPointError, match='non-finite'):
        train_cli.main([CONFIG, '--work-dir', work_dir, '--cfg-options'] +
                       options)
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        last = f.read().strip()
    ckpt = safe_checkpoint.load(last)
    assert ckpt['meta']['iter'] < 12
    assert all(v.isfinite().all() for v in ckpt['state_dict'].values()
               if v.is_floating_point())


def test_sigkill_then_resume_matches_uninterrupted_run(tmp_path, data_root):
    """Kill between checkpoints; --resume ends with the same weights."""
    iters = 6
    reference = str(tmp_path / 'reference')
    proc = train_subprocess(reference, data_root, iters, 2)
    assert proc.wait(timeout=600) == 0, proc.stdout.read()[-3000:]

    work_dir = str(tmp_path / 'killed')
    proc = train_subprocess(work_dir, data_root, iters, 2)
    log = []
    for line in proc.stdout:  # kill in iteration 3, after iter_2.pth
        log.append(line)
        if re.search(r'Iter\(train\) \[3/6\]', line):
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, ''.join(log)[-3000:]
    assert osp.isfile(osp.join(work_dir, 'iter_2.pth'))
    assert not osp.isfile(osp.join(work_dir, 'iter_4.pth'))
    logs_before = sorted(os.listdir(work_dir))

    proc = train_subprocess(work_dir, data_root, iters, 2, resume=True)
    out = proc.stdout.read()
    assert proc.wait(timeout=600) == 0, out[-3000:]
    assert 'resumed epoch: 0, iter: 2' in out
    assert set(logs_before) <= set(os.listdir(work_dir))  # nothing lost
    resumed, ref = final_weights(work_dir,
                                 iters), final_weights(reference, iters)
    assert resumed.keys() == ref.keys()
    for key in ref:
        torch.testing.assert_close(
            resumed[key], ref[key], rtol=1e-5, atol=1e-6, msg=key)


def test_killed_worker_fails_every_rank_fast_then_resume(tmp_path, data_root):
    """SIGKILL one of two workers: the launcher stops the whole job within a
    bounded time, and --resume continues from the last checkpoint."""
    work_dir = str(tmp_path / 'work')
    env = dist_env()
    options = short_options(
        data_root, 40, batch_size=1) + ['default_hooks.checkpoint.interval=2']
    launcher = subprocess.Popen(
        [
            'bash',
            osp.join(ROOT, 'tools/dist_train.sh'), CONFIG, '2', '--work-dir',
            work_dir, '--cfg-options'
        ] + options,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True)
    # Drain the output in the background so that the workers never block on
    # a full pipe; wait for the first checkpoint to be complete.
    output = threading.Thread(target=launcher.stdout.read, daemon=True)
    output.start()
    last = osp.join(work_dir, 'last_checkpoint')
    deadline = time.monotonic() + 120
    while not osp.isfile(last) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert osp.isfile(last)
    # The workers are the children of the launcher (torchrun).
    torchrun = subprocess.run(
        ['pgrep', '-s',
         str(launcher.pid), '-f', 'torch.distributed.run'],
        capture_output=True,
        text=True).stdout.split()
    assert len(torchrun) == 1, torchrun
    workers = [
        int(pid) for pid in subprocess.run(['pgrep', '-P', torchrun[0]],
                                           capture_output=True,
                                           text=True).stdout.split()
    ]
    assert len(workers) == 2, workers
    killed_at = time.monotonic()
    os.kill(max(workers), signal.SIGKILL)
    assert launcher.wait(timeout=120) != 0
    assert time.monotonic() - killed_at < 120
    for pid in workers:  # no rank is left behind, hanging in a collective
        assert subprocess.run(['kill', '-0', str(pid)],
                              capture_output=True).returncode != 0

    result = subprocess.run(
        [
            sys.executable,
            osp.join(ROOT, 'tools/train.py'), CONFIG, '--work-dir', work_dir,
            '--resume', '--cfg-options'
        ] + short_options(data_root, 4) +
        ['default_hooks.checkpoint.interval=2'],
        env=env,
        capture_output=True,
        text=True,
        timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(r'resumed epoch: 0, iter: [2-9]',
                     result.stdout + result.stderr)
    assert osp.isfile(osp.join(work_dir, 'iter_4.pth'))


def test_resume_without_a_seed_matches_uninterrupted_run(tmp_path, data_root):
    """No randomness.seed: --resume keeps the seed of the run it resumes
    (mmengine would draw a new one and reseed after RNGStateHook)."""
    import shutil
    reference = str(tmp_path / 'reference')
    proc = train_subprocess(reference, data_root, 4, 2, seed='None')
    assert proc.wait(timeout=600) == 0, proc.stdout.read()[-3000:]
    work_dir = str(tmp_path / 'resumed')
    shutil.copytree(reference, work_dir)
    os.remove(osp.join(work_dir, 'iter_4.pth'))
    with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work_dir, 'iter_2.pth'))
    proc = train_subprocess(
        work_dir, data_root, 4, 2, resume=True, seed='None')
    out = proc.stdout.read()
    assert proc.wait(timeout=600) == 0, out[-3000:]
    assert 'resumed epoch: 0, iter: 2' in out
    resumed, ref = final_weights(work_dir, 4), final_weights(reference, 4)
    for key in ref:
        torch.testing.assert_close(
            resumed[key], ref[key], rtol=1e-5, atol=1e-6, msg=key)


def test_amp_trains_in_bfloat16_without_cuda(tmp_path, data_root):
    work_dir = str(tmp_path / 'work')
    train_cli.main([CONFIG, '--work-dir', work_dir, '--amp', '--cfg-options'] +
                   short_options(data_root, 2))
    checkpoint = safe_checkpoint.load(osp.join(work_dir, 'iter_2.pth'))
    assert checkpoint['meta']['iter'] == 2
    assert all(v.dtype != torch.bfloat16
               for v in checkpoint['state_dict'].values())
    with open(osp.join(work_dir, 'encnet_r18-d8_demo.py')) as f:  # dumped
        assert "type='mmseg_encnet.BF16OptimWrapper'" in f.read()
