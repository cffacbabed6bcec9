"""The cluster tools on a live two-node Slurm cluster (the ``cluster``
fixture of conftest.py: .dev_scripts/slurm_cluster.sh).

Every run here trains the demo config on 2 ranks, one per node, for
``ITERS`` iterations with a checkpoint every ``INTERVAL``; the uninterrupted
run (``reference``) is what the preempted, requeued and torchrun runs must
end with. Without a cluster these tests skip, unless ``CI=true``: there they
fail, since CI brings the cluster up.
"""
import os
import os.path as osp
import re
import subprocess
import sys
import time

import pytest

from mmseg_encnet import checkpoint as safe_checkpoint
from mmseg_encnet.datasets.demo_street import make_demo_data
from helpers import ROOT  # noqa: E402

TOOLS = osp.join(ROOT, 'tools')
CONFIG = osp.join(ROOT, 'configs/demo/encnet_r18-d8_demo.py')
ITERS, INTERVAL = 30, 8

pytestmark = [pytest.mark.slow, pytest.mark.slurm]


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    """Made once here: the ranks would otherwise both generate it."""
    root = str(tmp_path_factory.mktemp('slurm_data') / 'demo_street')
    make_demo_data(root)
    return root


def two_rank_env() -> dict:
    """Both ranks on CPUs, one per node; this venv's python first; the port
    the job's own."""
    env = dict(
        os.environ,
        GPUS='2',
        GPUS_PER_NODE='1',
        CPUS_PER_TASK='1',
        PYTHONFAULTHANDLER='1',  # a rank that crashes prints where
        PYTHONWARNINGS='ignore')
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env['PATH']
    env.pop('MASTER_PORT', None)
    return env


@pytest.fixture
def env(cluster):
    return two_rank_env()


def options(data_root: str) -> list:
    """--cfg-options of every run: deterministic, a loader worker per rank
    (it must survive the signals), checkpoints every INTERVAL."""
    return ['--cfg-options'] + [
        f'{loader}.dataset.data_root={data_root}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ] + [
        'train_dataloader.batch_size=1',
        'train_dataloader.num_workers=1',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'val_dataloader.dataset.indices=8',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'test_dataloader.dataset.indices=8',
        f'train_cfg.max_iters={ITERS}',
        f'train_cfg.val_interval={ITERS}',
        f'default_hooks.checkpoint.interval={INTERVAL}',
        'default_hooks.checkpoint.max_keep_ckpts=10',
        'default_hooks.logger.interval=1',
        'randomness.deterministic=True',
    ]


def slurm_train(job: str, work_dir: str, data_root: str, env: dict, log: str,
                *args: str) -> subprocess.Popen:
    """tools/slurm_train.sh in the background, its output in ``log``."""
    with open(log, 'a') as out:
        return subprocess.Popen(
            [
                'bash',
                osp.join(TOOLS, 'slurm_train.sh'), 'debug', job, CONFIG,
                '--work-dir', work_dir, *args
            ] + options(data_root),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT)


def wait_for(pattern: str, path: str, timeout: float = 300) -> str:
    """The text of ``path`` once ``pattern`` occurs in it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = open(path).read() if osp.isfile(path) else ''
        if re.search(pattern, text):
            return text
        time.sleep(0.2)
    raise AssertionError(f'no {pattern!r} in {path} after {timeout} s:\n' + (
        open(path).read()[-3000:] if osp.isfile(path) else '(no file)'))


def weights(path: str) -> dict:
    return safe_checkpoint.load(path)['state_dict']


def assert_same_weights(path: str, reference: str) -> float:
    ours, ref = weights(path), weights(reference)
    assert ours.keys() == ref.keys()
    diff = max((ours[k].double() - ref[k].double()).abs().max().item()
               for k in ref if ref[k].is_floating_point())
    print(f'max |weights - uninterrupted run| = {diff:.3g} ({path})')
    assert diff <= 1e-6
    return diff


def stopped_checkpoint(log: str, signal_name: str, work_dir: str) -> str:
    """The checkpoint the preempted run wrote, checked against its log."""
    match = re.search(
        rf'{signal_name} received: stopped after iteration (\d+), '
        r'checkpoint (\S+)\. To continue, run the same command with '
        r'--resume', log)
    assert match, log[-3000:]
    step, path = int(match[1]), match[2]
    assert INTERVAL < step < ITERS and step % INTERVAL  # between intervals
    assert path == osp.join(work_dir, f'iter_{step}.pth')
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert f.read().strip() == path
    assert weights(path)  # complete and loadable
    assert 'Traceback' not in log and 'killed by signal' not in log
    return path


@pytest.fixture(scope='module')
def reference(cluster, data_root, tmp_path_factory):
    """The uninterrupted 2-node run: its log and final checkpoint."""
    tmp = tmp_path_factory.mktemp('reference')
    log = str(tmp / 'log.txt')
    proc = slurm_train('reference', str(tmp / 'work'), data_root,
                       two_rank_env(), log)
    assert proc.wait(timeout=600) == 0, open(log).read()[-3000:]
    return open(log).read(), str(tmp / 'work' / f'iter_{ITERS}.pth')


def test_slurm_train_on_two_cpu_nodes(reference):
    """GPUS=2 GPUS_PER_NODE=1 on a partition without GPUs: no gres, one
    rank per node, gloo, meeting at the first node on the job's port."""
    log, checkpoint = reference
    assert "partition 'debug' has no GPU gres: 2 ranks on CPUs" in log
    assert '--gres' not in log
    ranks = dict(
        re.findall(
            r'slurm job \d+: rank (\d) of 2 on node (n\d), meeting at n1:\d+',
            log))
    assert ranks == {'0': 'n1', '1': 'n2'}, log[-3000:]
    assert 'Distributed training: True' in log
    assert re.search(r'Iter\(val\) \[4/4\].*mIoU', log)  # 8 images / 2 ranks
    assert safe_checkpoint.load(checkpoint)['meta']['iter'] == ITERS


