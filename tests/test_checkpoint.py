"""mmengine checkpoints load with weights_only=True; payloads are refused."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

import mmseg_encnet  # noqa: F401  (installs the allowlist)


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
        meta=dict(iter=3, seed=np.int64(0), hook_msgs=dict(last_ckpt='x')),
        state_dict=dict(w=torch.ones(2)),
        message_hub=hub.state_dict(),
        optimizer=dict(state={}, param_groups=[dict(lr=0.1)]))


def test_mmengine_checkpoint_loads_weights_only(tmp_path):
    path = tmp_path / 'ckpt.pth'
    torch.save(mmengine_like_checkpoint(), path)
    ckpt = torch.load(path, weights_only=True)
    buffer = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.current() == pytest.approx(1 / 3)
    assert buffer.mean() == pytest.approx((1 + 1 / 2 + 1 / 3) / 3)
    assert ckpt['meta']['seed'] == 0


def test_pickled_payload_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / 'payload-ran'
    path = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={}, meta=Payload(str(marker))), path)
    with pytest.raises(pickle.UnpicklingError, match='system'):
        torch.load(path, weights_only=True)
    assert not marker.exists()


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
        torch.load(path, weights_only=True)
    torch.save(dict(meta=GetAttr(HistoryBuffer, 'mean')), path)
    assert torch.load(path, weights_only=True)['meta'] is HistoryBuffer.mean


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
            pass

    def interrupted_save(checkpoint, filepath, **kwargs):
        with open(filepath, 'wb') as f:
            f.write(b'PK\x03\x04 half a checkpoint')
        raise KeyboardInterrupt('killed while saving')

    def base_save(self, out_dir, filename, *args, **kwargs):
        runner_module.save_checkpoint({}, os.path.join(out_dir, filename))

    monkeypatch.setattr(runner_module, 'save_checkpoint', interrupted_save)
    monkeypatch.setattr(runner_module.Runner, 'save_checkpoint', base_save)
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
