"""Convert SIFT Flow (Liu, Yuen and Torralba, 2011) to mmseg's layout.

    python tools/dataset_converters/siftflow.py SRC --out data/siftflow \\
        [--test-list FILE] [--val-list FILE]

``SRC`` is the original release, unzipped or as its zip
(``SiftFlowDataset.zip``): ``Images/<folder>/NAME.jpg`` and
``SemanticLabels/<folder>/NAME.mat`` (``S``: 0 unlabeled, 1-33 the classes
in the order of ``names``). Written under ``--out``::

    img_dir/{train,val,test}/NAME.jpg    (the release's files, unchanged)
    ann_dir/{train,val,test}/NAME.png    (S - 1; unlabeled 255)

``--test-list`` names the test images, one per line (``coast_natu975``,
``coast_natu975.jpg`` or with a leading path); without it the release's
``TestSet1.txt`` is used when ``SRC`` has one, else ``test/`` stays empty.
The validation split is the fixed list beside this script (32 training
images of each of the eight scene kinds), the same for everyone; the rest
is ``train/``. Any bad input stops the conversion, naming the file, before
anything is written.
"""
import argparse
import io
import os
import os.path as osp
import re
import shutil
import tempfile
import zipfile
from typing import Callable, Dict, List, Optional, Set

import cv2
import numpy as np
from scipy.io import loadmat

from mmseg_encnet.datasets.siftflow import CLASSES

VAL_LIST = osp.join(osp.dirname(osp.abspath(__file__)), 'siftflow_val.txt')
IGNORE = 255


class SiftFlowError(ValueError):
    """Bad input, with the file it comes from in the message."""


class Source:
    """The release's images and labels by name, in a folder or a zip."""

    def __init__(self, path: str) -> None:
        if osp.isdir(path):
            members = [
                osp.relpath(osp.join(d, f), path)
                for d, _, files in os.walk(path) for f in files
            ]
            self._read: Callable[
                [str], bytes] = lambda m: open(osp.join(path, m), 'rb').read()
        elif zipfile.is_zipfile(path):
            archive = zipfile.ZipFile(path)
            members = [m for m in archive.namelist() if not m.endswith('/')]
            self._read = archive.read
        else:
            raise SiftFlowError(
                f'{path}: expected the SIFT Flow release, a folder or a zip')
        self.path = path
        self.images = self._by_name(members, 'Images', '.jpg')
        self.labels = self._by_name(members, 'SemanticLabels', '.mat')
        self.test_list = next(
            (m for m in members if osp.basename(m) == 'TestSet1.txt'), None)
        if not self.images and not self.labels:
            raise SiftFlowError(
                f'{path}: no Images/*/*.jpg or SemanticLabels/*/*.mat in it '
                '(the layout of the original release)')

    @staticmethod
    def _by_name(members: List[str], top: str, suffix: str) -> Dict[str, str]:
        found = {}
        for member in members:
            parts = re.split(r'[\\/]', member)
            if top in parts[:-1] and parts[-1].endswith(suffix):
                found[parts[-1][:-len(suffix)]] = member
        return found

    def read(self, member: str) -> bytes:
        return self._read(member)

    def where(self, member: str) -> str:
        return osp.join(self.path, member)


def read_name_list(text: str, where: str) -> List[str]:
    """Image names of a list file: one per line, bare or with ``.jpg`` or a
    leading path (either separator); blank lines are skipped."""
    names = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        name = re.split(r'[\\/]', line)[-1]
        name = name[:-4] if name.lower().endswith('.jpg') else name
        if not re.fullmatch(r'[\w.-]+', name):
            raise SiftFlowError(
                f'{where}, line {number}: expected an image name such as '
                f'coast_natu975, got {line!r}')
        names.append(name)
    return names


def read_label(data: bytes, where: str, shape: tuple) -> np.ndarray:
    """``S`` of a label ``.mat`` as uint8 class ids (0-32, unlabeled 255)."""
    try:
        mat = loadmat(io.BytesIO(data))
    except Exception as error:  # scipy raises several types
        raise SiftFlowError(f'{where}: not a readable .mat ({error})')
    if 'S' not in mat:
        keys = sorted(k for k in mat if not k.startswith('__'))
        raise SiftFlowError(
            f'{where}: no label matrix S (has {keys}); expected S with 0 '
            'for unlabeled and 1-33 for the classes')
    names = mat.get('names')
    if names is not None:
        found = tuple(str(np.squeeze(n)) for n in np.ravel(names))
        if found != CLASSES:
            raise SiftFlowError(
                f'{where}: names are {found}, expected the 33 classes of '
                f'SIFT Flow in order, {CLASSES}')
    label = np.asarray(mat['S'])
    if label.shape != shape:
        raise SiftFlowError(f'{where}: S is {label.shape}, its image '
                            f'{shape}')
    bad = (label != np.round(label)) | (label < 0) | (label > len(CLASSES))
    if bad.any():
        raise SiftFlowError(
            f'{where}: {int(bad.sum())} values of S outside the integers '
            f'0-{len(CLASSES)} (e.g. {label[bad].flat[0]!r})')
    label = label.astype(np.int64) - 1
    label[label < 0] = IGNORE
    return label.astype(np.uint8)


