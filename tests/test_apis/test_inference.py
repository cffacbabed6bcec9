"""Using a trained model: mmseg's APIs, tools/infer.py, ONNX export."""
import os
import os.path as osp
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmseg.apis import MMSegInferencer, inference_model, init_model

from mmseg_encnet.apis import EncNetInferencer
from mmseg_encnet.datasets.demo_street import (CLASSES, IMAGE_SIZE, PALETTE,
                                               make_scene)
from mmseg_encnet.deploy import check_onnx, export_onnx
from helpers import ROOT  # noqa: E402

CONFIG = osp.join(ROOT, 'configs/demo/encnet_r18-d8_demo.py')


@pytest.fixture(scope='module')
def model_files(tmp_path_factory):
    """A randomly initialised demo model saved as a training checkpoint
    would be (with dataset_meta), and two demo images."""
    tmp = tmp_path_factory.mktemp('model')
    torch.manual_seed(0)
    model = init_model(CONFIG, None, device='cpu')
    checkpoint = str(tmp / 'model.pth')
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=dict(classes=CLASSES, palette=PALETTE))),
        checkpoint)
    images = tmp / 'images'
    images.mkdir()
    for i in range(2):
        cv2.imwrite(str(images / f'scene_{i}.png'), make_scene(i)[0])
    return checkpoint, str(images)


def test_presence_with_sliding_windows_is_the_max_over_windows(model_files):
    checkpoint, images = model_files
    cfg = Config.fromfile(CONFIG)
    cfg.model.test_cfg = dict(
        mode='slide', crop_size=(128, 128), stride=(64, 64))
    inferencer = EncNetInferencer(cfg, checkpoint, device='cpu')
    windows = []
    hook = inferencer.model.decode_head.se_layer.register_forward_hook(
        lambda _m, _i, out: windows.append(out.detach().sigmoid()))
    result = inferencer(
        osp.join(images, 'scene_0.png'), return_datasamples=True)
    hook.remove()
    assert len(windows) == 3  # 128x256 in 128x128 windows, stride 64
    expected = torch.cat(windows).amax(0).numpy()
    np.testing.assert_allclose(result.presence, expected, rtol=1e-6)


def test_batches_carry_each_images_presence(model_files):
    """A batch of two: each image's presence is the one it gets alone."""
    checkpoint, images = model_files
    inferencer = EncNetInferencer(CONFIG, checkpoint, device='cpu')
    paths = [osp.join(images, f'scene_{i}.png') for i in range(2)]
    together = inferencer(paths, batch_size=2, return_datasamples=True)
    for path, result in zip(paths, together):
        alone = inferencer(path, return_datasamples=True)
        np.testing.assert_allclose(
            result.presence, alone.presence, rtol=1e-5, atol=1e-6)
    assert not np.allclose(together[0].presence, together[1].presence)


def test_mmseg_apis(model_files):
    checkpoint, images = model_files
    model = init_model(CONFIG, checkpoint, device='cpu')
    assert type(model.decode_head).__module__.startswith('mmseg_encnet')
    assert model.dataset_meta['classes'] == CLASSES
    image = osp.join(images, 'scene_0.png')
    result = inference_model(model, image)
    assert result.pred_sem_seg.data.shape == (1, *IMAGE_SIZE)
    assert result.seg_logits.data.shape == (len(CLASSES), *IMAGE_SIZE)

    inferencer = MMSegInferencer(
        model=CONFIG, weights=checkpoint, device='cpu')
    out = inferencer(image, return_datasamples=True)
    torch.testing.assert_close(out.pred_sem_seg.data, result.pred_sem_seg.data)


@pytest.mark.slow
def test_infer_tool_writes_overlays_labels_and_presence(model_files, tmp_path):
    checkpoint, images = model_files
    out_dir = tmp_path / 'out'
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    result = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools/infer.py'), CONFIG, checkpoint, images,
        '--out-dir',
        str(out_dir), '--device', 'cpu'
    ],
                            capture_output=True,
                            text=True,
                            env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    names = ['scene_0.png', 'scene_1.png']
    for kind in ('vis', 'presence'):
        assert sorted(os.listdir(out_dir / kind)) == names
    assert sorted(os.listdir(
        out_dir / 'pred')) == ['00000000_pred.png', '00000001_pred.png']
    assert cv2.imread(str(out_dir / 'vis/scene_0.png')).shape == (128, 256, 3)
    # the label maps are mmseg's own predictions (inference_model), in the
    # sorted order of the folder's images
    model = init_model(CONFIG, checkpoint, device='cpu')
    for i, name in enumerate(names):
        labels = cv2.imread(
            str(out_dir / f'pred/{i:08d}_pred.png'), cv2.IMREAD_UNCHANGED)
        expected = inference_model(model, osp.join(images, name))
        np.testing.assert_array_equal(labels,
                                      expected.pred_sem_seg.data[0].numpy())


@pytest.mark.slow
def test_infer_tool_rejects_missing_images(model_files, tmp_path):
    checkpoint, _ = model_files
    result = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools/infer.py'), CONFIG, checkpoint,
        str(tmp_path / 'nothing.png'), '--out-dir',
        str(tmp_path)
    ],
                            capture_output=True,
                            text=True)
    assert result.returncode != 0
    assert 'no such image or folder: ' in result.stderr
    assert 'nothing.png' in result.stderr


