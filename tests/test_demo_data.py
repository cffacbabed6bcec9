import os
import os.path as osp

import cv2
import numpy as np
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS

from mmseg_encnet.datasets.demo_street import (BOAT, CAR, CLASSES,
                                               IMAGE_SIZE, ROAD, SPLITS,
                                               WATER, make_demo_data,
                                               make_scene)


def build_dataset(root, split):
    init_default_scope('mmseg')
    return DATASETS.build(
        dict(
            type='mmseg_encnet.DemoStreetDataset',
            data_root=root,
            data_prefix=dict(
                img_path=f'leftImg8bit/{split}', seg_map_path=f'gtFine/{split}'),
            pipeline=[]))


def test_scenes_are_deterministic_and_context_dependent():
    img, label, scene = make_scene(7)
    img2, label2, scene2 = make_scene(7)
    assert np.array_equal(img, img2) and np.array_equal(label, label2)
    assert scene == scene2
    assert img.shape == (*IMAGE_SIZE, 3) and img.dtype == np.uint8
    scenes = {'city': [], 'harbour': []}
    for seed in range(40):
        img, label, scene = make_scene(seed)
        present = set(np.unique(label).tolist())
        assert present <= set(range(len(CLASSES)))
        if scene == 'city':
            assert ROAD in present and CAR in present
            assert not present & {WATER, BOAT}
            ground = label == ROAD
        else:
            assert WATER in present and BOAT in present
            assert not present & {ROAD, CAR}
            ground = label == WATER
        scenes[scene].append(img[ground].mean(0))
    # Road and water look the same: the same ground colour distribution.
    assert len(scenes['city']) > 5 and len(scenes['harbour']) > 5
    city, harbour = (np.mean(v, 0) for v in scenes.values())
    assert np.abs(city - harbour).max() < 12


def test_dataset_in_cityscapes_layout(tmp_path):
    root = str(tmp_path / 'demo')
    make_demo_data(root, seed=3)
    for split, count in SPLITS.items():
        images = sorted(
            osp.join(root, 'leftImg8bit', split, 'demotown', f)
            for f in os.listdir(
                osp.join(root, 'leftImg8bit', split, 'demotown')))
        assert len(images) == count
        label_path = images[0].replace('leftImg8bit', 'gtFine', 1).replace(
            '_leftImg8bit.png', '_gtFine_labelTrainIds.png')
        label = cv2.imread(label_path, cv2.IMREAD_UNCHANGED)
        assert label.shape == IMAGE_SIZE and label.max() < len(CLASSES)

    dataset = build_dataset(root, 'val')
    assert len(dataset) == SPLITS['val']
    assert dataset.metainfo['classes'] == CLASSES


def test_dataset_generates_missing_data(tmp_path):
    dataset = build_dataset(str(tmp_path / 'generated'), 'train')
    assert len(dataset) == SPLITS['train']
