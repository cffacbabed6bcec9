from types import SimpleNamespace

import numpy as np
import pytest
import torch

from mmseg_encnet.engine import NonFiniteLossHook, plot_training_curves


@pytest.mark.parametrize('value', [float('nan'), float('inf')])
def test_non_finite_loss_stops_training(value):
    hook = NonFiniteLossHook()
    runner = SimpleNamespace(iter=41, work_dir='work_dirs/x')
    outputs = {
        'loss': torch.tensor(value),
        'decode.loss_se': torch.tensor(value),
        'decode.loss_ce': torch.tensor(0.5),
        'decode.acc_seg': torch.tensor(float('nan')),  # not a loss term
    }
    with pytest.raises(
            FloatingPointError,
            match=r'iteration 42: loss=.*decode\.loss_se=') as e:
        hook.after_train_iter(runner, 0, None, outputs)
    assert 'loss_ce' not in str(e.value) and 'acc_seg' not in str(e.value)
    hook.after_train_iter(runner, 0, None, {'loss': torch.tensor(1.0)})


def test_plot_training_curves(tmp_path):
    path = tmp_path / 'curves.png'
    plot_training_curves(
        np.linspace(2, 0.1, 100), [(50, 40.0), (100, 70.5)], str(path), 'demo')
    assert path.stat().st_size > 1000


def test_non_finite_weights_are_not_saved():
    hook = NonFiniteLossHook()
    runner = SimpleNamespace(iter=7, work_dir='w')
    good = dict(state_dict=dict(a=torch.ones(2), n=torch.tensor(3)))
    hook.before_save_checkpoint(runner, good)
    bad = dict(
        state_dict=dict(a=torch.ones(2), b=torch.tensor([1., float('inf')])))
    with pytest.raises(FloatingPointError, match=r'\(b\) at iteration 7'):
        hook.before_save_checkpoint(runner, bad)


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
