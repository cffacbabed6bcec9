"""Convert EncNet checkpoints of PyTorch-Encoding (the authors' code).

PyTorch-Encoding's ``EncNet`` keeps the backbone under ``pretrained.`` (a
ResNet with a deep stem: mmseg's ``ResNetV1c`` with ``stem_channels=128``,
the ``r50s`` configs), the head under ``head.`` and the auxiliary FCN head
under ``auxlayer.``. Every key is renamed by an explicit rule; a key no rule
knows is an error, never silently dropped. The ImageNet classifier
(``pretrained.fc``) has no counterpart and is the only key left out.

:func:`describe` reads what a checkpoint holds (depth, lateral fusion,
classes) and :func:`config_for` names the shipped config that builds the
authors' model for it (``configs/pytorch_encoding/``).
"""
import os.path as osp
import re
from typing import Dict, List, NamedTuple, Tuple

from torch import Tensor

# (pattern, replacement) on the key without its parameter name, in order.
_RULES: List[Tuple[str, str]] = [
    # deep stem: conv-bn-relu x3, the last bn is bn1
    (r'^pretrained\.conv1\.(0|1|3|4|6)$', r'backbone.stem.\1'),
    (r'^pretrained\.bn1$', 'backbone.stem.7'),
    (r'^pretrained\.(layer[1-4]\.\d+\.(?:conv|bn)[1-3])$', r'backbone.\1'),
    (r'^pretrained\.(layer[1-4]\.\d+\.downsample\.[01])$', r'backbone.\1'),
    # head
    (r'^head\.conv5\.0$', 'decode_head.bottleneck.conv'),
    (r'^head\.conv5\.1$', 'decode_head.bottleneck.bn'),
    (r'^head\.connect\.(\d+)\.0$', r'decode_head.lateral_convs.\1.conv'),
    (r'^head\.connect\.(\d+)\.1$', r'decode_head.lateral_convs.\1.bn'),
    (r'^head\.fusion\.0$', 'decode_head.fusion.conv'),
    (r'^head\.fusion\.1$', 'decode_head.fusion.bn'),
    (r'^head\.encmodule\.encoding\.0$',
     'decode_head.enc_module.encoding_project.conv'),
    (r'^head\.encmodule\.encoding\.1$',
     'decode_head.enc_module.encoding_project.bn'),
    (r'^head\.encmodule\.encoding\.3$', 'decode_head.enc_module.encoding.0'),
    (r'^head\.encmodule\.encoding\.4$', 'decode_head.enc_module.encoding.1'),
    (r'^head\.encmodule\.fc\.0$', 'decode_head.enc_module.fc.0'),
    (r'^head\.encmodule\.selayer$', 'decode_head.se_layer'),
    (r'^head\.conv6\.1$', 'decode_head.conv_seg'),
    # auxiliary FCN head: conv-bn-relu-dropout-conv
    (r'^auxlayer\.conv5\.0$', 'auxiliary_head.convs.0.conv'),
    (r'^auxlayer\.conv5\.1$', 'auxiliary_head.convs.0.bn'),
    (r'^auxlayer\.conv5\.4$', 'auxiliary_head.conv_seg'),
]
_DROPPED = re.compile(r'^pretrained\.fc\.(weight|bias)$')
_PARAMS = ('weight', 'bias', 'running_mean', 'running_var',
           'num_batches_tracked', 'codewords', 'scale')

# Datasets of the authors' models, by number of classes: our config suffix.
SUFFIX_BY_CLASSES = {
    59: '4xb4-80k_pascal-context-59-480x480',
    150: '4xb4-80k_ade20k-512x512'
}
DEPTHS = {6: 50, 23: 101}  # blocks in layer3


class EncNetCheckpoint(NamedTuple):
    """What a PyTorch-Encoding EncNet checkpoint holds."""
    depth: int
    lateral: bool
    num_classes: int

    def __str__(self) -> str:
        return (f'EncNet ResNet-{self.depth}s, '
                f'{"with" if self.lateral else "without"} lateral fusion, '
                f'{self.num_classes} classes')


def _strip(key: str) -> str:
    return key[len('module.'):] if key.startswith('module.') else key


def describe(state_dict: Dict[str, Tensor]) -> EncNetCheckpoint:
    """Depth, lateral fusion and classes of an authors' EncNet checkpoint.

    Raises:
        ValueError: It is not a deep-stem ResNet-50s/101s EncNet.
    """
    keys = {_strip(k): v for k, v in state_dict.items()}
    if 'head.conv6.1.weight' not in keys or ('pretrained.conv1.0.weight'
                                             not in keys):
        raise ValueError(
            'not a PyTorch-Encoding EncNet with a deep-stem ResNet (no '
            'head.conv6.1.weight or pretrained.conv1.0.weight)')
    blocks = {
        m.group(1)
        for m in map(re.compile(r'^pretrained\.layer3\.(\d+)\.').match, keys)
        if m
    }
    if len(blocks) not in DEPTHS:
        raise ValueError(f'a ResNet with {len(blocks)} blocks in layer3; '
                         f'known: {DEPTHS} (ResNet-50s, ResNet-101s)')
    return EncNetCheckpoint(
        depth=DEPTHS[len(blocks)],
        lateral=any(k.startswith('head.connect.') for k in keys),
        num_classes=keys['head.conv6.1.weight'].shape[0])


def config_for(checkpoint: EncNetCheckpoint) -> str:
    """Path of the shipped config that builds this authors' model.

    Raises:
        ValueError: No config is shipped for its number of classes.
    """
    if checkpoint.num_classes not in SUFFIX_BY_CLASSES:
        raise ValueError(
            f'no config is shipped for {checkpoint}: the authors\' '
            f'datasets here are {sorted(SUFFIX_BY_CLASSES)} classes (Pascal '
            'Context 59, ADE20K); start from configs/pytorch_encoding/ with '
            f'model.decode_head.num_classes={checkpoint.num_classes}')
    name = (f'encnet_r{checkpoint.depth}s-d8-authors'
            f'{"-lateral" if checkpoint.lateral else ""}_'
            f'{SUFFIX_BY_CLASSES[checkpoint.num_classes]}.py')
    package = osp.dirname(osp.dirname(osp.abspath(__file__)))
    return osp.realpath(
        osp.join(package, '.mim', 'configs', 'pytorch_encoding', name))


def convert_key(key: str) -> str:
    """Our name of a PyTorch-Encoding EncNet key.

    Raises:
        KeyError: No rule knows the key.
    """
    module, _, param = key.rpartition('.')
    if param in _PARAMS:
        for pattern, replacement in _RULES:
            if re.match(pattern, module):
                return f'{re.sub(pattern, replacement, module)}.{param}'
    raise KeyError(key)


def convert_pytorch_encoding(
        state_dict: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """Rename a PyTorch-Encoding EncNet ``state_dict`` to ours.

    ``module.`` prefixes (from DataParallel) are removed first.

    Raises:
        KeyError: Keys no rule knows, all of them listed.
    """
    converted, unknown = {}, []
    for key, value in state_dict.items():
        key = _strip(key)
        if _DROPPED.match(key):
            continue
        try:
            converted[convert_key(key)] = value
        except KeyError:
            unknown.append(key)
    if unknown:
        raise KeyError(
            f'{len(unknown)} keys of the checkpoint are not PyTorch-Encoding '
            f'EncNet keys this converter knows: {unknown[:20]}'
            f'{" ..." if len(unknown) > 20 else ""}')
    return converted
