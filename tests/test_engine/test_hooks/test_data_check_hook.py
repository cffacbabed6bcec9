"""DataCheckHook's check: every image/label pair opens and agrees in size."""
import re

import pytest


class PairDataset:

    def __init__(self, pairs):
        self.pairs = pairs

    def __len__(self):
        return len(self.pairs)

    def get_data_info(self, index):
        img, label = self.pairs[index]
        return dict(img_path=img, seg_map_path=label)


def test_every_unusable_pair_is_listed(tmp_path):
    from PIL import Image

    from mmseg_encnet.engine import check_image_label_pairs
    Image.new('RGB', (8, 4)).save(tmp_path / 'a.png')
    Image.new('L', (8, 4)).save(tmp_path / 'a_label.png')
    Image.new('L', (6, 4)).save(tmp_path / 'b_label.png')
    (tmp_path / 'broken.png').write_bytes(b'not an image')
    good = (str(tmp_path / 'a.png'), str(tmp_path / 'a_label.png'))
    check_image_label_pairs(PairDataset([good]))
    pairs = [
        good,
        (good[0], str(tmp_path / 'b_label.png')),
        (str(tmp_path / 'broken.png'), good[1]),
        (good[0], str(tmp_path / 'missing.png')),
    ]
    with pytest.raises(ValueError) as raised:
        check_image_label_pairs(PairDataset(pairs), workers=2)
    lines = str(raised.value).splitlines()
    assert lines[0] == '3 unusable training files (of 4 image/label pairs):'
    assert len(lines) == 4
    assert re.fullmatch(
        r"label '.*b_label\.png' is 6x4 but its image '.*a\.png' is 8x4; "
        'labels must have the size of their image', lines[1])
    assert re.fullmatch(
        r"img_path '.*broken\.png' is not a readable image: .*", lines[2])
    assert re.fullmatch(r"seg_map_path '.*missing\.png' does not exist",
                        lines[3])


def test_decode_finds_data_cut_short(tmp_path):
    """A JPEG whose header reads but whose data is cut short passes the
    header check; ``decode=True`` lists it."""
    import numpy as np
    from PIL import Image

    from mmseg_encnet.engine import check_image_label_pairs
    rng = np.random.default_rng(0)
    pairs = []
    for name in ('a', 'b', 'c'):
        Image.fromarray(rng.integers(0, 255, (32, 48, 3), np.uint8)).save(
            tmp_path / f'{name}.jpg', quality=95)
        Image.new('L', (48, 32)).save(tmp_path / f'{name}.png')
        pairs.append(
            (str(tmp_path / f'{name}.jpg'), str(tmp_path / f'{name}.png')))
    for name in ('a', 'c'):
        data = (tmp_path / f'{name}.jpg').read_bytes()
        (tmp_path / f'{name}.jpg').write_bytes(data[:len(data) // 2])
    check_image_label_pairs(PairDataset(pairs))  # headers only: fine
    with pytest.raises(ValueError) as raised:
        check_image_label_pairs(PairDataset(pairs), decode=True)
    lines = str(raised.value).splitlines()
    assert lines[0] == '2 unusable training files (of 3 image/label pairs):'
    assert len(lines) == 3
    for line, name in zip(lines[1:], ('a', 'c')):
        assert line.startswith(f"img_path '{tmp_path / name}.jpg' is not a "
                               'readable image: image file is truncated')
