"""SIFT Flow: the converter (tools/dataset_converters/siftflow.py) and
SiftFlowDataset on a tiny release the tests write, every bad input the
converter refuses, and the real data in ../shared/siftflow when it is there
(research use: never copied into the repository)."""
import glob
import importlib.util
import os
import os.path as osp
import zipfile

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmseg.registry import DATASETS
from PIL import Image
from scipy.io import loadmat, savemat

from mmseg_encnet.datasets.siftflow import CLASSES, PALETTE
from helpers import ROOT  # noqa: E402

SHARED = osp.realpath(osp.join(ROOT, '..', 'shared', 'siftflow'))
FOLDER = 'spatial_envelope_256x256_static_8outdoorcategories'
_spec = importlib.util.spec_from_file_location(
    'siftflow_converter',
    osp.join(ROOT, 'tools', 'dataset_converters', 'siftflow.py'))
converter = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(converter)


def names_cell():
    cell = np.empty((1, len(CLASSES)), dtype=object)
    for i, name in enumerate(CLASSES):
        cell[0, i] = np.array([name])
    return cell


def write_release(root, names, size=(12, 16), **mat_override):
    """A release of ``names`` (jpg + mat each) under ``root``; returns the
    label matrices S by name."""
    images = osp.join(root, 'Images', FOLDER)
    labels = osp.join(root, 'SemanticLabels', FOLDER)
    os.makedirs(images, exist_ok=True)
    os.makedirs(labels, exist_ok=True)
    rng = np.random.default_rng(0)
    matrices = {}
    for name in names:
        cv2.imwrite(
            osp.join(images, f'{name}.jpg'),
            rng.integers(0, 255, (*size, 3), dtype=np.uint8))
        S = rng.integers(0, len(CLASSES) + 1, size).astype(np.float64)
        matrices[name] = S
        mat = dict(S=S, names=names_cell())
        mat.update(mat_override.get(name, {}))
        savemat(osp.join(labels, f'{name}.mat'), mat)
    return matrices


def write_list(path, lines):
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return str(path)


NAMES = [
    'coast_a1', 'coast_b2', 'forest_c3', 'street_d4', 'street_e5', 'highway_f6'
]


@pytest.fixture
def release(tmp_path):
    root = str(tmp_path / 'SiftFlow')
    matrices = write_release(root, NAMES)
    val = write_list(tmp_path / 'val.txt', ['coast_b2', 'street_e5'])
    return root, matrices, val


def test_converts_into_mmseg_layout(release, tmp_path):
    root, matrices, val = release
    # the three spellings of a test image name
    test = write_list(tmp_path / 'test.txt', [
        'forest_c3', 'highway_f6.jpg', 'Images\\spatial_envelope\\coast_a1.jpg'
    ])
    out = str(tmp_path / 'out')
    converter.main(
        [root, '--out', out, '--test-list', test, '--val-list', val])
    split = {
        s:
        sorted(
            osp.basename(p)[:-4]
            for p in glob.glob(osp.join(out, 'img_dir', s, '*.jpg')))
        for s in ('train', 'val', 'test')
    }
    assert split == dict(
        train=['street_d4'],
        val=['coast_b2', 'street_e5'],
        test=['coast_a1', 'forest_c3', 'highway_f6'])
    for s, names in split.items():
        for name in names:
            label = np.array(
                Image.open(osp.join(out, 'ann_dir', s, f'{name}.png')))
            expected = matrices[name].astype(np.int64) - 1
            expected[expected < 0] = 255
            assert np.array_equal(label, expected)
            with open(osp.join(out, 'img_dir', s, f'{name}.jpg'), 'rb') as f:
                copied = f.read()
            with open(osp.join(root, 'Images', FOLDER, f'{name}.jpg'),
                      'rb') as f:
                assert copied == f.read()


def test_dataset_reads_the_converted_layout(release, tmp_path):
    root, matrices, val = release
    out = str(tmp_path / 'out')
    converter.main([root, '--out', out, '--val-list', val])
    dataset = DATASETS.build(
        dict(
            type='mmseg_encnet.SiftFlowDataset',
            data_root=out,
            data_prefix=dict(
                img_path='img_dir/val', seg_map_path='ann_dir/val'),
            pipeline=[dict(type='LoadAnnotations')]))
    assert dataset.metainfo['classes'] == CLASSES
    assert len(CLASSES) == len(PALETTE) == 33
    assert len({tuple(c) for c in PALETTE}) == 33
    assert len(dataset) == 2
    assert osp.basename(dataset.get_data_info(0)['img_path']) == 'coast_b2.jpg'
    label = dataset[0]['gt_seg_map']
    S = matrices['coast_b2']
    assert (label[S == 0] == 255).all()
    assert np.array_equal(label[S > 0], S[S > 0] - 1)


