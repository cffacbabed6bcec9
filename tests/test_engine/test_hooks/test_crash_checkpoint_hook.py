"""CrashCheckpointHook: a fault in the middle of a run loses nothing.

A file drawn at iteration 4 of a short demo run is broken: a truncated JPEG
(its header is fine, so DataCheckHook's header check lets it pass; loading
fails before the forward) or a label with a class id out of range (the loss
fails after the forward has moved BatchNorm's statistics and drawn dropout
masks). The run writes ``iter_3.pth`` and says how to continue, and
``--resume`` once the file is fixed ends with the weights of a run that
never failed.
"""
import glob
import os.path as osp
import shutil
import subprocess

import cv2
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmseg.registry import MODELS

from mmseg_encnet import checkpoint as safe_checkpoint
from mmseg_encnet.datasets.demo_street import make_demo_data
from helpers import (CONFIG, ROOT, demo_runner, dist_env, final_weights,
                     short_options, train_subprocess)

pytestmark = pytest.mark.slow
ITERS = 6


class Draws(Hook):
    """The (image, label) files of every training batch, in order."""

    def __init__(self):
        self.files = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.files.append([(s.img_path, s.seg_map_path)
                           for s in data_batch['data_samples']])


def first_drawn_at(data_root, work_dir, iteration):
    """The image and label drawn first in ``iteration`` (1-based)."""
    runner = demo_runner(work_dir, data_root, iteration,
                         'randomness.deterministic=True')
    draws = Draws()
    runner.register_hook(draws)
    runner.train()
    earlier = {f for batch in draws.files[:iteration - 1] for f in batch}
    return next(f for f in draws.files[iteration - 1] if f not in earlier)


