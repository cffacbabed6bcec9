"""The package as users get it: a wheel installed apart from the clone, a
config of theirs in a folder outside it, trained and tested with ``mim`` and
the package's own commands."""
import glob
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import zipfile

import pytest
import torch
from mmengine.config import Config

from mmseg_encnet.datasets import make_demo_data
from helpers import ROOT  # noqa: E402

pytestmark = pytest.mark.slow
BIN = osp.dirname(sys.executable)

# What the test adds to the user's config: the demo data (Cityscapes'
# layout), tiny crops, two iterations, no pretrained weights to download.
SMALL = """_base_ = ['./my_encnet.py']
data_root = '{data}'
pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomCrop', crop_size=(64, 128)),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
model = dict(pretrained=None, data_preprocessor=dict(size=(64, 128)))
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=pipeline))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=test_pipeline, indices=2))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=2, val_interval=2)
default_hooks = dict(
    logger=dict(interval=1), checkpoint=dict(interval=2))
"""


def user_config() -> str:
    """The config docs/usage.md shows for a project of one's own."""
    with open(osp.join(ROOT, 'docs', 'usage.md')) as f:
        text = f.read()
    block = text.split('<!-- user-config -->', 1)[1]
    return re.search(r'```python\n(.*?)```', block, re.S).group(1)


def test_documented_config_is_the_readmes_and_switches_on_our_base():
    """The README shows it verbatim; its plugin keys are those of
    configs/_base_/mmseg_encnet.py, which the in-clone configs use."""
    with open(osp.join(ROOT, 'README.md')) as f:
        assert user_config() in f.read()
    ours = Config.fromstring(user_config(), '.py')
    base = Config.fromfile(
        osp.join(ROOT, 'configs', '_base_', 'mmseg_encnet.py'))
    for key in ('custom_imports', 'runner_type', 'custom_hooks'):
        assert ours[key] == base[key]
    assert ours.model.decode_head.type == 'mmseg_encnet.EncHead'


def source_tree(dst: str) -> str:
    """The files git would commit (tracked or not ignored), links kept: a
    wheel built from them holds nothing of local builds."""
    listed = subprocess.run([
        'git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'
    ],
                            cwd=ROOT,
                            capture_output=True,
                            check=True).stdout.decode().split('\0')
    for path in filter(None, listed):
        src = osp.join(ROOT, path)
        if not osp.lexists(src):
            continue  # deleted, not yet committed
        os.makedirs(osp.dirname(osp.join(dst, path)), exist_ok=True)
        if osp.islink(src):
            os.symlink(os.readlink(src), osp.join(dst, path))
        else:
            shutil.copy2(src, osp.join(dst, path))
    return dst


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """(wheel, its file names, an environment that imports the installed
    copy first, its bin folder)."""
    tmp = tmp_path_factory.mktemp('packaging')
    src = source_tree(str(tmp / 'src'))
    subprocess.run([
        sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps', src, '-w',
        str(tmp / 'dist')
    ],
                   check=True)
    wheel, = glob.glob(str(tmp / 'dist' / 'mmseg_encnet-*.whl'))
    target = str(tmp / 'site')
    subprocess.run([
        sys.executable, '-m', 'pip', 'install', '-q', '--no-deps', '--target',
        target, wheel
    ],
                   check=True)
    env = dict(
        os.environ,
        PYTHONPATH=target,
        PATH=os.pathsep.join(
            [osp.join(target, 'bin'), BIN, os.environ['PATH']]),
        PYTHONWARNINGS='ignore')
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    return wheel, names, env, target


def test_wheel_carries_configs_index_and_tools_only(installed):
    _, names, _, _ = installed
    configs = sorted(
        osp.relpath(p, ROOT) for p in glob.glob(
            osp.join(ROOT, 'configs', '**', '*.py'), recursive=True))
    mim = 'mmseg_encnet/.mim/'
    assert sorted(
        n[len(mim):] for n in names
        if n.startswith(mim + 'configs/') and n.endswith('.py')) == configs
    assert mim + 'model-index.yml' in names
    assert mim + 'configs/encnet/metafile.yaml' in names
    tools = {
        n[len(mim) + len('tools/'):]
        for n in names if n.startswith(mim + 'tools/')
    }
    assert {
        'train.py', 'test.py', 'dist_train.sh', 'dist_test.sh',
        'dist_common.sh', 'slurm_common.sh', 'slurm_train.sh', 'slurm_test.sh',
        'slurm_submit.sh', 'infer.py', 'export_onnx.py',
        'convert_pytorch_encoding.py', 'dataset_converters/siftflow.py',
        'dataset_converters/siftflow_val.txt'
    } <= tools
    assert not tools & {'run_demo.sh', 'run_tests.sh', 'setup_env.sh'}
    for name in names:
        parts = name.split('/')
        assert parts[0] in ('mmseg_encnet', 'mmseg_encnet-0.1.0.dist-info')
        assert not {'tests', 'data', 'work_dirs', '__pycache__'} & set(parts)
        assert not name.endswith(('.pth', '.png', '.json'))


def run(args, env, cwd, timeout=900):
    result = subprocess.run(
        args,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout)
    assert result.returncode == 0, (
        result.stdout[-3000:] + result.stderr[-3000:])
    return result.stdout + result.stderr


@pytest.fixture(scope='module')
def project(installed, tmp_path_factory):
    """A user's folder outside the clone: the documented config, the test's
    small delta and the demo data."""
    folder = tmp_path_factory.mktemp('project')
    assert not str(folder).startswith(ROOT)
    data = str(folder / 'demo_street')
    make_demo_data(data)
    (folder / 'my_encnet.py').write_text(user_config())
    (folder / 'small.py').write_text(SMALL.format(data=data))
    return str(folder)


