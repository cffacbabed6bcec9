"""benchmarks/gpu: what the GPU command needs that can be checked here.

The wheel list against the requirements of what it installs and the GPU
machine's own packages; the install from the wheel folder where it has
been filled; and the whole command as a CPU dry run at tiny sizes.
"""
import json
import os
import os.path as osp
import re
import subprocess
import sys
from importlib import metadata

import pytest
from packaging.requirements import Requirement

from helpers import ROOT  # noqa: E402

GPU = osp.join(ROOT, 'benchmarks', 'gpu')
# the steps of the quick CPU dry run (the GPU run adds batch 8 and compile)
STEPS = ('encoding', 'scaling', 'train_step', 'inference')
# what the GPU machine runs: Python 3.12 on Linux
MARKERS = dict(
    python_version='3.12',
    python_full_version='3.12.3',
    sys_platform='linux',
    platform_system='Linux',
    extra='')


def names(path):
    with open(path) as f:
        return {
            re.split(r'[=<>]', line.strip())[0].lower().replace('_', '-')
            for line in f if line.strip() and not line.startswith('#')
        }


def test_every_requirement_is_carried_or_on_the_machine():
    carried = names(osp.join(GPU, 'wheels.txt'))
    there = names(osp.join(GPU, 'gpu_machine_packages.txt'))
    # carry only what the machine lacks, or another version of it: mmcv's
    # build needs setuptools < 70
    assert carried & there == {'setuptools'}
    # mmcv is built there; opencv is there as opencv-python-headless
    available = carried | there | {'mmcv', 'opencv-python'}
    missing = {}
    for dist in ('mmengine', 'mmsegmentation', 'mmcv', 'ftfy', 'yapf',
                 'prettytable'):
        for line in metadata.requires(dist) or []:
            req = Requirement(line)
            if req.marker and not req.marker.evaluate(MARKERS):
                continue
            if req.name.lower().replace('_', '-') not in available:
                missing.setdefault(dist, []).append(req.name)
    assert not missing, f'neither carried nor on the GPU machine: {missing}'
    with open(osp.join(GPU, 'wheels.txt')) as f:
        pins = dict(line.strip().split('==') for line in f
                    if '==' in line and not line.startswith('#'))
    for dist in ('mmengine', 'mmsegmentation'):  # the versions CI tests
        assert pins[dist] == metadata.version(dist)


@pytest.mark.slow
@pytest.mark.skipif(
    not osp.isdir(osp.join(GPU, 'wheels')),
    reason='benchmarks/gpu/wheels/ not filled here '
    '(bash benchmarks/gpu/fetch_wheels.sh fills it)')
def test_the_wheels_install_without_an_index(tmp_path):
    wheels = [
        osp.join(GPU, 'wheels', f)
        for f in os.listdir(osp.join(GPU, 'wheels')) if f.endswith('.whl')
    ]
    assert {
        re.split(r'-\d', osp.basename(w))[0].lower().replace('_', '-')
        for w in wheels
    } == names(osp.join(GPU, 'wheels.txt'))
    assert osp.isfile(osp.join(GPU, 'wheels', 'mmcv-2.1.0.tar.gz'))
    result = subprocess.run(
        [
            sys.executable, '-m', 'pip', 'install', '-q', '--no-index',
            '--no-deps', '--target',
            str(tmp_path)
        ] + wheels,
        capture_output=True,
        text=True)
    assert result.returncode == 0, result.stderr
    for package in ('mmengine', 'mmseg', 'addict', 'yapf', 'termcolor',
                    'prettytable', 'ftfy', 'wcwidth', 'platformdirs'):
        assert osp.isdir(tmp_path / package), package


def run_command(tmp_path, *args):
    return subprocess.run([
        'bash',
        osp.join(GPU, 'run.sh'), '--device', 'cpu', '--quick', '--out',
        str(tmp_path), *args
    ],
                          env=dict(os.environ, PYTHON=sys.executable),
                          capture_output=True,
                          text=True,
                          timeout=1200)


@pytest.mark.slow
@pytest.mark.gpu_dry_run
def test_cpu_dry_run_checks_measures_and_renders(tmp_path):
    result = run_command(tmp_path)
    out = result.stdout
    assert result.returncode == 0, (out + result.stderr)[-3000:]
    assert 'all checks passed on cpu' in out
    assert re.search(r'EncHead bfloat16 grad: ours [\d.e+-]+ .*: ok', out)
    for step in ('check', ) + STEPS:
        assert re.search(rf'== {step}: [\d.]+ s \(ok\)', out), step
    for step in STEPS:
        with open(tmp_path / f'{step}.json') as f:
            record = json.load(f)
        assert record['results'] and record['date'] and record['torch']
        assert record['settings']['device'] == 'cpu'
    report = (tmp_path / 'results.md').read_text()
    assert report.startswith('## cpu dry run')
    assert all(f'### {step}\n' in report for step in STEPS)


@pytest.mark.slow
@pytest.mark.gpu_dry_run
def test_the_limit_stops_the_run_and_keeps_the_records(tmp_path):
    # 50 s: the check and the Encoding step (about 35 s here) finish, the
    # scaling step is stopped at the limit, the rest are skipped
    result = run_command(tmp_path, '--limit', '50')
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    finished = set(re.findall(r'== (\w+): [\d.]+ s \(ok\)', out))
    cut = re.findall(r'== (\w+): (?:skipped|stopped)', out)
    assert 'inference' in cut, out[-3000:]
    assert finished | set(cut) == {'check', *STEPS}, out[-3000:]
    written = {f[:-5] for f in os.listdir(tmp_path) if f.endswith('.json')}
    assert written == finished - {'check'}, out[-3000:]
    report = (tmp_path / 'results.md').read_text()
    assert {step for step in STEPS if f'### {step}\n' in report} == written
