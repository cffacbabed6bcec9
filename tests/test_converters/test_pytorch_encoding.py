"""PyTorch-Encoding EncNet checkpoints convert to our keys and outputs."""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import nn

from mmseg_encnet import checkpoint as safe_checkpoint
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

    def __init__(self, in_channels, channels, lateral, codes, num_classes):
        super().__init__()
        self.lateral = lateral
        self.conv5 = nn.Sequential(*cbr(in_channels[-1], channels, 3))
        if lateral:
            self.connect = nn.ModuleList(
                nn.Sequential(*cbr(c, channels, 1)) for c in in_channels[:-1])
            self.fusion = nn.Sequential(*cbr(3 * channels, channels, 3))
        self.encmodule = nn.Module()
        self.encmodule.encoding = nn.Sequential(
            *cbr(channels, channels, 1), AuthorsEncoding(channels, codes),
            nn.BatchNorm1d(codes), nn.ReLU())
        self.encmodule.fc = nn.Sequential(
            nn.Linear(channels, channels), nn.Sigmoid())
        self.encmodule.selayer = nn.Linear(channels, num_classes)
        self.conv6 = nn.Sequential(
            nn.Dropout2d(0.1), nn.Conv2d(channels, num_classes, 1))

    def forward(self, c2, c3, c4):
        feat = self.conv5(c4)
        if self.lateral:
            feat = self.fusion(
                torch.cat([feat, self.connect[0](c2), self.connect[1](c3)], 1))
        context = self.encmodule.encoding(feat).mean(1)
        gamma = self.encmodule.fc(context)[..., None, None]
        out = F.relu(feat + feat * gamma)
        return self.conv6(out), self.encmodule.selayer(context)


