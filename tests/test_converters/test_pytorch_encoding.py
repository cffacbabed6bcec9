"""PyTorch-Encoding EncNet checkpoints convert to our keys and outputs."""
import pytest
import torch
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import nn

from mmseg_encnet.converters.pytorch_encoding import convert_pytorch_encoding
from helpers import ROOT

NUM_CLASSES, CODES = 5, 4


class AuthorsEncoding(nn.Module):
    """The authors' Encoding layer, written from the paper's formula."""

    def __init__(self, channels, num_codes):
        super().__init__()
        self.codewords = nn.Parameter(torch.randn(num_codes, channels))
        self.scale = nn.Parameter(-torch.rand(num_codes))

    def forward(self, x):
        x = x.flatten(2).transpose(1, 2)  # B, N, C
        residual = x.unsqueeze(2) - self.codewords  # B, N, K, C
        weights = F.softmax(self.scale * residual.pow(2).sum(3), dim=2)
        return (weights.unsqueeze(3) * residual).sum(1)


def cbr(cin, cout, k):
    return [
        nn.Conv2d(cin, cout, k, padding=k // 2, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU()
    ]


class AuthorsEncNetHead(nn.Module):
    """PyTorch-Encoding's EncHead (module names as in their checkpoints)."""

    def __init__(self, in_channels, channels, lateral):
        super().__init__()
        self.lateral = lateral
        self.conv5 = nn.Sequential(*cbr(in_channels[-1], channels, 3))
        if lateral:
            self.connect = nn.ModuleList(
                nn.Sequential(*cbr(c, channels, 1)) for c in in_channels[:-1])
            self.fusion = nn.Sequential(*cbr(3 * channels, channels, 3))
        self.encmodule = nn.Module()
        self.encmodule.encoding = nn.Sequential(
            *cbr(channels, channels, 1), AuthorsEncoding(channels, CODES),
            nn.BatchNorm1d(CODES), nn.ReLU())
        self.encmodule.fc = nn.Sequential(
            nn.Linear(channels, channels), nn.Sigmoid())
        self.encmodule.selayer = nn.Linear(channels, NUM_CLASSES)
        self.conv6 = nn.Sequential(
            nn.Dropout2d(0.1), nn.Conv2d(channels, NUM_CLASSES, 1))

    def forward(self, c2, c3, c4):
        feat = self.conv5(c4)
        if self.lateral:
            feat = self.fusion(
                torch.cat([feat, self.connect[0](c2), self.connect[1](c3)], 1))
        context = self.encmodule.encoding(feat).mean(1)
        gamma = self.encmodule.fc(context)[..., None, None]
        out = F.relu(feat + feat * gamma)
        return self.conv6(out), self.encmodule.selayer(context)


class AuthorsEncNet(nn.Module):

    def __init__(self, lateral):
        super().__init__()
        self.pretrained = nn.Module()  # only the keys matter for the stem
        self.head = AuthorsEncNetHead([8, 16, 32], 16, lateral)
        self.auxlayer = nn.Module()
        self.auxlayer.conv5 = nn.Sequential(*cbr(16, 4, 3), nn.Dropout2d(0.1),
                                            nn.Conv2d(4, NUM_CLASSES, 1))


def our_model_cfg(lateral):
    bn = dict(type='BN')
    return dict(
        type='EncoderDecoder',
        backbone=dict(
            type='ResNetV1c',
            depth=18,
            stem_channels=8,
            base_channels=4,
            dilations=(1, 1, 2, 4),
            strides=(1, 2, 1, 1),
            norm_cfg=bn),
        decode_head=dict(
            type='mmseg_encnet.EncHead',
            in_channels=[8, 16, 32],
            in_index=(1, 2, 3),
            channels=16,
            num_codes=CODES,
            num_classes=NUM_CLASSES,
            add_lateral=lateral,
            norm_cfg=bn),
        auxiliary_head=dict(
            type='FCNHead',
            in_channels=16,
            in_index=2,
            channels=4,
            num_convs=1,
            concat_input=False,
            num_classes=NUM_CLASSES,
            norm_cfg=bn))


def authors_checkpoint(model, lateral):
    """Their state_dict: head/aux from their modules, backbone renamed."""
    torch.manual_seed(0)
    theirs = AuthorsEncNet(lateral)
    for module in theirs.modules():  # non-trivial BN statistics
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.5, 0.5)
    state = dict(theirs.state_dict())
    stem = {
        '0': 'conv1.0',
        '1': 'conv1.1',
        '3': 'conv1.3',
        '4': 'conv1.4',
        '6': 'conv1.6',
        '7': 'bn1'
    }
    for key, value in model.backbone.state_dict().items():
        if key.startswith('stem.'):
            index, rest = key[5:].split('.', 1)
            key = f'{stem[index]}.{rest}'
        state[f'pretrained.{key}'] = torch.randn_like(value.float()).to(
            value.dtype)
    state['pretrained.fc.weight'] = torch.randn(10, 32)
    state['pretrained.fc.bias'] = torch.randn(10)
    return theirs, {f'module.{k}': v for k, v in state.items()}


