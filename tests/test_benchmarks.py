"""The benchmark reports: tables come from the raw records, nothing else.

``benchmarks/`` is not part of the package; these tests pin how its scripts
turn raw records (every round of every variant) into the Markdown that
``results.md`` and the README quote.
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
from typing import Optional

import cv2
import numpy as np
import pytest

from helpers import ROOT  # noqa: E402

BENCHMARKS = osp.join(ROOT, 'benchmarks')
sys.path.insert(0, BENCHMARKS)

import data_check  # noqa: E402
import end_to_end  # noqa: E402
import seeds  # noqa: E402

import _measure  # noqa: E402
import run_all  # noqa: E402


def round_(seconds, memory_mib, share=None):
    return dict(
        seconds=seconds,
        times=[seconds],
        memory=memory_mib * 2**20,
        share=share)


def train_step_record():
    settings = dict(
        variants=['ours', 'pspnet'],
        height=64,
        width=128,
        batch=2,
        steps=1,
        rounds=3,
        device='cpu')
    results = dict(
        ours=[
            round_(2.0, 100, 0.01),
            round_(4.0, 90, 0.02),
            round_(3.0, 80, 0.03)
        ],
        pspnet=[round_(6.0, 150),
                round_(4.5, 160),
                round_(5.0, 170)])
    return _measure.make_record('train_step', settings, results)


def test_median_round_keeps_the_fields_of_one_round():
    rounds = [round_(3.0, 10), round_(1.0, 30), round_(2.0, 20)]
    assert _measure.median_round(rounds) == rounds[2]
    assert _measure.median_round(rounds[:2]) == rounds[1]  # lower median


def test_rounds_are_odd_and_captions_say_how_a_round_was_chosen():
    parser = argparse.ArgumentParser()
    _measure.add_rounds_argument(parser)
    assert parser.parse_args([]).rounds == 3
    assert parser.parse_args(['--rounds', '5']).rounds == 5
    assert parser.parse_args(['--rounds', '1']).rounds == 1  # a smoke run
    for bad in ('0', '2', '4'):
        with pytest.raises(SystemExit):
            parser.parse_args(['--rounds', bad])
    assert _measure.rounds_label(3) == 'median of 3 alternating rounds'
    assert 'lower middle one reported' in _measure.rounds_label(2)
    assert 'one round only' in _measure.rounds_label(1)


def test_train_step_table_is_the_median_round_of_each_variant():
    lines = end_to_end.render(train_step_record()).splitlines()
    assert 'median of 1 steps, median of 3 alternating rounds' in lines[0]
    # ours: median round 3.0 s / 80 MiB; pspnet: 5.0 s / 170 MiB
    assert lines[3] == ('| ours | EncNet, our head | 3.00 | 2-4 | 80 | '
                        '1.00x | 1.00x | 1.00x |')
    assert lines[4] == ('| pspnet | PSPNet (mmseg) | 5.00 | 4.5-6 | 170 | '
                        '1.67x | 0.60x | 2.12x |')
    assert lines[5] == ("Encoding layer's share of the `ours` step "
                        '(torch.profiler): 3.0%')
    assert len(lines) == 6


def test_inference_table_has_a_row_per_mode_and_variant():
    record = train_step_record()
    settings = {k: v for k, v in record['settings'].items() if k != 'batch'}
    results = record['results']
    record = _measure.make_record(
        'inference', dict(settings, modes=['whole', 'slide']),
        dict(
            whole=results,
            slide={
                v: [dict(r, seconds=r['seconds'] * 2) for r in rounds]
                for v, rounds in results.items()
            }))
    lines = end_to_end.render(record).splitlines()
    assert lines[0].startswith('R50-D8 inference, one 64x128 image, cpu')
    assert lines[1].startswith('| mode | variant | model | images/s |')
    # ours: median round 3.0 s a step, so 1/3 image/s, 1/6 in slide mode
    assert lines[3] == ('| whole | ours | EncNet, our head | 0.333 | 2-4 | '
                        '80 | 1.00x | 1.00x | 1.00x |')
    assert lines[6] == ('| slide | pspnet | PSPNet (mmseg) | 0.100 | 9-12 | '
                        '170 | 1.67x | 0.60x | 2.12x |')
    assert len(lines) == 7  # no Encoding share: training steps only


def test_data_check_table_is_the_median_round_of_each_mode():
    modes = {
        'headers': [0.3, 0.1, 0.2],
        'decode, 1 thread': [50.0, 40.0, 45.0],
        'decode, 2 threads': [21.0, 25.0, 30.0],
    }
    record = _measure.make_record(
        'data_check', dict(rounds=3), {
            'set':
            dict(
                pairs=1000,
                bytes=2.5e9,
                modes={
                    mode: [dict(seconds=s) for s in seconds]
                    for mode, seconds in modes.items()
                })
        })
    lines = data_check.render(record).splitlines()
    assert 'median of 3 alternating rounds' in lines[0]
    assert lines[1] == ('| data | pairs | MB on disk | headers | decode, 1 '
                        'thread | decode, 2 threads | decode, ms per pair (2 '
                        'threads) |')
    assert lines[3] == '| set | 1000 | 2500 | 0.2 | 45 | 25 | 25 |'
    assert len(lines) == 4


@pytest.mark.slow
def test_run_all_renders_results_from_the_records_alone(tmp_path):
    _measure.save(train_step_record(), str(tmp_path / 'train_step.json'))
    subprocess.run([
        sys.executable,
        osp.join(BENCHMARKS, 'run_all.py'), '--render', '--results',
        str(tmp_path)
    ],
                   check=True,
                   capture_output=True)
    text = (tmp_path / 'results.md').read_text()
    assert '## train_step\n\n' + end_to_end.render(train_step_record()) in text
    assert '## inference' not in text  # no record, no section
    with open(tmp_path / 'train_step.json') as f:
        assert json.load(f)['results']['pspnet'][1]['seconds'] == 4.5


def test_quick_runs_never_write_the_committed_results():
    assert run_all.results_dir(
        quick=True, results=None) == osp.join(ROOT, 'work_dirs',
                                              'benchmarks-quick')
    assert run_all.results_dir(
        quick=False, results=None) == osp.join(BENCHMARKS, 'results')
    assert run_all.results_dir(quick=True, results='elsewhere') == 'elsewhere'


def test_seeds_pass_config_options_to_every_training(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(subprocess, 'run', lambda cmd, **kwargs: calls.append(
        (cmd, kwargs)))
    config = seeds.config_path('demo', 'fcn_r18-d8_demo')
    work_dir = str(tmp_path / 'fcn_seed3')
    final = seeds.final_checkpoint(config, work_dir,
                                   ['optim_wrapper.optimizer.lr=0.05'])
    assert final == osp.join(work_dir, 'iter_1500.pth')
    seconds, parts = seeds.train(config, 3, work_dir, final, 1,
                                 ['optim_wrapper.optimizer.lr=0.05'])
    (cmd, kwargs), = calls
    options = cmd[cmd.index('--cfg-options') + 1:]
    assert options == [
        'randomness.seed=3', 'optim_wrapper.optimizer.lr=0.05',
        'default_hooks.checkpoint.max_keep_ckpts=-1'
    ]
    assert cmd[cmd.index('--work-dir') + 1] == work_dir
    assert kwargs['env']['OMP_NUM_THREADS'] == '1'
    assert seconds >= 0 and parts == 1
    # a run whose final checkpoint exists is not trained again
    (tmp_path / 'fcn_seed3' / 'iter_1500.pth').write_bytes(b'')
    assert seeds.train(config, 3, work_dir, final, 1, []) is None
    assert len(calls) == 1


def test_seeds_resume_a_stopped_run_counting_its_checkpointed_time(
        tmp_path, monkeypatch):
    config = seeds.config_path('demo', 'fcn_r18-d8_demo')
    work_dir = str(tmp_path / 'fcn_seed0')
    final = osp.join(work_dir, 'iter_1500.pth')
    last = osp.join(work_dir, 'last_checkpoint')
    now = [1.8e9]  # a clock each part moves on by 1000 s
    monkeypatch.setattr(
        seeds, 'time',
        argparse.Namespace(time=lambda: now[0], perf_counter=lambda: now[0]))
    calls = []

    def stopped_after(seconds: Optional[float]):
        """A training stopped 1000 s after its part began, its last
        checkpoint written ``seconds`` in (None: none written)."""

        def run(cmd, **kwargs):
            calls.append(cmd)
            if seconds is not None:
                with open(last, 'w') as f:
                    f.write(osp.join(work_dir, 'iter_200.pth'))
                os.utime(last, (now[0] + seconds, now[0] + seconds))
            now[0] += 1000
            raise subprocess.CalledProcessError(-15, cmd)

        return run

    for seconds in (100.0, None, 30.0):
        monkeypatch.setattr(subprocess, 'run', stopped_after(seconds))
        with pytest.raises(subprocess.CalledProcessError):
            seeds.train(config, 0, work_dir, final, 1, [])

    def finished(cmd, **kwargs):
        calls.append(cmd)
        now[0] += 700

    monkeypatch.setattr(subprocess, 'run', finished)
    seconds, parts = seeds.train(config, 0, work_dir, final, 1, [])
    assert ['--resume' in cmd for cmd in calls] == [False, True, True, True]
    # 100 s to the first part's checkpoint, none in the second, 30 s in the
    # third, all 700 s of the fourth, which finished
    assert (seconds, parts) == (830.0, 4)


def write_scalars(work_dir, part: str, rows) -> None:
    """mmengine's ``scalars.json`` of one part of a run."""
    folder = osp.join(work_dir, part, 'vis_data')
    os.makedirs(folder)
    with open(osp.join(folder, 'scalars.json'), 'w') as f:
        f.writelines(json.dumps(row) + '\n' for row in rows)


