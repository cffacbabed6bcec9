"""What several test modules share: the repository root and short demo
runs (the ``tests`` folder is on ``sys.path``, see pyproject.toml)."""
import os
import os.path as osp
import socket
import subprocess
import sys

from mmengine.config import Config

from mmseg_encnet import checkpoint as safe_checkpoint
from mmseg_encnet.cli import train as train_cli
from mmseg_encnet.engine import Runner

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(ROOT, 'configs/demo/encnet_r18-d8_demo.py')


def short_options(data_root, iters, batch_size=2):
    """--cfg-options for a short run: few iterations, few val images."""
    return [
        f'train_dataloader.dataset.data_root={data_root}',
        f'val_dataloader.dataset.data_root={data_root}',
        f'test_dataloader.dataset.data_root={data_root}',
        f'train_dataloader.batch_size={batch_size}',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'val_dataloader.dataset.indices=8',
        'test_dataloader.dataset.indices=8',
        f'train_cfg.max_iters={iters}',
        f'train_cfg.val_interval={iters}',
        f'default_hooks.checkpoint.interval={iters}',
        'default_hooks.logger.interval=1',
        'default_hooks.visualization.interval=4',
    ]


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def dist_env() -> dict:
    """The environment of a 2-process CPU launch (tools/dist_*.sh): a free
    port, one thread per process, this venv's torchrun on the PATH."""
    env = dict(
        os.environ,
        PORT=str(free_port()),
        OMP_NUM_THREADS='1',
        PYTHONWARNINGS='ignore')
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env['PATH']
    return env


def demo_runner(work_dir, data_root, iters, *options) -> Runner:
    """Our Runner for a short demo run with ``options`` on top."""
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(
        train_cli.parse_args([CONFIG, '--cfg-options'] +
                             short_options(data_root, iters) +
                             list(options)).cfg_options)
    cfg.work_dir = str(work_dir)
    return Runner.from_cfg(cfg)


def train_subprocess(work_dir,
                     data_root,
                     iters,
                     checkpoint_every,
                     resume=False,
                     seed=0,
                     options=()):
    """tools/train.py in a process of its own, deterministic on the CPU,
    with ``options`` (``--cfg-options``) on top."""
    env = dict(os.environ, PYTHONWARNINGS='ignore', OMP_NUM_THREADS='1')
    cmd = [
        sys.executable,
        osp.join(ROOT, 'tools/train.py'), CONFIG, '--work-dir', work_dir
    ] + (['--resume'] if resume else []) + ['--cfg-options'] + short_options(
        data_root, iters) + [
            f'default_hooks.checkpoint.interval={checkpoint_every}',
            'default_hooks.checkpoint.max_keep_ckpts=100',
            f'train_cfg.val_interval={iters}',
            'randomness.deterministic=True',
            f'randomness.seed={seed}',
            *options,
        ]
    return subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True)


def final_weights(work_dir, iters):
    return safe_checkpoint.load(osp.join(work_dir,
                                         f'iter_{iters}.pth'))['state_dict']
