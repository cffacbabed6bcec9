"""DataCheckHook's check: every image/label pair opens and agrees in size."""
import pytest


class PairDataset:

    def __init__(self, pairs):
        self.pairs = pairs

    def __len__(self):
        return len(self.pairs)

    def get_data_info(self, index):
        img, label = self.pairs[index]
        return dict(img_path=img, seg_map_path=label)


def test_image_label_pairs_are_checked(tmp_path):
    from PIL import Image

    from mmseg_encnet.engine import check_image_label_pairs
    Image.new('RGB', (8, 4)).save(tmp_path / 'a.png')
    Image.new('L', (8, 4)).save(tmp_path / 'a_label.png')
    Image.new('L', (6, 4)).save(tmp_path / 'b_label.png')
    (tmp_path / 'broken.png').write_bytes(b'not an image')
    good = (str(tmp_path / 'a.png'), str(tmp_path / 'a_label.png'))
    check_image_label_pairs(PairDataset([good]))
    cases = [
        ((good[0], str(tmp_path / 'b_label.png')),
         r"b_label\.png' is 6x4 but its image .*a\.png' is 8x4"),
        ((str(tmp_path / 'broken.png'), good[1]),
         r"img_path .*broken\.png' is not a readable image"),
        ((good[0], str(tmp_path / 'missing.png')),
         r"seg_map_path .*missing\.png' does not exist"),
    ]
    for pair, message in cases:
        with pytest.raises(ValueError, match=message):
            check_image_label_pairs(PairDataset([good, pair]))