def test_iteration_clock_sums_the_logged_windows_of_every_part(tmp_path):
    from _evaluate import iteration_clock
    write_scalars(
        tmp_path,
        '20260101_000000',
        [
            dict(iter=10, time=1.0),
            dict(iter=20, time=2.0),
            dict(iter=30, time=9.0),
            dict(mIoU=5.0, time=0.5, step=30)  # a validation: not training
        ])
    # resumed from iteration 20: its iterations 21-30 replace the first's
    write_scalars(tmp_path, '20260101_010000',
                  [dict(iter=30, time=3.0),
                   dict(iter=40, time=4.0)])
    assert iteration_clock(str(tmp_path)) == {
        10: 10.0,
        20: 30.0,
        30: 60.0,
        40: 100.0
    }


def test_curve_puts_each_kept_checkpoint_at_its_share_of_the_wall_time(
        tmp_path, monkeypatch):
    write_scalars(tmp_path, '20260101_000000',
                  [dict(iter=it, time=1.0) for it in (10, 20, 30, 40)])
    for it in (20, 40):
        (tmp_path / f'iter_{it}.pth').write_bytes(b'')
    evaluated = []

    def evaluate(config, checkpoint, pairs, classes):
        evaluated.append(osp.basename(checkpoint))
        return dict(aAcc=3.0, mIoU=1.0, mAcc=2.0, iou={})

    monkeypatch.setattr(seeds._evaluate, 'evaluate', evaluate)
    # 600 s of wall time, half of the logged iteration time by iteration 20;
    # the final checkpoint is the run's own entry, not a point
    assert seeds.curve('c.py', str(tmp_path), 600.0, [], []) == [
        dict(iter=20, minutes=5.0, aAcc=3.0, mIoU=1.0, mAcc=2.0)
    ]
    assert evaluated == ['iter_20.pth']
    assert seeds.curve('c.py', str(tmp_path), None, [], []) == []


