import os
import os.path as osp

import cv2
import numpy as np
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS

from mmseg_encnet.datasets.demo_street import (BOAT, BOATHOUSE, BUILDING, CAR,
                                               CLASSES, IMAGE_SIZE, PALETTE,
                                               ROAD, SPLITS, WATER,
                                               make_demo_data, make_scene,
                                               save_preview)


def build_dataset(root, split):
    init_default_scope('mmseg')
    return DATASETS.build(
        dict(
            type='mmseg_encnet.DemoStreetDataset',
            data_root=root,
            data_prefix=dict(
                img_path=f'leftImg8bit/{split}',
                seg_map_path=f'gtFine/{split}'),
            pipeline=[]))


def test_scenes_are_deterministic_and_context_dependent():
    img, label, scene = make_scene(7)
    img2, label2, scene2 = make_scene(7)
    assert np.array_equal(img, img2) and np.array_equal(label, label2)
    assert scene == scene2
    assert img.shape == (*IMAGE_SIZE, 3) and img.dtype == np.uint8
    scenes = {'city': [], 'harbour': []}
    boat_areas = set()
    for seed in range(40):
        img, label, scene = make_scene(seed)
        present = set(np.unique(label).tolist())
        assert present <= set(range(len(CLASSES)))
        city = {ROAD, CAR, BUILDING}
        harbour = {WATER, BOAT, BOATHOUSE}
        own, other = (city, harbour) if scene == 'city' else (harbour, city)
        assert own <= present and not present & other
        ground = label == (ROAD if scene == 'city' else WATER)
        scenes[scene].append(img[ground].mean(0))
        # the vehicle, the only clue, stands in the left or right quarter
        columns = np.flatnonzero(np.isin(label, (CAR, BOAT)).any(0))
        side = IMAGE_SIZE[1] // 4
        assert columns.max() < side or columns.min() >= IMAGE_SIZE[1] - side
        if scene == 'harbour':
            boat_areas.add(int((label == BOAT).sum()))
    # one whole boat per harbour: the same shape, moved, has the same area
    assert len(boat_areas) == 1
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
        label_path = images[0].replace('leftImg8bit', 'gtFine',
                                       1).replace('_leftImg8bit.png',
                                                  '_gtFine_labelTrainIds.png')
        label = cv2.imread(label_path, cv2.IMREAD_UNCHANGED)
        assert label.shape == IMAGE_SIZE and label.max() < len(CLASSES)

    dataset = build_dataset(root, 'val')
    assert len(dataset) == SPLITS['val']
    assert dataset.metainfo['classes'] == CLASSES


def test_dataset_generates_missing_data(tmp_path):
    dataset = build_dataset(str(tmp_path / 'generated'), 'train')
    assert len(dataset) == SPLITS['train']


def test_preview_shows_cities_then_harbours(tmp_path):
    path = str(tmp_path / 'preview.png')
    save_preview(path, count=4)
    preview = cv2.imread(path)
    height, width = IMAGE_SIZE
    assert preview.shape == (4 * height, 2 * width, 3)
    road = np.array(PALETTE[ROAD][::-1])  # BGR
    water = np.array(PALETTE[WATER][::-1])
    for row, colour in enumerate((road, road, water, water)):
        labels = preview[row * height:(row + 1) * height, width:]
        assert (labels == colour).all(-1).any()
