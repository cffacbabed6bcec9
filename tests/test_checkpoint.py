"""Checkpoints are data: mmengine's own load, pickled payloads never run.

The payload checks go through every way a checkpoint reaches mmengine:
the loader dispatch, ``load_checkpoint``, ``mmseg.apis.init_model``, an
``http://`` URL, ``open-mmlab://`` names, our tools and mmseg's own
``tools/test.py`` with our config, and ``--resume``.
"""
import functools
import http.server
import os
import os.path as osp
import pickle
import re
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import CheckpointLoader, load_checkpoint

import mmseg_encnet  # noqa: F401  (routes mmengine's loaders)
from mmseg_encnet import checkpoint as safe_checkpoint
from helpers import ROOT  # noqa: E402

CONFIG = osp.join(ROOT, 'configs/demo/encnet_r18-d8_demo.py')


class Payload:
    """Runs a shell command when unpickled (if it ever is)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


def mmengine_like_checkpoint():
    hub = MessageHub.get_instance('test_checkpoint')
    for i in range(3):
        hub.update_scalar('train/loss', 1.0 / (i + 1))
    hub.update_info('iter', 3)
    return dict(
        meta=dict(
            iter=3,
            seed=np.int64(7),
            ratio=np.float32(0.5),
            dataset_meta=dict(classes=('a', 'b'), palette=[[1, 2, 3]]),
            hook_msgs=dict(last_ckpt='x')),
        state_dict=dict(w=torch.ones(2), n=torch.tensor(3)),
        message_hub=hub.state_dict(),
        optimizer=dict(
            state={0: dict(momentum_buffer=torch.zeros(2))},
            param_groups=[dict(lr=0.1, params=[0])]),
        rng_state=dict(torch=torch.get_rng_state()),
        extra=dict(
            array=np.arange(4, dtype=np.int16),
            tags={'x', 'y'},
            raw=b'\x00\xff'))


@pytest.fixture
def evil(tmp_path):
    """A checkpoint whose unpickling would create ``marker``."""
    marker = tmp_path / 'payload-ran'
    path = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={}, meta=Payload(str(marker))), path)
    yield path
    assert not marker.exists(), 'the pickled payload ran'


def test_mmengine_checkpoint_loads(tmp_path):
    path = tmp_path / 'ckpt.pth'
    torch.save(mmengine_like_checkpoint(), path)
    ckpt = CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    buffer = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.current() == pytest.approx(1 / 3)
    assert buffer.mean() == pytest.approx((1 + 1 / 2 + 1 / 3) / 3)
    assert ckpt['meta']['seed'] == 7 and ckpt['meta']['ratio'] == 0.5
    assert ckpt['meta']['dataset_meta']['classes'] == ('a', 'b')
    assert torch.equal(ckpt['rng_state']['torch'], torch.get_rng_state())
    assert np.array_equal(ckpt['extra']['array'], np.arange(4))
    assert ckpt['extra']['array'].dtype == np.int16
    assert ckpt['extra']['tags'] == {'x', 'y'}
    assert ckpt['extra']['raw'] == b'\x00\xff'


def test_every_mmengine_scheme_is_routed_through_the_safe_loader():
    for prefixes, loader in safe_checkpoint.SAFE_LOADERS.items():
        for prefix in prefixes:
            assert CheckpointLoader._schemes[prefix] is loader


@pytest.mark.parametrize('how',
                         ['load', 'dispatch', 'load_checkpoint', 'init_model'])
def test_pickled_payload_is_refused_and_never_runs(evil, how):
    with pytest.raises(
            pickle.UnpicklingError, match=r'evil\.pth: .*(posix|os)\.system'):
        if how == 'load':
            safe_checkpoint.load(evil)
        elif how == 'dispatch':
            CheckpointLoader.load_checkpoint(str(evil))
        elif how == 'load_checkpoint':
            load_checkpoint(torch.nn.Linear(1, 1), str(evil))
        else:
            from mmengine.config import Config
            from mmseg.apis import init_model
            cfg = Config.fromfile(CONFIG)
            init_model(cfg, str(evil), device='cpu')


class GetAttr:
    """Pickles as ``getattr(owner, name)``."""

    def __init__(self, owner, name):
        self.owner, self.name = owner, name

    def __reduce__(self):
        return getattr, (self.owner, self.name)


@pytest.mark.parametrize('owner,name', [(HistoryBuffer, '__init__'),
                                        (HistoryBuffer, '_statistics_methods'),
                                        (np.ndarray, 'tofile'),
                                        (torch.Tensor, 'numpy')])
def test_getattr_is_limited_to_history_buffer_statistics(
        tmp_path, owner, name):
    path = tmp_path / 'getattr.pth'
    torch.save(dict(meta=GetAttr(owner, name)), path)
    with pytest.raises(pickle.UnpicklingError, match=name):
        safe_checkpoint.load(path)
    torch.save(dict(meta=GetAttr(HistoryBuffer, 'mean')), path)
    assert safe_checkpoint.load(path)['meta'] is HistoryBuffer.mean


@pytest.fixture
def http_root(tmp_path, monkeypatch):
    """A folder served on 127.0.0.1; torch hub's cache in tmp_path."""
    served = tmp_path / 'served'
    served.mkdir()
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield served, f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()


def test_checkpoint_by_url(http_root, evil):
    served, url = http_root
    weights = dict(weight=torch.full((1, 1), 2.0), bias=torch.zeros(1))
    torch.save(dict(state_dict=weights), served / 'good.pth')
    model = torch.nn.Linear(1, 1)
    load_checkpoint(model, f'{url}/good.pth')
    assert model.weight.item() == 2.0
    assert osp.isfile(osp.join(torch.hub.get_dir(), 'checkpoints', 'good.pth'))

    (served / 'evil.pth').write_bytes(evil.read_bytes())
    with pytest.raises(pickle.UnpicklingError, match='system'):
        load_checkpoint(model, f'{url}/evil.pth')