@pytest.mark.slow
def test_seeds_trains_evaluates_and_records(tmp_path, demo_data_root):
    """An FCN and an EncNet run of 4 iterations, two at a time: the record
    has both (in the recipe's order, not the order asked for), the machine,
    torch, the date and the curve through the checkpoint of iteration 2,
    and renders; a second call changes nothing; --reevaluate evaluates
    again, keeping the training's fields."""
    record = tmp_path / 'demo.json'
    cmd = [
        sys.executable,
        osp.join(BENCHMARKS, 'seeds.py'), 'demo', '--data-root',
        demo_data_root, '--work-dirs',
        str(tmp_path / 'runs'), '--json',
        str(record), '--jobs', '2', '--runs', 'fcn_r18-d8_demo:0',
        'encnet_r18-d8_demo:1', '--cfg-options', 'train_cfg.max_iters=4',
        'train_cfg.val_interval=4', 'default_hooks.checkpoint.interval=2',
        'default_hooks.logger.interval=1', 'val_dataloader.dataset.indices=2'
    ]
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    out = subprocess.run(
        cmd, capture_output=True, text=True, env=env, check=True).stdout
    with open(record) as f:
        written = json.load(f)
    assert [(r['config'], r['seed'])
            for r in written['results']] == [('encnet_r18-d8_demo', 1),
                                             ('fcn_r18-d8_demo', 0)]
    assert all(r['seconds'] > 0 for r in written['results'])
    for r in written['results']:  # iteration 2 of 4, within the wall time
        (point, ) = r['curve']
        assert point['iter'] == 2
        assert 0 < point['minutes'] < r['seconds'] / 60
        assert 0 <= point['mIoU'] <= 100
    encnet, fcn = written['results']
    # EncNet's context is summarised over its codewords; the demo's images
    # have no scene kinds
    assert 'context' not in fcn
    assert len(encnet['context']['usage']) == 16
    assert 'scene_accuracy' not in encnet['context']
    assert written['settings']['val_images'] == 40
    assert {'machine', 'torch', 'date'} <= set(written)
    assert seeds.render(written) in out
    figure = tmp_path / 'val.png'
    subprocess.run(
        cmd + ['--figure', str(figure), '--scenes', '0', '1'],
        capture_output=True,
        env=env,
        check=True)
    with open(record) as f:
        assert json.load(f)['results'] == written['results']  # nothing new
    # two scenes as rows: image | ground truth | FCN | EncNet
    image = cv2.imread(
        glob.glob(
            osp.join(demo_data_root, 'leftImg8bit', 'val', '*', '*.png'))[0])
    height, width = image.shape[:2]
    assert cv2.imread(str(figure)).shape == (2 * height, 4 * width, 3)
    assert (tmp_path / 'val_presence.png').is_file()  # EncNet's chart
    assert (tmp_path / 'val_curves.png').is_file()  # the demo's curves
    subprocess.run(
        cmd + ['--reevaluate'], capture_output=True, env=env, check=True)
    with open(record) as f:
        again = json.load(f)['results']
    for old, new in zip(written['results'], again):  # training fields kept
        assert new['seconds'] == old['seconds']
        assert new['mIoU'] == old['mIoU']