def test_reads_the_release_zip_and_its_test_list(release, tmp_path):
    root, _, val = release
    with open(osp.join(root, 'TestSet1.txt'), 'w') as f:
        f.write('Images/spatial_envelope/street_d4.jpg\n')
    archive = str(tmp_path / 'SiftFlowDataset.zip')
    with zipfile.ZipFile(archive, 'w') as z:
        for path in glob.glob(osp.join(root, '**', '*'), recursive=True):
            if osp.isfile(path):
                z.write(path, osp.join('SiftFlow', osp.relpath(path, root)))
    out = str(tmp_path / 'out')
    converter.main([archive, '--out', out, '--val-list', val])
    assert os.listdir(osp.join(out, 'ann_dir', 'test')) == ['street_d4.png']
    assert len(os.listdir(osp.join(out, 'img_dir', 'train'))) == 3


BAD = {
    'no S':
    (dict(street_d4=dict(S=None)), r'street_d4\.mat: no label matrix S'),
    'label 34': (dict(street_d4=dict(S=np.full((12, 16), 34.))),
                 r'street_d4\.mat: 192 values of S outside the integers 0-33'),
    'label -1': (dict(street_d4=dict(S=np.full((12, 16), -1.))),
                 r'street_d4\.mat: .* outside the integers 0-33'),
    'label 2.5': (dict(street_d4=dict(S=np.full((12, 16), 2.5))),
                  r'street_d4\.mat: .* outside the integers 0-33'),
    'wrong size': (dict(street_d4=dict(S=np.ones((12, 15)))),
                   r'street_d4\.mat: S is \(12, 15\), its image \(12, 16\)'),
    'other names':
    (dict(street_d4=dict(names=np.array([['sky']], dtype=object))),
     r'street_d4\.mat: names are'),
}


@pytest.mark.parametrize('case', list(BAD))
def test_bad_label_files_are_named(tmp_path, case, capsys):
    override, message = BAD[case]
    root = str(tmp_path / 'SiftFlow')
    write_release(root, NAMES[:4])
    mat = osp.join(root, 'SemanticLabels', FOLDER, 'street_d4.mat')
    content = {k: v for k, v in loadmat(mat).items() if not k.startswith('__')}
    content.update(override['street_d4'])
    savemat(mat, {k: v for k, v in content.items() if v is not None})
    val = write_list(tmp_path / 'val.txt', ['coast_a1'])
    out = tmp_path / 'out'
    with pytest.raises(SystemExit, match=message):
        converter.main([root, '--out', str(out), '--val-list', val])
    assert not out.exists()  # nothing written
    assert [
        p.name for p in tmp_path.iterdir() if p.name.startswith('.siftflow')
    ] == []


@pytest.mark.parametrize('remove, message', [
    ('Images/{}/forest_c3.jpg',
     r'SemanticLabels/.*/forest_c3\.mat: no \.jpg image of the same name'),
    ('SemanticLabels/{}/forest_c3.mat',
     r'Images/.*/forest_c3\.jpg: no \.mat label of the same name'),
])
def test_unpaired_files_are_named(release, tmp_path, remove, message):
    root, _, val = release
    os.remove(osp.join(root, remove.format(FOLDER)))
    with pytest.raises(SystemExit, match=message):
        converter.main(
            [root, '--out',
             str(tmp_path / 'out'), '--val-list', val])


def test_list_naming_a_missing_image_is_refused(release, tmp_path):
    root, _, val = release
    test = write_list(tmp_path / 'test.txt', ['coast_a1', 'coast_zz9.jpg'])
    with pytest.raises(
            SystemExit, match=r'test list: 1 images not in .*coast_zz9'):
        converter.main([
            root, '--out',
            str(tmp_path / 'out'), '--test-list', test, '--val-list', val
        ])
    test = write_list(tmp_path / 'test.txt', ['coast_b2'])
    with pytest.raises(SystemExit, match='both the test and the validation'):
        converter.main([
            root, '--out',
            str(tmp_path / 'out'), '--test-list', test, '--val-list', val
        ])