@pytest.mark.parametrize('dynamic', [False, True])
def test_onnx_export_matches_pytorch(model_files, tmp_path, dynamic):
    pytest.importorskip('onnxruntime')
    checkpoint, images = model_files
    model = init_model(CONFIG, checkpoint, device='cpu')
    model.train()  # export must not depend on the caller's mode
    path = str(tmp_path / 'model.onnx')
    wrapper = export_onnx(model, (128, 256), path, dynamic=dynamic)
    assert not wrapper.training and not model.training

    img = cv2.imread(osp.join(images, 'scene_1.png'))
    real = model.data_preprocessor(
        dict(inputs=[torch.from_numpy(img).permute(2, 0, 1).float()]),
        training=False)['inputs']
    torch.manual_seed(0)
    inputs = [torch.randn(1, 3, 128, 256), real]
    if dynamic:
        inputs.append(torch.randn(2, 3, 96, 160))
    diffs = check_onnx(path, wrapper, inputs)
    print('onnxruntime vs PyTorch, largest absolute difference:', diffs)
    assert max(diffs) <= 1e-5, diffs
    import onnx
    ops = {node.op_type for node in onnx.load(path).graph.node}
    assert {'MatMul', 'Softmax'} <= ops


@pytest.fixture
def unfit_checkpoint(model_files, tmp_path):
    """The demo model's weights with one key renamed and one dropped."""
    from mmseg_encnet import checkpoint as safe_checkpoint
    checkpoint = safe_checkpoint.load(model_files[0])
    state = checkpoint['state_dict']
    state['decode_head.mystery.weight'] = state.pop(
        'decode_head.se_layer.weight')
    path = tmp_path / 'unfit.pth'
    torch.save(checkpoint, path)
    return str(path)


@pytest.mark.slow
def test_unfit_checkpoint_is_an_error_listing_keys(unfit_checkpoint, tmp_path):
    keys = r'decode_head\.mystery\.weight(.|\n)*decode_head\.se_layer\.weight'
    with pytest.raises(RuntimeError, match=keys):
        EncNetInferencer(CONFIG, unfit_checkpoint, device='cpu')
    result = subprocess.run([
        sys.executable,
        osp.join(ROOT,
                 'tools/test.py'), CONFIG, unfit_checkpoint, '--work-dir',
        str(tmp_path / 'w'), '--cfg-options',
        f'test_dataloader.dataset.data_root={tmp_path}/d',
        'test_dataloader.dataset.indices=1'
    ],
                            capture_output=True,
                            text=True,
                            cwd=tmp_path,
                            env=dict(os.environ, PYTHONWARNINGS='ignore'))
    assert result.returncode != 0
    assert re.search(keys, result.stderr), result.stderr[-3000:]


def test_inferencer_reads_classes_from_checkpoint_or_config(
        model_files, tmp_path):
    checkpoint = model_files[0]
    model = EncNetInferencer(CONFIG, checkpoint, device='cpu').model
    assert model.dataset_meta['classes'] == CLASSES
    reference = init_model(CONFIG, checkpoint, device='cpu')
    for (key, value), ref in zip(model.state_dict().items(),
                                 reference.state_dict().values()):
        assert torch.equal(value, ref), key
    bare = tmp_path / 'bare.pth'  # no meta, as a converted checkpoint
    torch.save(dict(state_dict=reference.state_dict()), bare)
    model = EncNetInferencer(CONFIG, str(bare), device='cpu').model
    assert model.dataset_meta['classes'] == CLASSES  # the config's dataset
    assert model.dataset_meta['palette'] == PALETTE


def test_inferencer_is_called_as_mmsegs(model_files, tmp_path):
    """mmseg's arguments in mmseg's order: a positional call writes what
    MMSegInferencer writes for it (label maps equal), plus the presence."""
    checkpoint, images = model_files
    # inputs, return_datasamples, batch_size, return_vis, show, wait_time,
    # out_dir
    args = (images, False, 1, False, False, 0)
    MMSegInferencer(
        CONFIG, checkpoint, device='cpu')(*args, str(tmp_path / 'mmseg'))
    EncNetInferencer(
        CONFIG, checkpoint, device='cpu')(*args, str(tmp_path / 'ours'))
    for folder in ('vis', 'pred'):
        theirs = sorted(os.listdir(tmp_path / 'mmseg' / folder))
        assert sorted(os.listdir(tmp_path / 'ours' / folder)) == theirs
        assert len(theirs) == 2
    for name in os.listdir(tmp_path / 'mmseg' / 'pred'):
        assert np.array_equal(
            cv2.imread(str(tmp_path / 'mmseg' / 'pred' / name)),
            cv2.imread(str(tmp_path / 'ours' / 'pred' / name)))
    assert len(os.listdir(tmp_path / 'ours' / 'presence')) == 2


def test_a_folder_is_taken_in_sorted_order(model_files, tmp_path):
    """mmengine lists a folder in directory order; the numbered label maps
    follow the inputs, so the inferencer sorts them."""
    names = [f'{i:02d}.png' for i in range(20)]
    for name in reversed(names):
        (tmp_path / name).write_bytes(b'')
    inferencer = EncNetInferencer(CONFIG, model_files[0], device='cpu')
    assert inferencer._inputs_to_list(
        str(tmp_path)) == [str(tmp_path / name) for name in names]