def test_seeds_table_is_computed_from_the_runs():

    def run(config, seed, road, water):
        return dict(
            config=config,
            seed=seed,
            seconds=1.0,
            threads=1,
            mIoU=(road + water) / 2,
            iou=dict(road=road, water=water))

    record = dict(
        settings=dict(
            recipe='demo',
            cfg_options=[],
            val_images=4,
            classes=['road', 'water'],
            highlight=['water']),
        date='2026-11-30',
        machine='m',
        torch='t',
        results=[
            run('a', 0, 90, 70),
            run('a', 1, 80, 60),
            run('b', 0, 50, 40)
        ])
    lines = seeds.render(record).splitlines()
    assert lines[
        3] == '| `a` | 2 | 0: 80.00, 1: 70.00 | 75.00 | 70.00-80.00 | 65.0 |'
    assert lines[4] == '| `b` | 1 | 0: 45.00 | 45.00 | 45.00-45.00 | 40.0 |'
    assert lines[-2] == '| `b` | 0 | 45.00 | 50.0 | 40.0 |'
    # each config of more than one run: its mean over them, per class
    assert lines[-1] == '| `a` | mean of 2 | 75.00 | 85.0 | 65.0 |'
    # with accuracies: their mean and spread per config, and per run with
    # its minutes and threads
    for r, (a, m) in zip(record['results'], [(90, 60), (70, 50), (80, 40)]):
        r.update(aAcc=a, mAcc=m, seconds=r['seed'] * 600.0 or None)
    lines = seeds.render(record).splitlines()
    assert lines[3] == ('| `a` | 2 | 0: 80.00, 1: 70.00 | 75.00 | 70.00-80.00 '
                        '| 55.00 | 50.00-60.00 | 80.00 | 70.00-90.00 | 65.0 |')
    assert lines[
        -3] == '| `a` | 1 | 70.00 | 70.00 | 50.00 | 10 | 1 | 80.0 | 60.0 |'
    assert lines[
        -2] == '| `b` | 0 | 45.00 | 80.00 | 40.00 | - | 1 | 50.0 | 40.0 |'
    assert lines[-1] == ('| `a` | mean of 2 | 75.00 | 80.00 | 55.00 | - | - '
                         '| 85.0 | 65.0 |')
    # runs of the recipe's configs: in its order (EncNet, then FCN), by
    # seed, however the record lists them
    for r, config in zip(record['results'],
                         ['fcn_r18-d8_demo', 'encnet_r18-d8_demo', 'b']):
        r['config'] = config
    record['results'].append(run('encnet_r18-d8_demo', 0, 90, 70))
    record['results'][-1].update(aAcc=1, mAcc=1)
    rows = [
        line.split(' | ')[:2] for line in seeds.render(record).splitlines()
        if line.startswith('| `') and 'mean of' not in line
    ]
    assert rows[-4:] == [['| `encnet_r18-d8_demo`', '0'],
                         ['| `encnet_r18-d8_demo`', '1'],
                         ['| `fcn_r18-d8_demo`', '0'], ['| `b`', '0']]