def test_scancel_checkpoints_and_resume_ends_as_uninterrupted(
        reference, data_root, env, tmp_path):
    """scancel between checkpoints: every rank stops after the same
    iteration, rank 0 writes it, the job exits 143; --resume then ends with
    the weights of the uninterrupted run."""
    work_dir, log = str(tmp_path / 'work'), str(tmp_path / 'log.txt')
    proc = slurm_train('preempted', work_dir, data_root, env, log)
    wait_for(rf'Iter\(train\) \[{INTERVAL + 3}/{ITERS}\]', log)
    job = subprocess.run(['squeue', '-h', '-n', 'preempted', '-o', '%i'],
                         capture_output=True,
                         text=True).stdout.split()
    assert len(job) == 1
    subprocess.run(['scancel', job[0]], check=True)
    assert proc.wait(timeout=120) == 128 + 15, open(log).read()[-3000:]
    stopped = stopped_checkpoint(open(log).read(), 'SIGTERM', work_dir)
    assert not osp.isfile(osp.join(work_dir, f'iter_{ITERS}.pth'))

    resumed_log = str(tmp_path / 'resumed.txt')
    proc = slurm_train('resumed', work_dir, data_root, env, resumed_log,
                       '--resume')
    assert proc.wait(timeout=600) == 0, open(resumed_log).read()[-3000:]
    step = re.search(r'iter_(\d+)', stopped)[1]
    assert f'resumed epoch: 0, iter: {step}' in open(resumed_log).read()
    final = osp.join(work_dir, f'iter_{ITERS}.pth')
    assert_same_weights(final, reference[1])
    with pytest.raises(AssertionError):  # the comparison can fail
        assert_same_weights(stopped, reference[1])


def test_usr1_requeues_and_the_restart_ends_as_uninterrupted(
        reference, data_root, env, tmp_path):
    """tools/slurm_submit.sh; USR1 (as Slurm sends before the time limit):
    checkpoint, requeue, one restart that resumes, the uninterrupted
    weights."""
    work_dir = str(tmp_path / 'work')
    submit = subprocess.run(
        [
            'bash',
            osp.join(TOOLS, 'slurm_submit.sh'), 'debug', 'requeued', CONFIG,
            '--work-dir', work_dir
        ] + options(data_root),
        env=dict(env, TIME='30', SIGNAL_LEAD='60'),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60)
    assert submit.returncode == 0, submit.stderr
    job = submit.stdout.strip().splitlines()[-1]
    assert job.isdigit(), submit.stdout
    log = str(tmp_path / f'slurm-{job}.out')
    wait_for(rf'Iter\(train\) \[{INTERVAL + 3}/{ITERS}\]', log)
    subprocess.run(['scancel', '--signal=USR1', job], check=True)
    wait_for(rf'requeued Slurm job {job}', log, timeout=120)
    stopped = stopped_checkpoint(open(log).read(), 'SIGUSR1', work_dir)
    # Slurm holds a requeued job for AuthInfo=cred_expire (30 s on the test
    # cluster, 120 s by default) before it restarts.
    text = wait_for(
        rf'Saving checkpoint at {ITERS} iterations', log, timeout=480)
    step = re.search(r'iter_(\d+)', stopped)[1]
    assert f'resumed epoch: 0, iter: {step}' in text
    assert len(re.findall(r'slurm job \d+: rank 0 of 2', text)) == 2
    show = subprocess.run(['scontrol', 'show', 'job', job],
                          capture_output=True,
                          text=True).stdout
    assert 'Restarts=1' in show, show
    deadline = time.monotonic() + 120
    while 'JobState=COMPLETED' not in show and time.monotonic() < deadline:
        time.sleep(1)
        show = subprocess.run(['scontrol', 'show', 'job', job],
                              capture_output=True,
                              text=True).stdout
    assert 'JobState=COMPLETED' in show, show
    assert_same_weights(osp.join(work_dir, f'iter_{ITERS}.pth'), reference[1])


