"""The Slurm rendezvous (engine/launch.py) and the resources the Slurm
scripts ask for, with stand-ins for scontrol, sinfo, srun and sbatch."""
import os
import os.path as osp
import subprocess

import pytest

from mmseg_encnet.engine.launch import slurm_environment
from helpers import ROOT  # noqa: E402

TASK = dict(
    SLURM_PROCID='3',
    SLURM_NTASKS='4',
    SLURM_LOCALID='1',
    SLURM_JOB_ID='777',
    SLURM_NODELIST='gpu[07-08]',
    SLURM_STEP_NODELIST='gpu[08-09]')


@pytest.fixture
def bin_dir(tmp_path, monkeypatch):
    """A folder first on PATH for stand-in commands."""
    path = tmp_path / 'bin'
    path.mkdir()
    monkeypatch.setenv('PATH', f"{path}{os.pathsep}{os.environ['PATH']}")
    return path


def stand_in(bin_dir, name, script):
    (bin_dir / name).write_text('#!/bin/sh\n' + script)
    (bin_dir / name).chmod(0o755)


def test_rank_world_and_the_first_host_of_the_step(bin_dir, tmp_path):
    calls = tmp_path / 'scontrol.txt'
    stand_in(bin_dir, 'scontrol',
             f'echo "$@" > {calls}; printf "gpu08\\ngpu09\\n"\n')
    env = slurm_environment(TASK)
    assert calls.read_text() == 'show hostnames gpu[08-09]\n'
    assert {
        k: env[k]
        for k in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR')
    } == dict(
        RANK='3', WORLD_SIZE='4', LOCAL_RANK='1', MASTER_ADDR='gpu08')


def test_the_port_is_the_environments_or_the_jobs_own():
    env = dict(TASK, MASTER_ADDR='head')
    ports = {
        job: slurm_environment(dict(env, SLURM_JOB_ID=job))['MASTER_PORT']
        for job in ('777', '778', '29500')
    }
    assert len(set(ports.values())) == 3  # jobs sharing a node differ
    assert all(1024 < int(p) < 32768 for p in ports.values())  # not ephemeral
    again = slurm_environment(dict(env, SLURM_JOB_ID='777'))  # a requeue
    assert again['MASTER_PORT'] == ports['777']
    assert slurm_environment(dict(env,
                                  MASTER_PORT='6000'))['MASTER_PORT'] == '6000'
    assert slurm_environment(env)['MASTER_ADDR'] == 'head'


def run_script(bin_dir, tmp_path, gres, script='slurm_train.sh', env=None):
    """The script with a stand-in sinfo printing ``gres`` and a stand-in
    srun/sbatch that print their arguments."""
    stand_in(bin_dir, 'sinfo', f'printf "{gres}"\n')
    for tool in ('srun', 'sbatch'):
        stand_in(bin_dir, tool, f'echo {tool} "$@"\n')
    args = ['part', 'job', 'cfg.py'] + (['ckpt.pth'] if 'test' in script else
                                        []) + ['--work-dir', 'w']
    return subprocess.run(
        ['bash', osp.join(ROOT, 'tools', script)] + args,
        capture_output=True,
        text=True,
        env=dict(
            os.environ,
            GPUS='8',
            GPUS_PER_NODE='4',
            CPUS_PER_TASK='2',
            **(env or {})))


@pytest.mark.slow
@pytest.mark.parametrize(
    'script', ['slurm_train.sh', 'slurm_test.sh', 'slurm_submit.sh'])
def test_gpu_partitions_get_gres_cpu_partitions_none(bin_dir, tmp_path,
                                                     script):
    gpu = run_script(bin_dir, tmp_path, 'gpu:a100:4(S:0-1)\\n', script)
    assert gpu.returncode == 0, gpu.stderr
    assert '--gres=gpu:4' in gpu.stdout
    assert ('--partition=part --job-name=job --ntasks=8 --ntasks-per-node=4 '
            '--cpus-per-task=2') in gpu.stdout
    cpu = run_script(bin_dir, tmp_path, '(null)\\n', script)
    assert cpu.returncode == 0, cpu.stderr
    assert '--gres' not in cpu.stdout
    assert "partition 'part' has no GPU gres: 8 ranks on CPUs" in cpu.stderr
    missing = run_script(bin_dir, tmp_path, '', script)
    assert missing.returncode != 0
    assert "no partition 'part'" in missing.stderr
    assert 'srun' not in missing.stdout and 'sbatch' not in missing.stdout


@pytest.mark.slow
def test_submit_is_requeueable_signals_before_the_limit_and_resumes(
        bin_dir, tmp_path):
    result = run_script(
        bin_dir,
        tmp_path,
        '(null)\\n',
        'slurm_submit.sh',
        env=dict(TIME='4:00:00', SIGNAL_LEAD='90'))
    assert result.returncode == 0, result.stderr
    sbatch = result.stdout.strip().splitlines()[-1]
    for option in ('--requeue', '--open-mode=append', '--signal=USR1@90',
                   '--time=4:00:00', '--output=slurm-%j.out'):
        assert option in sbatch.split()
    train = sbatch.split('--wrap=', 1)[1]
    assert train.startswith('srun --kill-on-bad-exit=1')
    assert train.endswith(
        f"{osp.join(ROOT, 'tools')}/train.py cfg.py --launcher=slurm "
        '--resume --work-dir w')