def test_open_mmlab_names_resolve_to_the_safe_loader(http_root, evil,
                                                     monkeypatch):
    served, url = http_root
    (served / 'evil.pth').write_bytes(evil.read_bytes())
    monkeypatch.setattr(safe_checkpoint, 'get_external_models',
                        lambda: dict(resnet_evil=f'{url}/evil.pth'))
    with pytest.raises(pickle.UnpicklingError, match='system'):
        CheckpointLoader.load_checkpoint('open-mmlab://resnet_evil')


def run_tool(script, *args, cwd):
    return subprocess.run([
        sys.executable, script, CONFIG, *args, '--cfg-options',
        f'test_dataloader.dataset.data_root={cwd}/data',
        'test_dataloader.dataset.indices=2', 'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False'
    ],
                          cwd=cwd,
                          capture_output=True,
                          text=True,
                          env=dict(os.environ, PYTHONWARNINGS='ignore'))


@pytest.mark.slow
@pytest.mark.parametrize('tool', ['ours', 'mmseg'])
def test_test_tools_refuse_a_payload(tmp_path, evil, tool):
    import mmseg
    script = (
        osp.join(ROOT, 'tools/test.py') if tool == 'ours' else osp.join(
            osp.dirname(mmseg.__file__), '.mim/tools/test.py'))
    result = run_tool(
        script, str(evil), '--work-dir', str(tmp_path / 'w'), cwd=tmp_path)
    assert result.returncode != 0
    assert re.search(r'UnpicklingError: .*evil\.pth: .*system',
                     result.stderr), result.stderr[-3000:]


@pytest.mark.slow
def test_test_tool_takes_a_checkpoint_url(tmp_path, http_root):
    from mmseg.apis import init_model
    served, url = http_root
    torch.save(
        dict(state_dict=init_model(CONFIG, device='cpu').state_dict()),
        served / 'demo.pth')
    result = run_tool(
        osp.join(ROOT, 'tools/test.py'),
        f'{url}/demo.pth',
        '--work-dir',
        str(tmp_path / 'w'),
        cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'Loads checkpoint by http backend' in result.stdout + result.stderr
    assert re.search(r'Iter\(test\) \[2/2\].*mIoU',
                     result.stdout + result.stderr)


@pytest.mark.slow
def test_resume_refuses_a_payload(tmp_path, evil):
    work_dir = tmp_path / 'w'
    work_dir.mkdir()
    (work_dir / 'last_checkpoint').write_text(str(evil))
    result = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools/train.py'), CONFIG, '--resume', '--work-dir',
        str(work_dir), '--cfg-options',
        f'train_dataloader.dataset.data_root={tmp_path}/data',
        f'val_dataloader.dataset.data_root={tmp_path}/data',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False'
    ],
                            cwd=tmp_path,
                            capture_output=True,
                            text=True,
                            env=dict(os.environ, PYTHONWARNINGS='ignore'))
    assert result.returncode != 0
    assert re.search(r'UnpicklingError: .*evil\.pth: .*system',
                     result.stderr), result.stderr[-3000:]


def test_truncated_checkpoint_is_reported_on_resume(tmp_path):
    from mmseg_encnet.checkpoint import check_resumable
    good = tmp_path / 'iter_2.pth'
    torch.save(dict(state_dict=dict(w=torch.ones(3))), good)
    (tmp_path / 'last_checkpoint').write_text(str(good))
    check_resumable(str(tmp_path))  # complete: fine
    data = good.read_bytes()
    bad = tmp_path / 'iter_4.pth'
    bad.write_bytes(data[:len(data) // 2])
    (tmp_path / 'last_checkpoint').write_text(str(bad))
    with pytest.raises(ValueError, match=r'iter_4\.pth is truncated'):
        check_resumable(str(tmp_path))
    check_resumable(str(tmp_path / 'empty'))  # nothing to resume: fine


def test_runner_writes_checkpoints_atomically(tmp_path, monkeypatch):
    """A save cut short leaves the previous checkpoint and no partial
    file under the final name."""
    import mmengine.runner.runner as runner_module

    from mmseg_encnet.engine import Runner

    class Stub(Runner):  # only save_checkpoint is exercised

        def __init__(self):
            self._work_dir = str(tmp_path)

    def interrupted_save(checkpoint, filepath, **kwargs):
        with open(filepath, 'wb') as f:
            f.write(b'PK\x03\x04 half a checkpoint')
        raise KeyboardInterrupt('killed while saving')

    def base_save(self, out_dir, filename, *args, **kwargs):
        runner_module.save_checkpoint({}, os.path.join(out_dir, filename))

    import mmseg_encnet.engine.runner as our_runner_module
    monkeypatch.setattr(runner_module, 'save_checkpoint', interrupted_save)
    monkeypatch.setattr(our_runner_module, 'save_checkpoint_on_this_rank',
                        base_save)
    previous = tmp_path / 'iter_2.pth'
    previous.write_bytes(b'complete')
    with pytest.raises(KeyboardInterrupt):
        Stub().save_checkpoint(str(tmp_path), 'iter_4.pth')
    assert not (tmp_path / 'iter_4.pth').exists()
    assert previous.read_bytes() == b'complete'

    monkeypatch.setattr(runner_module, 'save_checkpoint',
                        lambda c, path, **k: open(path, 'wb').write(b'ok'))
    Stub().save_checkpoint(str(tmp_path), 'iter_4.pth')
    assert (tmp_path / 'iter_4.pth').read_bytes() == b'ok'
    assert not (tmp_path / '.iter_4.pth.partial').exists()