def trained_by_us(work_dir: str) -> None:
    """Our Runner, head and hooks ran: RNGStateHook's state in the
    checkpoint, our Runner and head in the config the run dumped."""
    checkpoint = torch.load(
        osp.join(work_dir, 'iter_2.pth'),
        map_location='cpu',
        weights_only=False)
    assert 'torch' in checkpoint['rng_state']
    dumped = Config.fromfile(osp.join(work_dir, 'small.py'))
    assert dumped.runner_type == 'mmseg_encnet.Runner'
    assert dumped.model.decode_head.type == 'mmseg_encnet.EncHead'


def test_the_installed_package_is_the_one_used(installed, project):
    _, _, env, target = installed
    out = run([
        sys.executable, '-c',
        'import mmseg_encnet; print(mmseg_encnet.__file__)'
    ], env, project)
    assert out.strip().startswith(target)


def test_mim_train_and_test(installed, project):
    _, _, env, target = installed
    out = run(
        ['mim', 'train', 'mmseg_encnet', 'small.py', '--work-dir', 'mim_run'],
        env, project)
    script = osp.join(target, 'mmseg_encnet', '.mim', 'tools', 'train.py')
    assert re.search(rf'Training command is \S+ {re.escape(script)} small.py',
                     out)
    trained_by_us(osp.join(project, 'mim_run'))
    out = run([
        'mim', 'test', 'mmseg_encnet', 'small.py', '--checkpoint',
        'mim_run/iter_2.pth', '--work-dir', 'mim_test'
    ], env, project)
    assert re.search(r'aAcc: [\d.]+\s+mIoU: [\d.]+', out), out[-2000:]


def test_console_scripts(installed, project):
    _, _, env, _ = installed
    run(['mmseg-encnet-train', 'small.py', '--work-dir', 'cli_run'], env,
        project)
    trained_by_us(osp.join(project, 'cli_run'))
    out = run([
        'mmseg-encnet-test', 'small.py', 'cli_run/iter_2.pth', '--work-dir',
        'cli_test'
    ], env, project)
    assert re.search(r'aAcc: [\d.]+\s+mIoU: [\d.]+', out), out[-2000:]


def test_mim_train_with_the_pytorch_launcher(installed, project):
    """Two ranks meet (gloo without CUDA) and train."""
    _, _, env, _ = installed
    out = run([
        'mim', 'train', 'mmseg_encnet', 'small.py', '--launcher', 'pytorch',
        '--gpus', '2', '--work-dir', 'dist_run'
    ], env, project)
    assert 'torch.distributed.launch --nproc_per_node=2' in out
    assert re.search(r'Distributed launcher: pytorch(.*\n)+.*GPU number: 2',
                     out), out[-3000:]
    trained_by_us(osp.join(project, 'dist_run'))


def test_shipped_configs_by_name(installed, project):
    """A recipe trains by its name alone; a zoo config is found by name
    (and stops at its missing Cityscapes data); mim search lists the zoo."""
    _, _, env, target = installed
    demo = osp.join(project, 'demo_street')
    options = [
        f'{split}_dataloader.dataset.data_root={demo}'
        for split in ('train', 'val', 'test')
    ] + [
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'val_dataloader.dataset.indices=2', 'train_dataloader.batch_size=2'
    ]
    out = run([
        'mim', 'train', 'mmseg_encnet', 'encnet_r18-d8_demo.py', '--work-dir',
        'demo_run', '--cfg-options', *options
    ], env, project)
    assert osp.join(target, 'mmseg_encnet', '.mim', 'configs', 'demo',
                    'encnet_r18-d8_demo.py') in out
    assert osp.isfile(osp.join(project, 'demo_run', 'iter_2.pth'))
    zoo = 'encnet_r50-d8_4xb2-40k_cityscapes-512x1024'
    for command in (['mim', 'train', 'mmseg_encnet',
                     f'{zoo}.py'], ['mmseg-encnet-train', zoo]):
        result = subprocess.run(
            command, env=env, cwd=project, capture_output=True, text=True)
        assert result.returncode != 0
        assert 'data/cityscapes' in result.stdout + result.stderr
    out = run(['mim', 'search', 'mmseg_encnet', '--model', 'encnet'], env,
              project)
    assert zoo in out and 'encnet_r101-d8_4xb4-160k_ade20k-512x512' in out


@pytest.mark.slurm
def test_mim_train_with_the_slurm_launcher(installed, project, cluster):
    """mim's srun line on a partition without GPUs: mim always asks for
    --gres=gpu:N, which --srun-args --gres=none (srun takes the last)
    withdraws; one rank per node, meeting across n1 and n2 on the CPUs."""
    _, _, env, _ = installed
    out = run([
        'mim', 'train', 'mmseg_encnet', 'small.py', '--launcher', 'slurm',
        '--gpus', '2', '--gpus-per-node', '1', '--partition', 'debug',
        '--srun-args', '--gres=none --time=10', '--work-dir', 'slurm_run'
    ], env, project)
    assert re.search(
        r'Training command is srun -p debug --gres=gpu:1 '
        r'--ntasks=2 --ntasks-per-node=1', out), out[-3000:]
    ranks = re.findall(r'rank (\d) of 2 on node (n\d)', out)
    assert sorted(ranks) == [('0', 'n1'), ('1', 'n2')]
    trained_by_us(osp.join(project, 'slurm_run'))