class AuthorsBottleneck(nn.Module):
    """PyTorch-Encoding's bottleneck (torchvision's, dilated 3x3)."""

    def __init__(self, inplanes, planes, stride, dilation, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(
            planes,
            planes,
            3,
            stride,
            padding=dilation,
            dilation=dilation,
            bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = downsample

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out +
                      (x if self.downsample is None else self.downsample(x)))


class AuthorsResNetS(nn.Module):
    """PyTorch-Encoding's dilated ResNet-s: a deep stem of three 3x3 convs
    (``conv1``, then ``bn1``), output stride 8 (layers 3 and 4 dilated 2 and
    4, their first blocks 1 and 2), an ImageNet classifier ``fc``."""

    def __init__(self, stem_width, planes, blocks):
        super().__init__()
        self.conv1 = nn.Sequential(
            nn.Conv2d(3, stem_width, 3, 2, 1, bias=False),
            nn.BatchNorm2d(stem_width), nn.ReLU(),
            nn.Conv2d(stem_width, stem_width, 3, 1, 1, bias=False),
            nn.BatchNorm2d(stem_width), nn.ReLU(),
            nn.Conv2d(stem_width, 2 * stem_width, 3, 1, 1, bias=False))
        self.bn1 = nn.BatchNorm2d(2 * stem_width)
        inplanes = 2 * stem_width
        for i, (n, stride, dilation) in enumerate(
                zip(blocks, (1, 2, 1, 1), (1, 1, 2, 4))):
            width = planes * 2**i
            downsample = nn.Sequential(
                nn.Conv2d(inplanes, 4 * width, 1, stride, bias=False),
                nn.BatchNorm2d(4 * width))
            first = 2 if dilation == 4 else 1
            layer = [
                AuthorsBottleneck(inplanes, width, stride, first, downsample)
            ] + [
                AuthorsBottleneck(4 * width, width, 1, dilation)
                for _ in range(n - 1)
            ]
            setattr(self, f'layer{i + 1}', nn.Sequential(*layer))
            inplanes = 4 * width
        self.fc = nn.Linear(inplanes, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        outs = []
        for i in range(1, 5):
            x = getattr(self, f'layer{i}')(x)
            outs.append(x)
        return outs


class AuthorsEncNet(nn.Module):
    """PyTorch-Encoding's EncNet: ``pretrained`` backbone, ``head``,
    ``auxlayer`` (their FCNHead on layer 3)."""

    def __init__(self,
                 lateral,
                 stem_width=4,
                 planes=4,
                 blocks=(3, 4, 6, 3),
                 codes=CODES,
                 num_classes=NUM_CLASSES):
        super().__init__()
        self.pretrained = AuthorsResNetS(stem_width, planes, blocks)
        c = [4 * planes * 2**i for i in range(4)]
        self.head = AuthorsEncNetHead(c[1:], c[3] // 4, lateral, codes,
                                      num_classes)
        self.auxlayer = nn.Module()
        self.auxlayer.conv5 = nn.Sequential(
            *cbr(c[2], c[2] // 4, 3), nn.Dropout2d(0.1),
            nn.Conv2d(c[2] // 4, num_classes, 1))


def our_model_cfg(lateral):
    """Our EncNet on ResNetV1c-50 at 1/16 of the width, as AuthorsEncNet."""
    bn = dict(type='BN')
    return dict(
        type='EncoderDecoder',
        backbone=dict(
            type='ResNetV1c',
            depth=50,
            stem_channels=8,
            base_channels=4,
            dilations=(1, 1, 2, 4),
            strides=(1, 2, 1, 1),
            contract_dilation=True,
            norm_cfg=bn),
        decode_head=dict(
            type='mmseg_encnet.EncHead',
            in_channels=[32, 64, 128],
            in_index=(1, 2, 3),
            channels=32,
            num_codes=CODES,
            num_classes=NUM_CLASSES,
            add_lateral=lateral,
            norm_cfg=bn),
        auxiliary_head=dict(
            type='FCNHead',
            in_channels=64,
            in_index=2,
            channels=16,
            num_convs=1,
            concat_input=False,
            num_classes=NUM_CLASSES,
            norm_cfg=bn))


def authors_checkpoint(theirs: nn.Module) -> dict:
    """Their training checkpoint's state_dict (DataParallel's ``module.``),
    with random weights and BN statistics that are not the initial ones."""
    torch.manual_seed(0)
    for module in theirs.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.5, 0.5)
    return {f'module.{k}': v for k, v in theirs.state_dict().items()}


def assert_same_network(ours: nn.Module, theirs: AuthorsEncNet,
                        size: int) -> None:
    """Backbone stages, head (logits, SE) and auxiliary head agree."""
    ours.eval(), theirs.eval()
    torch.manual_seed(1)
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        feats = ours.backbone(x)
        ref_feats = theirs.pretrained(x)
        seg, se = ours.decode_head(feats)
        ref_seg, ref_se = theirs.head(*ref_feats[1:])
        aux = ours.auxiliary_head(feats)
        ref_aux = theirs.auxlayer.conv5(ref_feats[2])
    for out, ref in zip([*feats, seg, se, aux],
                        [*ref_feats, ref_seg, ref_se, ref_aux]):
        torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('lateral', [False, True])
def test_converted_weights_compute_their_network(lateral):
    theirs = AuthorsEncNet(lateral)
    converted = convert_pytorch_encoding(authors_checkpoint(theirs))
    model = MODELS.build(our_model_cfg(lateral))
    model.load_state_dict(converted, strict=True)
    assert_same_network(model, theirs, size=48)


def test_unknown_keys_are_refused():
    checkpoint = {
        'head.conv5.0.weight': torch.zeros(1),
        'head.mystery.weight': torch.zeros(1),
        'pretrained.layer5.0.conv1.weight': torch.zeros(1),
    }
    with pytest.raises(KeyError, match='2 keys.*head.mystery.weight'):
        convert_pytorch_encoding(checkpoint)


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
        f'encnet_r{depth}s-d8-authors{"-lateral" if lateral else ""}_'
        f'{dataset}.py')
    classes = 59 if 'context' in dataset else 150
    theirs = AuthorsEncNet(
        lateral,
        stem_width=64,
        planes=64,
        blocks=(3, 4, 23 if depth == 101 else 6, 3),
        codes=32,
        num_classes=classes)
    src, dst = tmp_path / 'theirs.pth', tmp_path / 'ours.pth'
    torch.save(dict(epoch=50, state_dict=authors_checkpoint(theirs)), src)

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
    assert (f'ResNet-{depth}s, {"with" if lateral else "without"} lateral '
            f'fusion, {classes} classes') in lines[-2]

    model = build(lines[-1][len('config: '):])
    from mmseg_encnet import checkpoint as safe_checkpoint
    converted = safe_checkpoint.load(str(dst))['state_dict']
    missing, unexpected = model.load_state_dict(converted, strict=False)
    assert not unexpected
    assert all(k.endswith('num_batches_tracked') for k in missing)
    assert_same_network(model, theirs, size=64)


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


def test_killed_conversion_leaves_no_checkpoint(tmp_path):
    """SIGKILL half-way through writing (the partial file is a FIFO that the
    test reads from, then stops reading): nothing under the final name, and
    a later conversion writes it whole."""
    import os
    import signal
    import subprocess
    import sys
    import time
    src, dst = tmp_path / 'theirs.pth', tmp_path / 'ours.pth'
    theirs = authors_checkpoint(AuthorsEncNet(False, num_classes=59))
    torch.save(theirs, src)
    partial = tmp_path / '.ours.pth.partial'
    os.mkfifo(partial)
    cmd = [
        sys.executable,
        osp.join(ROOT, 'tools/convert_pytorch_encoding.py'),
        str(src),
        str(dst)
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    fifo = os.open(partial, os.O_RDONLY | os.O_NONBLOCK)
    read, deadline = b'', time.monotonic() + 120
    while not read and proc.poll() is None and time.monotonic() < deadline:
        try:  # b'' until the converter opens the file to write
            read = os.read(fifo, 1024)
        except BlockingIOError:  # open, nothing written yet
            pass
        time.sleep(0.01)
    assert read, proc.communicate()  # it is writing now
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL
    os.close(fifo)
    assert not dst.exists()

    os.remove(partial)
    subprocess.run(cmd, check=True, capture_output=True)
    converted = safe_checkpoint.load(str(dst))['state_dict']
    assert converted.keys() == convert_pytorch_encoding(theirs).keys()
    assert not partial.exists()