def truncate_as_jpeg(path):
    """The image as a JPEG cut at half its length: the header reads."""
    ok, jpeg = cv2.imencode('.jpg', cv2.imread(path))
    assert ok
    with open(path, 'wb') as f:
        f.write(jpeg.tobytes()[:len(jpeg) // 2])
    return f'AssertionError: failed to load image: {path}'


def class_out_of_range(path):
    """One pixel of class 200 in a 4-class label."""
    label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    label[0, 0] = 200
    cv2.imwrite(path, label)
    return 'ValueError: '


@pytest.mark.parametrize('fault,broken', [(truncate_as_jpeg, 0),
                                          (class_out_of_range, 1)])
def test_fault_at_iteration_4_then_resume_matches_uninterrupted_run(
        tmp_path, data_root, fault, broken):
    data = str(tmp_path / 'data')
    if not osp.isdir(data_root):
        make_demo_data(data_root)
    shutil.copytree(data_root, data)
    drawn = first_drawn_at(data, tmp_path / 'probe', 4)[broken]
    reference = str(tmp_path / 'reference')
    proc = train_subprocess(reference, data, ITERS, ITERS)
    assert proc.wait(timeout=600) == 0, proc.stdout.read()[-3000:]

    original = open(drawn, 'rb').read()
    cause = fault(drawn)
    work_dir = str(tmp_path / 'work')
    proc = train_subprocess(work_dir, data, ITERS, ITERS)
    out = proc.stdout.read()
    assert proc.wait(timeout=600) != 0
    checkpoint = osp.join(work_dir, 'iter_3.pth')
    # The output ends with the one message: what failed, what holds the
    # run, the command that continues it.
    failed, state, holds = out.rstrip().splitlines()[-3:]
    assert failed.startswith(f'training stopped in iteration 4: {cause}')
    assert drawn in failed, out[-3000:]
    assert state == 'Checkpoint of iteration 3: written now.'
    command = f'{checkpoint} holds the run; continue it with: python '
    assert holds.startswith(command + osp.join(ROOT, 'tools/train.py') +
                            f' {CONFIG} --work-dir {work_dir} ')
    assert holds.endswith(' --resume')
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert f.read() == checkpoint
    assert safe_checkpoint.load(checkpoint)['meta']['iter'] == 3

    with open(drawn, 'wb') as f:  # the user fixes the file
        f.write(original)
    proc = train_subprocess(work_dir, data, ITERS, ITERS, resume=True)
    out = proc.stdout.read()
    assert proc.wait(timeout=600) == 0, out[-3000:]
    assert 'resumed epoch: 0, iter: 3' in out
    resumed, ref = final_weights(work_dir,
                                 ITERS), final_weights(reference, ITERS)
    assert resumed.keys() == ref.keys()
    for key in ref:
        assert torch.equal(resumed[key], ref[key]), key


def test_a_step_that_already_updated_the_weights_is_not_written(
        tmp_path, data_root):
    """A non-finite loss raises after the optimizer step: the crash hook
    writes nothing and names the last complete checkpoint."""
    work_dir = str(tmp_path / 'work')
    runner = demo_runner(work_dir, data_root, 12,
                         'default_hooks.checkpoint.interval=2',
                         'optim_wrapper.optimizer.lr=1e8',
                         'param_scheduler=[]')
    with pytest.raises(FloatingPointError) as raised:
        runner.train()
    done = runner.iter  # completed before the one that failed
    last = osp.join(work_dir, f'iter_{done - done % 2}.pth')
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert f.read() == last
    state = (f'not written: iteration {done + 1} had already updated the '
             'weights' if done % 2 else f'written at iteration {done}')
    note, = raised.value.__notes__
    assert note.startswith(
        f'training stopped in iteration {done + 1}: FloatingPointError: '
        f'non-finite loss at iteration {done + 1}: ')
    assert f'\nCheckpoint of iteration {done}: {state}.\n{last} holds the ' \
        'run; continue it with: python ' in note
    assert not osp.exists(osp.join(work_dir, f'iter_{done + 1}.pth'))


def dist_train(work_dir, data_root, resume=False):
    """tools/dist_train.sh with 2 CPU processes, batch 1 each."""
    return subprocess.run(
        [
            'bash',
            osp.join(ROOT, 'tools/dist_train.sh'), CONFIG, '2', '--work-dir',
            work_dir
        ] + (['--resume'] if resume else []) + ['--cfg-options'] +
        short_options(data_root, ITERS, batch_size=1) +
        ['randomness.deterministic=True', 'randomness.seed=0'],
        env=dist_env(),
        capture_output=True,
        text=True,
        timeout=600)


def test_rank_1_fails_and_writes_the_crash_checkpoint(tmp_path, data_root):
    """Two processes; the image rank 1 draws at iteration 4 is truncated.
    InfiniteSampler (seed 0) gives rank r sample ``perm[2 (k - 1) + r]`` at
    iteration k of the sorted file list."""
    data = str(tmp_path / 'data')
    if not osp.isdir(data_root):
        make_demo_data(data_root)
    shutil.copytree(data_root, data)
    files = sorted(glob.glob(osp.join(data, 'leftImg8bit/train/*/*.png')))
    perm = torch.randperm(
        len(files), generator=torch.Generator().manual_seed(0)).tolist()
    drawn = files[perm[2 * 3 + 1]]
    reference = str(tmp_path / 'reference')
    result = dist_train(reference, data)
    assert result.returncode == 0, result.stderr[-3000:]

    original = open(drawn, 'rb').read()
    truncate_as_jpeg(drawn)
    work_dir = str(tmp_path / 'work')
    result = dist_train(work_dir, data)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    checkpoint = osp.join(work_dir, 'iter_3.pth')
    message = ('training stopped in iteration 4: AssertionError: failed to '
               f'load image: {drawn}\nCheckpoint of iteration 3: written now.'
               f'\n{checkpoint} holds the run; continue it with: the same '
               'launch command with --resume')
    assert message in out, out[-3000:]
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert f.read() == checkpoint

    with open(drawn, 'wb') as f:
        f.write(original)
    result = dist_train(work_dir, data, resume=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'resumed epoch: 0, iter: 3' in result.stdout + result.stderr
    # Parameters match exactly; BatchNorm's running statistics are those of
    # the rank that wrote the checkpoint, which DDP broadcasts at the next
    # forward, so they differ from rank 0's of the uninterrupted run.
    resumed, ref = final_weights(work_dir,
                                 ITERS), final_weights(reference, ITERS)
    cfg = Config.fromfile(CONFIG)
    params = dict(MODELS.build(cfg.model).named_parameters())
    assert set(params) < set(ref)
    for key in params:
        assert torch.equal(resumed[key], ref[key]), key
