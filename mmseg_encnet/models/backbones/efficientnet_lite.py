"""EfficientNet-Lite (Tan and Le, 2019; the TF-Lite variant of the
EfficientNet reference: ReLU6, no squeeze-excite, stem and head not scaled)
as an mmseg backbone, dilated to an output stride of 8, 16 or 32."""
import math
from typing import List, Sequence, Tuple

from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.models.utils import InvertedResidualV3
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from ...registry import MODELS

# expand ratio, kernel, stride, channels, repeats of the 7 stages (lite0)
STAGES = ((1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2),
          (6, 3, 2, 80, 3), (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1,
                                                                   320, 1))
# width and depth multipliers (efficientnet_lite_builder.py)
ARCHS = {'lite0': (1.0, 1.0), 'lite1': (1.0, 1.1), 'lite2': (1.1, 1.2)}
STEM_CHANNELS = 32


def scaled_channels(channels: int, width: float, divisor: int = 8) -> int:
    """TF's ``round_filters``: ``channels * width`` to a multiple of
    ``divisor``, never more than 10% below."""
    scaled = channels * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * scaled else rounded


def stage_repeats(arch: str) -> List[int]:
    """Blocks per stage; the first and the last stage are not scaled."""
    depth = ARCHS[arch][1]
    last = len(STAGES) - 1
    return [
        r if i in (0, last) else int(math.ceil(depth * r))
        for i, (_, _, _, _, r) in enumerate(STAGES)
    ]


def strides_and_dilations(output_stride: int) -> List[Tuple[int, int]]:
    """(stride, dilation) of each stage: the strides that would take the
    output below 1/``output_stride`` become dilations (the stem is 1/2)."""
    reached, dilation, result = 2, 1, []
    for _, _, stride, _, _ in STAGES:
        if reached * stride > output_stride:
            dilation, stride = dilation * stride, 1
        reached *= stride
        result.append((stride, dilation))
    return result


@MODELS.register_module()
class EfficientNetLite(BaseModule):
    """EfficientNet-Lite: a stem and 7 stages of MBConv blocks (mmseg's
    ``InvertedResidualV3``; TF's 'SAME' padding on strided convolutions).

    Outputs of ``out_indices`` (stages, 0-6) of lite0 have 16, 24, 40, 80,
    112, 192 and 320 channels at 1/2, 1/4, 1/8, 1/16, 1/16, 1/32 and 1/32
    of the input; ``output_stride`` 16 or 8 turns the later strides into
    dilations of the depthwise convolutions (as mmseg's MobileNets do).
    ImageNet weights: ``init_cfg=dict(type='Pretrained',
    checkpoint='efficientnet-lite://lite0')``
    (:mod:`mmseg_encnet.converters.efficientnet_lite`).

    Args:
        arch: ``lite0``, ``lite1`` or ``lite2``.
        output_stride: 8, 16 or 32.
        out_indices: stages whose outputs are returned.
        frozen_stages: stages frozen (weights and BN statistics): -1 none,
            0 the stem, ``i`` the stem and stages 0 to ``i - 1``.
        norm_cfg: BN eps 1e-3, as the TF weights were trained.
        act_cfg: ReLU6, as the TF weights were trained.
        norm_eval: BN layers in eval mode while training.
        with_cp: gradient checkpointing of each block.
    """

    def __init__(self,
                 arch: str = 'lite0',
                 output_stride: int = 32,
                 out_indices: Sequence[int] = (1, 2, 4, 6),
                 frozen_stages: int = -1,
                 norm_cfg: dict = dict(type='BN', eps=1e-3),
                 act_cfg: dict = dict(type='ReLU6'),
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 init_cfg=None) -> None:
        super().__init__(init_cfg)
        if arch not in ARCHS:
            raise ValueError(f'EfficientNetLite: arch must be one of '
                             f'{sorted(ARCHS)}, got {arch!r}')
        if output_stride not in (8, 16, 32):
            raise ValueError('EfficientNetLite: output_stride must be 8, 16 '
                             f'or 32, got {output_stride}')
        if not set(out_indices) <= set(range(len(STAGES))):
            raise ValueError('EfficientNetLite: out_indices must be stages '
                             f'0-{len(STAGES) - 1}, got {out_indices}')
        if not -1 <= frozen_stages <= len(STAGES):
            raise ValueError('EfficientNetLite: frozen_stages must be -1 to '
                             f'{len(STAGES)}, got {frozen_stages}')
        self.arch, self.output_stride = arch, output_stride
        self.out_indices = tuple(out_indices)
        self.frozen_stages, self.norm_eval = frozen_stages, norm_eval
        self.stem = ConvModule(
            3,
            STEM_CHANNELS,
            3,
            stride=2,
            conv_cfg=dict(type='Conv2dAdaptivePadding'),
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        width = ARCHS[arch][0]
        in_channels = STEM_CHANNELS
        self.stages = nn.ModuleList()
        for (expand, kernel, _, channels,
             _), repeats, (stride, dilation) in zip(
                 STAGES, stage_repeats(arch),
                 strides_and_dilations(output_stride)):
            out_channels = scaled_channels(channels, width)
            blocks = []
            for i in range(repeats):
                block = InvertedResidualV3(
                    in_channels,
                    out_channels,
                    in_channels * expand,
                    kernel,
                    stride if i == 0 else 1,
                    with_expand_conv=expand != 1,
                    norm_cfg=norm_cfg,
                    act_cfg=act_cfg,
                    with_cp=with_cp)
                if dilation > 1:  # stride 1 here: symmetric padding
                    conv = block.depthwise_conv.conv
                    conv.dilation = (dilation, dilation)
                    conv.padding = (kernel // 2 * dilation, ) * 2
                blocks.append(block)
                in_channels = out_channels
            self.stages.append(nn.Sequential(*blocks))

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """(B, 3, H, W) -> the outputs of ``out_indices``."""
        x = self.stem(x)
        outs = []
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def _freeze_stages(self) -> None:
        frozen = ([self.stem] if self.frozen_stages >= 0 else []) + list(
            self.stages[:max(self.frozen_stages, 0)])
        for module in frozen:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'EfficientNetLite':
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self