@pytest.mark.parametrize('lateral', [False, True])
def test_converted_weights_reproduce_their_head(lateral):
    model = MODELS.build(our_model_cfg(lateral)).eval()
    theirs, checkpoint = authors_checkpoint(model, lateral)
    converted = convert_pytorch_encoding(checkpoint)
    model.load_state_dict(converted, strict=True)
    theirs.eval()

    torch.manual_seed(1)
    feats = [torch.randn(2, c, 6, 6) for c in (4, 8, 16, 32)]
    with torch.no_grad():
        seg, se = model.decode_head(feats)
        ref_seg, ref_se = theirs.head(*feats[1:])
        aux = model.auxiliary_head(feats)
        ref_aux = theirs.auxlayer.conv5(feats[2])
    torch.testing.assert_close(seg, ref_seg, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(se, ref_se, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(aux, ref_aux, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(model.backbone.stem[7].running_var,
                               checkpoint['module.pretrained.bn1.running_var'])


def test_unknown_keys_are_refused():
    checkpoint = {
        'head.conv5.0.weight': torch.zeros(1),
        'head.mystery.weight': torch.zeros(1),
        'pretrained.layer5.0.conv1.weight': torch.zeros(1),
    }
    with pytest.raises(KeyError, match='2 keys.*head.mystery.weight'):
        convert_pytorch_encoding(checkpoint)


# Our key prefix -> the authors' (PyTorch-Encoding) key prefix.
AUTHORS_PREFIXES = [
    ('backbone.stem.7.', 'pretrained.bn1.'),
    ('backbone.stem.', 'pretrained.conv1.'),
    ('backbone.', 'pretrained.'),
    ('decode_head.bottleneck.conv.', 'head.conv5.0.'),
    ('decode_head.bottleneck.bn.', 'head.conv5.1.'),
    ('decode_head.fusion.conv.', 'head.fusion.0.'),
    ('decode_head.fusion.bn.', 'head.fusion.1.'),
    ('decode_head.enc_module.encoding_project.conv.',
     'head.encmodule.encoding.0.'),
    ('decode_head.enc_module.encoding_project.bn.',
     'head.encmodule.encoding.1.'),
    ('decode_head.enc_module.encoding.0.', 'head.encmodule.encoding.3.'),
    ('decode_head.enc_module.encoding.1.', 'head.encmodule.encoding.4.'),
    ('decode_head.enc_module.fc.0.', 'head.encmodule.fc.0.'),
    ('decode_head.se_layer.', 'head.encmodule.selayer.'),
    ('decode_head.conv_seg.', 'head.conv6.1.'),
    ('auxiliary_head.convs.0.conv.', 'auxlayer.conv5.0.'),
    ('auxiliary_head.convs.0.bn.', 'auxlayer.conv5.1.'),
    ('auxiliary_head.conv_seg.', 'auxlayer.conv5.4.'),
]


def authors_key(key):
    for i in range(2):
        prefix = f'decode_head.lateral_convs.{i}.'
        if key.startswith(prefix):
            layer = {'conv': '0', 'bn': '1'}[key[len(prefix):].split('.')[0]]
            return (f'head.connect.{i}.{layer}.' +
                    key[len(prefix):].split('.', 1)[1])
    for ours, theirs in AUTHORS_PREFIXES:
        if key.startswith(ours):
            return theirs + key[len(ours):]
    raise KeyError(key)


def build(config):
    from mmengine.config import Config
    from mmengine.model import revert_sync_batchnorm
    return revert_sync_batchnorm(MODELS.build(Config.fromfile(config).model))


@pytest.mark.slow
@pytest.mark.parametrize('depth,lateral,dataset', [
    (50, True, '4xb4-80k_pascal-context-59-480x480'),
    (101, False, '4xb4-80k_ade20k-512x512'),
])
def test_tool_detects_the_model_and_names_its_config(tmp_path, depth, lateral,
                                                     dataset):
    """A full-size authors' checkpoint: the tool prints the config that
    builds their model, and the converted weights load into it strictly."""
    import os.path as osp
    import subprocess
    import sys
    root = ROOT
    expected = osp.join(
        root, 'configs/pytorch_encoding',
        f'encnet_r{depth}s-d8{"-lateral" if lateral else ""}_{dataset}.py')
    torch.manual_seed(0)
    reference = build(expected).state_dict()
    theirs = {
        f'module.{authors_key(k)}': torch.randn_like(v.float())
        for k, v in reference.items() if not k.endswith('num_batches_tracked')
    }
    theirs['module.pretrained.fc.weight'] = torch.randn(1000, 2048)
    src, dst = tmp_path / 'theirs.pth', tmp_path / 'ours.pth'
    torch.save(dict(epoch=50, state_dict=theirs), src)

    result = subprocess.run([
        sys.executable,
        osp.join(root, 'tools/convert_pytorch_encoding.py'),
        str(src),
        str(dst)
    ],
                            capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == f'config: {osp.realpath(expected)}'
    classes = 59 if 'context' in dataset else 150
    assert (f'ResNet-{depth}s, {"with" if lateral else "without"} lateral '
            f'fusion, {classes} classes') in lines[-2]

    model = build(lines[-1][len('config: '):])
    from mmseg_encnet import checkpoint as safe_checkpoint
    converted = safe_checkpoint.load(str(dst))['state_dict']
    missing, unexpected = model.load_state_dict(converted, strict=False)
    assert not unexpected
    assert all(k.endswith('num_batches_tracked') for k in missing)
    for key, value in model.state_dict().items():
        if not key.endswith('num_batches_tracked'):
            assert torch.equal(value, theirs[f'module.{authors_key(key)}'])


def test_describe_refuses_what_it_does_not_know():
    from mmseg_encnet.converters import EncNetCheckpoint, config_for, describe
    with pytest.raises(ValueError, match='deep-stem'):
        describe({
            'head.conv6.1.weight': torch.zeros(5, 4, 1, 1),
            'pretrained.conv1.weight': torch.zeros(1)
        })
    with pytest.raises(ValueError, match='no config is shipped.*21 classes'):
        config_for(EncNetCheckpoint(101, True, 21))


class Payload:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os
        return os.system, (f'touch {self.marker}', )


@pytest.mark.slow
def test_converter_refuses_a_pickled_payload(tmp_path):
    import os.path as osp
    import subprocess
    import sys
    root = ROOT
    marker = tmp_path / 'payload-ran'
    torch.save(
        dict(state_dict={}, epoch=Payload(str(marker))), tmp_path / 'evil.pth')
    result = subprocess.run([
        sys.executable,
        osp.join(root, 'tools/convert_pytorch_encoding.py'),
        str(tmp_path / 'evil.pth'),
        str(tmp_path / 'out.pth')
    ],
                            capture_output=True,
                            text=True)
    assert result.returncode != 0
    assert 'UnpicklingError' in result.stderr and 'system' in result.stderr
    assert not marker.exists() and not (tmp_path / 'out.pth').exists()