def test_existing_output_is_kept(release, tmp_path):
    root, _, val = release
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'mine.txt').write_text('keep')
    with pytest.raises(SystemExit, match='not an empty folder'):
        converter.main([root, '--out', str(out), '--val-list', val])
    assert (out / 'mine.txt').read_text() == 'keep'


def test_not_a_release(tmp_path):
    (tmp_path / 'src').mkdir()
    with pytest.raises(SystemExit, match='no Images/.*original release'):
        converter.main([str(tmp_path / 'src'), '--out', str(tmp_path / 'out')])


def test_validation_list_is_balanced_over_the_scene_kinds():
    with open(converter.VAL_LIST) as f:
        names = converter.read_name_list(f.read(), converter.VAL_LIST)
    kinds = [n.split('_')[0] for n in names]
    assert len(names) == len(set(names)) == 256
    assert {
        k: kinds.count(k)
        for k in set(kinds)
    } == {
        k: 32
        for k in ('coast', 'forest', 'highway', 'insidecity', 'mountain',
                  'opencountry', 'street', 'tallbuilding')
    }


shared = pytest.mark.skipif(
    not osp.isdir(SHARED), reason=f'SIFT Flow is not at {SHARED}')


@shared
def test_shared_release_converts(tmp_path):
    """The 2488 training images: counts, classes, a pair equal to its .mat
    and the recipes' class weights recomputed from train/."""
    out = str(tmp_path / 'siftflow')
    converter.main([SHARED, '--out', out])
    counts = {
        s: len(os.listdir(osp.join(out, 'ann_dir', s)))
        for s in ('train', 'val', 'test')
    }
    assert counts == dict(train=2232, val=256, test=0)
    mat = loadmat(
        osp.join(SHARED, 'SemanticLabels', FOLDER, 'coast_art1130.mat'))
    assert tuple(str(n[0]) for n in mat['names'].ravel()) == CLASSES
    split = 'val' if osp.isfile(
        osp.join(out, 'ann_dir', 'val', 'coast_art1130.png')) else 'train'
    label = np.array(
        Image.open(osp.join(out, 'ann_dir', split, 'coast_art1130.png')))
    S = mat['S']
    assert (label[S == 0] == 255).all()
    assert np.array_equal(label[S > 0], S[S > 0] - 1)

    pixels = np.zeros(256, np.int64)
    images = np.zeros(256, np.int64)
    paths = glob.glob(osp.join(out, 'ann_dir', 'train', '*.png'))
    for path in paths:
        count = np.bincount(np.array(Image.open(path)).ravel(), minlength=256)
        pixels += count
        images += count > 0
    frequency = pixels[:33] / pixels[:33].sum()
    weight = np.minimum(np.sqrt(np.median(frequency) / frequency), 5)
    weight /= (weight * frequency).sum()
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', '_base_', 'datasets', 'siftflow.py'))
    np.testing.assert_allclose(cfg.class_weight, weight, atol=0.005)
    present = images[:33] / len(paths)
    np.testing.assert_allclose(
        cfg.se_pos_weight, np.minimum((1 - present) / present, 50), atol=0.005)


def test_killed_conversion_leaves_no_dataset(release, tmp_path):
    """SIGKILL half-way (the converter is blocked reading the 4th training
    image, a FIFO): no ``--out`` folder, only a hidden temporary one, and a
    later conversion writes the whole dataset."""
    import signal
    import subprocess
    import sys
    import time
    root, _, val = release
    image = osp.join(root, 'Images', FOLDER, 'street_d4.jpg')
    data = open(image, 'rb').read()
    os.remove(image)
    os.mkfifo(image)
    out = tmp_path / 'out'
    cmd = [
        sys.executable,
        osp.join(ROOT, 'tools/dataset_converters/siftflow.py'), root, '--out',
        str(out), '--val-list', val
    ]
    proc = subprocess.Popen(cmd)
    written = str(tmp_path / '.siftflow-*' / 'ann_dir' / 'train' / '*.png')
    deadline = time.monotonic() + 60
    try:
        while len(glob.glob(written)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(glob.glob(written)) == 3  # coast_a1, forest_c3, highway_f6
    finally:
        proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL
    assert not out.exists()

    os.remove(image)
    with open(image, 'wb') as f:
        f.write(data)
    subprocess.run(cmd, check=True, capture_output=True)
    assert sorted(os.listdir(out / 'ann_dir' / 'train')) == [
        'coast_a1.png', 'forest_c3.png', 'highway_f6.png', 'street_d4.png'
    ]
