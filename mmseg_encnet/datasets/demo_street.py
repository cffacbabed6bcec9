"""A small synthetic street-scene dataset in Cityscapes layout.

Built so that global context decides the label, which is what EncNet's
context encoding is for: the ground of every scene is drawn with one and the
same texture, and it is ``road`` in a city and ``water`` in a harbour; the
buildings (towers or low halls, either in either scene) are ``building`` in
a city and ``boathouse`` in a harbour. The only thing that tells the scenes
apart is one vehicle in the outer quarter of the scene's width, a car in
a city and a boat in a harbour: most of the ground and the buildings lie
farther from it than a plain FCN's effective receptive field, so they can
only be labelled from the image's global context. Which classes are present
(car, road and building, or boat, water and boathouse) is a scene-level
fact: the SE-loss's territory.

Layout written under ``data_root`` (as mmseg's ``CityscapesDataset`` reads)::

    leftImg8bit/{train,val}/{town}/{name}_leftImg8bit.png
    gtFine/{train,val}/{town}/{name}_gtFine_labelTrainIds.png
"""
import os
import os.path as osp
import shutil
import tempfile
from typing import Tuple

import cv2
import numpy as np
from mmseg.datasets import BaseSegDataset

from ..registry import DATASETS

CLASSES = ('sky', 'building', 'road', 'water', 'car', 'boat', 'boathouse')
PALETTE = [[70, 130, 180], [70, 70, 70], [128, 64, 128], [0, 80, 160],
           [0, 0, 142], [220, 160, 40], [150, 110, 90]]
SKY, BUILDING, ROAD, WATER, CAR, BOAT, BOATHOUSE = range(len(CLASSES))
IMAGE_SIZE = (128, 256)  # (H, W), the 1:2 aspect of Cityscapes
VEHICLE_SCALE = 1.5  # cars and boats about 60x25 px: 7x3 features at 1/8
CLUE_SIDE = 0.25  # the vehicle stands in this outer share of the width
SPLITS = dict(train=160, val=40)
TOWN = 'demotown'