def test_presence_scores_per_class():
    from _evaluate import presence_scores
    present = np.array([[1, 0, 1], [1, 0, 0], [0, 0, 1], [1, 0, 0]], bool)
    believed = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1]], bool)
    scores = presence_scores(present, believed, ['a', 'b', 'c'])['presence']
    assert scores['a'] == dict(
        images=3, recall=pytest.approx(200 / 3), precision=100.0)
    assert scores['b'] == dict(images=0, recall=None, precision=0.0)
    assert scores['c'] == dict(images=2, recall=50.0, precision=50.0)


def test_scene_accuracy_leaves_each_image_out():
    from _evaluate import scene_accuracy
    apart = np.array([[0.0], [1.0], [10.0], [11.0]])
    assert scene_accuracy(apart, ['a', 'a', 'b', 'b']) == 100.0
    # each image is nearer the other kind's mean than its own kind's other
    # image (with itself in its kind's mean, b's would be right)
    mixed = np.array([[0.0], [10.0], [4.0], [6.0]])
    assert scene_accuracy(mixed, ['a', 'a', 'b', 'b']) == 0.0


def test_context_summarises_codeword_use_and_the_context_vector():
    import torch

    from mmseg_encnet.models.enc_head import EncModule
    from _evaluate import Context
    torch.manual_seed(0)
    module = EncModule(4, 3, norm_cfg=dict(type='BN')).eval()
    images = torch.rand(2, 1, 4, 5, 6)
    with torch.no_grad():  # before the hooks, which it would call
        projected = [module.encoding_project(x)[0].flatten(1) for x in images]
    context = Context(
        argparse.Namespace(enc_module=module, context='encoding'))
    with torch.no_grad():
        vectors = [module(x)[0][0] for x in images]
    encoding = module.encoding[0]
    usage, pooled = [], []
    for x in projected:  # (C, N): softmax over k of s_k ||x_i - d_k||^2
        distance = ((x.t()[:, None] - encoding.codewords.detach())**2).sum(2)
        usage.append((encoding.scale.detach() * distance).softmax(1).mean(0))
        pooled.append(x.mean(1))
    usage = torch.stack(usage).mean(0).double()
    summary = context.summary(['a', 'b'])
    assert summary['usage'] == pytest.approx(
        sorted((usage * 100).tolist(), reverse=True), rel=1e-5)
    assert summary['effective_codewords'] == pytest.approx(
        float(torch.exp(-(usage * usage.log()).sum())), rel=1e-5)
    np.testing.assert_allclose(context.vectors, torch.stack(vectors), 1e-6)
    np.testing.assert_allclose(context.pooled, torch.stack(pooled), 1e-6)
    # one image of each kind: none has another of its kind to be told by
    assert summary['scene_accuracy'] == dict(context=0.0, pooled=0.0)


def test_context_of_a_pooling_head_is_its_pooled_features():
    import torch

    from mmseg_encnet.models.enc_head import EncModule
    from _evaluate import Context
    module = EncModule(4, 3, norm_cfg=dict(type='BN'), context='pooling')
    context = Context(
        argparse.Namespace(enc_module=module.eval(), context='pooling'))
    with torch.no_grad():
        for x in torch.rand(2, 1, 4, 5, 6):
            module(x)
    summary = context.summary(['a', 'b'])
    assert 'usage' not in summary  # no codewords
    np.testing.assert_allclose(context.vectors, context.pooled, 1e-6)


def test_context_table_is_computed_from_the_runs():
    run = dict(
        config='e',
        seed=2,
        context=dict(
            usage=[60.0, 30.0, 10.0],
            effective_codewords=2.4,
            scene_accuracy=dict(context=70.25, pooled=55.0)))
    rows = seeds._render_context([run], 'siftflow', 8, '(now)')
    assert rows[0] == ('siftflow: what the context vector of EncNet holds, '
                       'on 8 val images (now)')
    assert rows[-1] == '| `e` | 2 | 3 | 2.4 | 60.0 | 70.2 | 55.0 |'


def test_inference_refuses_a_batch_it_would_not_record():
    result = subprocess.run([
        sys.executable,
        osp.join(BENCHMARKS, 'end_to_end.py'), 'inference', '--batch', '2'
    ],
                            capture_output=True,
                            text=True)
    assert result.returncode == 2
    assert '--batch is for train_step' in result.stderr