def split_names(source: Source, test: Set[str],
                val: Set[str]) -> Dict[str, List[str]]:
    """Check the pairs and the lists; names of train, val and test."""
    only_images = sorted(set(source.images) - set(source.labels))
    only_labels = sorted(set(source.labels) - set(source.images))
    for missing, have, lack in ((only_images, source.images, '.mat label'),
                                (only_labels, source.labels, '.jpg image')):
        if missing:
            more = ', ...' if len(missing) > 5 else ''
            raise SiftFlowError(
                f'{source.where(have[missing[0]])}: no {lack} of the same '
                f"name ({len(missing)} such files: {', '.join(missing[:5])}"
                f'{more})')
    for names, what in ((test, 'test list'), (val, 'validation list')):
        absent = sorted(names - set(source.images))
        if absent:
            raise SiftFlowError(
                f'{what}: {len(absent)} images not in {source.path} '
                f"(e.g. {', '.join(absent[:5])})")
    both = sorted(test & val)
    if both:
        raise SiftFlowError(f"images in both the test and the validation "
                            f"list: {', '.join(both[:5])}")
    names = sorted(source.images)
    return dict(
        train=[n for n in names if n not in test and n not in val],
        val=[n for n in names if n in val],
        test=[n for n in names if n in test])


def convert(source: Source, out: str, splits: Dict[str, List[str]]) -> None:
    """Write every split; everything is read and checked into a temporary
    folder beside ``out``, which becomes ``out`` only when complete."""
    parent = osp.dirname(osp.abspath(out))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix='.siftflow-', dir=parent)
    try:
        for split, names in splits.items():
            img_dir = osp.join(tmp, 'img_dir', split)
            ann_dir = osp.join(tmp, 'ann_dir', split)
            os.makedirs(img_dir)
            os.makedirs(ann_dir)
            for name in names:
                jpg = source.read(source.images[name])
                image = cv2.imdecode(
                    np.frombuffer(jpg, np.uint8), cv2.IMREAD_COLOR)
                if image is None:
                    raise SiftFlowError(
                        f'{source.where(source.images[name])}: not a '
                        'readable JPEG')
                mat = source.labels[name]
                label = read_label(
                    source.read(mat), source.where(mat), image.shape[:2])
                with open(osp.join(img_dir, f'{name}.jpg'), 'wb') as f:
                    f.write(jpg)
                cv2.imwrite(osp.join(ann_dir, f'{name}.png'), label)
        if osp.isdir(out):
            os.rmdir(out)  # empty: checked by main
        os.rename(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='the release: a folder or its zip')
    parser.add_argument(
        '--out', required=True, help='dataset root to write (new or empty)')
    parser.add_argument(
        '--test-list',
        help='test image names, one per line (default: the release\'s '
        'TestSet1.txt, if any)')
    parser.add_argument(
        '--val-list',
        default=VAL_LIST,
        help='validation image names (default: the fixed list of this '
        'project)')
    args = parser.parse_args(argv)
    if osp.exists(args.out) and (not osp.isdir(args.out)
                                 or os.listdir(args.out)):
        raise SystemExit(f'{args.out} exists and is not an empty folder; '
                         'nothing was written')
    try:
        if not osp.exists(args.src):
            raise SiftFlowError(f'{args.src}: no such file or folder')
        source = Source(args.src)
        test: List[str] = []
        if args.test_list:
            with open(args.test_list) as f:
                test = read_name_list(f.read(), args.test_list)
        elif source.test_list:
            test = read_name_list(
                source.read(source.test_list).decode(),
                source.where(source.test_list))
        with open(args.val_list) as f:
            val = read_name_list(f.read(), args.val_list)
        splits = split_names(source, set(test), set(val))
        convert(source, args.out, splits)
    except SiftFlowError as error:
        raise SystemExit(f'error: {error}') from None
    print(f'wrote {args.out}: ' +
          ', '.join(f'{split} {len(names)}'
                    for split, names in splits.items()))


if __name__ == '__main__':
    main()