def miou(log: str) -> str:
    found = re.findall(r'Iter\(test\) \[\d+/\d+\].*mIoU: ([\d.]+)', log)
    assert len(found) == 1, log[-3000:]
    return found[0]


def test_slurm_test_prints_the_mious_of_one_process(reference, data_root, env,
                                                    tmp_path):
    checkpoint = reference[1]

    def run_test(*command: str, work_dir: str) -> str:
        result = subprocess.run(
            [*command, '--work-dir',
             str(tmp_path / work_dir)] + options(data_root),
            env=env,
            capture_output=True,
            text=True,
            timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout + result.stderr

    two = run_test(
        'bash',
        osp.join(TOOLS, 'slurm_test.sh'),
        'debug',
        'test',
        CONFIG,
        checkpoint,
        work_dir='two')
    assert re.search(r'rank 1 of 2 on node n2', two)
    one = run_test(
        sys.executable,
        osp.join(TOOLS, 'test.py'),
        CONFIG,
        checkpoint,
        work_dir='one')
    assert miou(two) == miou(one)


def test_dist_train_on_two_nodes_ends_as_slurm(reference, data_root, env,
                                               tmp_path):
    """tools/dist_train.sh with NNODES=2: one launcher per node (both on
    127.0.0.1), the same weights as the 2-node Slurm run."""
    from helpers import free_port
    work_dir = str(tmp_path / 'work')
    port = str(free_port())
    launchers = []
    for node_rank in (0, 1):
        log = open(tmp_path / f'node{node_rank}.txt', 'w')
        launchers.append(
            subprocess.Popen(
                [
                    'bash',
                    osp.join(TOOLS, 'dist_train.sh'), CONFIG, '1',
                    '--work-dir', work_dir
                ] + options(data_root),
                env=dict(
                    env,
                    NNODES='2',
                    NODE_RANK=str(node_rank),
                    MASTER_ADDR='127.0.0.1',
                    PORT=port,
                    OMP_NUM_THREADS='1'),
                stdout=log,
                stderr=subprocess.STDOUT))
    for node_rank, proc in enumerate(launchers):
        assert proc.wait(
            timeout=600) == 0, (tmp_path /
                                f'node{node_rank}.txt').read_text()[-3000:]
    assert 'Distributed training: True' in (tmp_path / 'node0.txt').read_text()
    assert_same_weights(osp.join(work_dir, f'iter_{ITERS}.pth'), reference[1])


RENDEZVOUS = '''
import time, torch, torch.distributed as dist
from mmengine.config import Config
from mmseg_encnet.engine.launch import setup_distributed
setup_distributed(Config(dict(launcher='slurm')))
total = torch.tensor(dist.get_rank() + 1)
dist.all_reduce(total)
time.sleep(5)  # both jobs hold their rendezvous at once
import os
print('port', os.environ['MASTER_PORT'], 'sum', int(total), flush=True)
dist.destroy_process_group()
'''


def test_two_jobs_on_one_node_meet_on_ports_of_their_own(env, tmp_path):
    jobs = [
        subprocess.Popen([
            'srun', '-p', 'debug', '-N1', '-n2', '-w', 'n1',
            f'--job-name=port{i}', sys.executable, '-c', RENDEZVOUS
        ],
                         env=env,
                         stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT,
                         text=True) for i in range(2)
    ]
    outputs = [job.communicate(timeout=300)[0] for job in jobs]
    for job, out in zip(jobs, outputs):
        assert job.returncode == 0, out[-3000:]
    ports = [set(re.findall(r'port (\d+) sum 3', out)) for out in outputs]
    assert all(len(p) == 1 for p in ports), outputs
    assert ports[0] != ports[1]