def _noise(rng: np.random.Generator, shape: Tuple[int, int],
           scale: int) -> np.ndarray:
    """Smooth noise of unit amplitude, features about ``scale`` px."""
    small = rng.standard_normal((shape[0] // scale + 2, shape[1] // scale + 2))
    return cv2.resize(small, shape[::-1], interpolation=cv2.INTER_CUBIC)


def _draw_towers(rng, img, label, horizon, cls):
    """A row of tall buildings with window grids, labelled ``cls``."""
    x = int(rng.integers(-20, 0))
    while x < img.shape[1]:
        width, height = int(rng.integers(28, 60)), int(rng.integers(45, 80))
        top = max(horizon - height, 2)
        grey = int(rng.integers(90, 190))
        colour = (grey, grey + int(rng.integers(-15, 15)), grey)
        cv2.rectangle(img, (x, top), (x + width, horizon), colour, -1)
        cv2.rectangle(label, (x, top), (x + width, horizon), cls, -1)
        for wy in range(top + 4, horizon - 6, 9):
            for wx in range(x + 4, x + width - 5, 8):
                cv2.rectangle(img, (wx, wy), (wx + 3, wy + 4), (40, 60, 80),
                              -1)
        x += width + int(rng.integers(0, 8))


def _draw_halls(rng, img, label, horizon, cls):
    """A row of low halls with pitched roofs, labelled ``cls``."""
    x = int(rng.integers(-20, 0))
    while x < img.shape[1]:
        width, height = int(rng.integers(30, 60)), int(rng.integers(14, 28))
        top = horizon - height
        colour = tuple(
            int(c) for c in (rng.integers(40, 90), rng.integers(60, 110),
                             rng.integers(130, 200)))
        roof = np.array([[x, top], [x + width // 2, top - 10],
                         [x + width, top]])
        cv2.rectangle(img, (x, top), (x + width, horizon), colour, -1)
        cv2.fillPoly(img, [roof], (60, 60, 110))
        cv2.rectangle(label, (x, top), (x + width, horizon), cls, -1)
        cv2.fillPoly(label, [roof], cls)
        x += width + int(rng.integers(4, 20))


def _scaled(offset: float) -> int:
    return int(round(offset * VEHICLE_SCALE))


# columns a vehicle drawn at x covers, relative to x (the boat's hull)
VEHICLE_SPAN = (_scaled(-4), _scaled(36))


def _place(points, cx: int, cy: int) -> np.ndarray:
    """Polygon ``points`` (offsets in a 40 px wide drawing, y up to 0)
    scaled by ``VEHICLE_SCALE`` and moved to ``(cx, cy)``."""
    offsets = np.round(np.array(points) * VEHICLE_SCALE).astype(np.int32)
    return offsets + np.array([cx, cy], np.int32)


def _draw_car(rng, img, label, cx, cy):
    colour = tuple(int(c) for c in rng.integers(30, 230, 3))
    body = _place([[0, -10], [34, -10], [34, 0], [0, 0]], cx, cy)
    cabin = _place([[7, -10], [11, -17], [25, -17], [29, -10]], cx, cy)
    for poly in (body, cabin):
        cv2.fillPoly(img, [poly], colour)
        cv2.fillPoly(label, [poly], CAR)
    for wx, wy in _place([[7, 0], [27, 0]], cx, cy).tolist():
        cv2.circle(img, (wx, wy), _scaled(4), (20, 20, 20), -1)
        cv2.circle(label, (wx, wy), _scaled(4), CAR, -1)


def _draw_boat(rng, img, label, cx, cy):
    colour = tuple(int(c) for c in rng.integers(30, 230, 3))
    hull = _place([[-4, -8], [36, -8], [28, 0], [4, 0]], cx, cy)
    sail = _place([[16, -9], [16, -30], [30, -9]], cx, cy)
    cv2.fillPoly(img, [hull], colour)
    cv2.fillPoly(img, [sail], (235, 235, 235))
    for poly in (hull, sail):
        cv2.fillPoly(label, [poly], BOAT)


def make_scene(seed: int) -> Tuple[np.ndarray, np.ndarray, str]:
    """One scene from its seed.

    Sky, buildings (towers or halls, either in either scene) and ground are
    drawn alike in both scene types; only the one vehicle, a car or a boat,
    in the left or right quarter of the ground, tells a city from a
    harbour.

    Returns:
        tuple: BGR image (H, W, 3) uint8, train-id labels (H, W) uint8 and the
        scene type, ``'city'`` or ``'harbour'``.
    """
    rng = np.random.default_rng(seed)
    height, width = IMAGE_SIZE
    img = np.zeros((height, width, 3), np.float32)
    label = np.zeros((height, width), np.uint8)
    horizon = int(rng.integers(62, 80))
    sky = np.array(
        [rng.uniform(210, 245),
         rng.uniform(175, 205),
         rng.uniform(110, 140)])
    img[:horizon] = sky * np.linspace(0.9, 1.1, horizon)[:, None, None]
    ground = rng.uniform(95, 135)
    img[horizon:] = ground + 12 * _noise(rng, (height - horizon, width),
                                         8)[..., None]
    img = np.clip(img, 0, 255).astype(np.uint8)
    scene = 'city' if rng.random() < 0.5 else 'harbour'
    city = scene == 'city'
    label[horizon:] = ROAD if city else WATER
    draw_buildings = _draw_towers if rng.random() < 0.5 else _draw_halls
    draw_buildings(rng, img, label, horizon, BUILDING if city else BOATHOUSE)
    draw_vehicle = _draw_car if city else _draw_boat
    # the vehicle within the left CLUE_SIDE of the width or, mirrored, within
    # the right one
    low, high = VEHICLE_SPAN
    x = int(rng.integers(-low, int(width * CLUE_SIDE) - high))
    if rng.random() < 0.5:
        x = width - 1 - high - low - x
    draw_vehicle(rng, img, label, x,
                 int(rng.integers(horizon + 24, height - 4)))
    noisy = img + rng.normal(0, 6, img.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8), label, scene


def _scene_seed(seed: int, split_index: int, index: int) -> int:
    return seed * 100_000 + split_index * 10_000 + index


def make_demo_data(data_root: str,
                   seed: int = 0,
                   overwrite: bool = False) -> None:
    """Write the dataset (both splits) to ``data_root``, atomically.

    The files go to a temporary folder beside ``data_root`` that is renamed
    into place when complete, so an interrupted run leaves nothing half
    written and concurrent writers (distributed ranks) do not collide.

    Args:
        data_root (str): Folder to create.
        seed (int): Seed of the whole dataset. Default: 0.
        overwrite (bool): Replace an existing ``data_root``. Default: False.
    """
    parent = osp.dirname(osp.abspath(data_root))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix='.demo_street-', dir=parent)
    try:
        for split_index, (split, count) in enumerate(SPLITS.items()):
            img_dir = osp.join(tmp, 'leftImg8bit', split, TOWN)
            ann_dir = osp.join(tmp, 'gtFine', split, TOWN)
            os.makedirs(img_dir)
            os.makedirs(ann_dir)
            for i in range(count):
                img, label, _ = make_scene(_scene_seed(seed, split_index, i))
                name = f'{TOWN}_{split}_{i:06d}'
                cv2.imwrite(osp.join(img_dir, f'{name}_leftImg8bit.png'), img)
                cv2.imwrite(
                    osp.join(ann_dir, f'{name}_gtFine_labelTrainIds.png'),
                    label)
        if overwrite and osp.isdir(data_root):
            shutil.rmtree(data_root)
        try:
            os.rename(tmp, data_root)
        except OSError:
            if not osp.isdir(data_root):  # another writer did not win either
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def save_preview(path: str, seed: int = 0, count: int = 4) -> None:
    """Save ``count`` training scenes beside their coloured labels: the
    first ``count // 2`` cities, then as many harbours."""
    palette = np.array(PALETTE, np.uint8)[:, ::-1]  # RGB -> BGR
    rows = {'city': [], 'harbour': []}
    index = 0
    while min(len(r) for r in rows.values()) < count // 2:
        img, label, scene = make_scene(_scene_seed(seed, 0, index))
        if len(rows[scene]) < count // 2:
            rows[scene].append(np.concatenate([img, palette[label]], axis=1))
        index += 1
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    cv2.imwrite(path, np.concatenate(rows['city'] + rows['harbour'], axis=0))


@DATASETS.register_module()
class DemoStreetDataset(BaseSegDataset):
    """The synthetic street scenes of :func:`make_demo_data`.

    Args:
        generate_if_missing (bool): Write the data (seed 0) to ``data_root``
            on first use when it does not exist yet. Default: True.
        **kwargs: Arguments of :class:`mmseg.datasets.BaseSegDataset`.
    """
    METAINFO = dict(classes=CLASSES, palette=PALETTE)

    WRITES_MISSING_DATA = True  # data folders may be absent before the build

    def __init__(self, generate_if_missing: bool = True, **kwargs) -> None:
        data_root = kwargs.get('data_root')
        if generate_if_missing and data_root and not osp.isdir(data_root):
            make_demo_data(data_root)
        super().__init__(
            img_suffix='_leftImg8bit.png',
            seg_map_suffix='_gtFine_labelTrainIds.png',
            **kwargs)
