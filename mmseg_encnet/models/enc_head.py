"""Context Encoding Module and EncHead of `EncNet
<https://arxiv.org/abs/1803.08904>`_.

Same constructor arguments and ``state_dict`` keys as mmseg's ``EncHead``,
so an mmseg EncNet config or model-zoo checkpoint switches to this head by
changing ``type``; the Encoding layer is the memory-lean one of
:mod:`mmseg_encnet.models.encoding` and the SE-loss targets are computed
without a per-image loop.
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmcv.cnn import ConvModule, build_norm_layer
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS as MMSEG_MODELS
from mmseg.utils import ConfigType, OptConfigType, SampleList
from torch import Tensor, nn

from ..registry import MODELS
from .encoding import Encoding
from .se_loss import SELoss, class_presence


def _norm1d_cfg(norm_cfg: OptConfigType) -> dict:
    """The 1d counterpart of a 2d norm config (BN -> BN1d, SyncBN stays)."""
    if norm_cfg is None:
        return dict(type='BN1d')
    cfg = dict(norm_cfg)
    if cfg['type'] in ('BN', 'IN'):
        cfg['type'] += '1d'
    else:
        cfg['type'] = cfg['type'].replace('2d', '1d')
    return cfg


class EncModule(nn.Module):
    """Context Encoding Module.

    ``x -> 1x1 projection -> Encoding -> BN1d+ReLU -> mean over codewords``
    gives the context vector ``e``; ``gamma = sigmoid(FC(e))`` rescales the
    channels: ``relu(x + x * gamma)``.

    Args:
        in_channels (int): Channels ``C`` of the input feature map.
        num_codes (int): Number of codewords ``K``.
        conv_cfg (dict, optional): Config of the projection conv.
        norm_cfg (dict, optional): Config of the norm layers; its 1d variant
            normalises the encoded features.
        act_cfg (dict, optional): Config of the projection's activation.
    """

    def __init__(self,
                 in_channels: int,
                 num_codes: int,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: OptConfigType = None,
                 act_cfg: OptConfigType = dict(type='ReLU')) -> None:
        super().__init__()
        self.encoding_project = ConvModule(
            in_channels,
            in_channels,
            1,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        self.encoding = nn.Sequential(
            Encoding(in_channels, num_codes),
            build_norm_layer(_norm1d_cfg(norm_cfg), num_codes)[1],
            nn.ReLU(inplace=True))
        self.fc = nn.Sequential(
            nn.Linear(in_channels, in_channels), nn.Sigmoid())

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Encode the context of ``x`` and reweight its channels.

        Args:
            x (Tensor): Features of shape (N, C, H, W).

        Returns:
            tuple[Tensor, Tensor]: The context vector of shape (N, C) and the
            reweighted features of shape (N, C, H, W).
        """
        context = self.encoding(self.encoding_project(x)).mean(dim=1)
        gamma = self.fc(context).to(x.dtype)[..., None, None]
        # relu(x + x * gamma) with one (N, C, H, W) allocation, not three.
        return context, torch.addcmul(x, x, gamma).relu_()


@MODELS.register_module()
class EncHead(BaseDecodeHead):
    """Context Encoding head of `EncNet <https://arxiv.org/abs/1803.08904>`_.

    A 3x3 bottleneck on the last selected level (optionally fused with 1x1
    laterals of the other levels), the :class:`EncModule`, ``cls_seg``, and
    the SE branch ``Linear(channels, num_classes)`` on the context vector.
    With a single level (``in_index=[2]``, ``in_channels=[1024]``) it serves
    as an auxiliary SE-loss head on stage 3.

    Args:
        num_codes (int): Number of codewords. Default: 32.
        use_se_loss (bool): Whether to add the SE branch and its loss.
            Default: True.
        add_lateral (bool): Whether to fuse the other selected levels into
            the last one through lateral 1x1 convs. Default: False.
        loss_se_decode (dict): Config of the SE loss. An
            ``mmseg_encnet.SELoss`` receives the label map (N, H, W); any other
            loss (e.g. mmseg's ``CrossEntropyLoss(use_sigmoid=True)``)
            receives class-presence targets (N, num_classes), as in mmseg.
            Default: ``dict(type='mmseg_encnet.SELoss', loss_weight=0.2)``.
        **kwargs: Arguments of :class:`BaseDecodeHead`; ``in_channels`` and
            ``in_index`` may be ints for a single level.
    """

    def __init__(self,
                 num_codes: int = 32,
                 use_se_loss: bool = True,
                 add_lateral: bool = False,
                 loss_se_decode: ConfigType = dict(
                     type='mmseg_encnet.SELoss', loss_weight=0.2),
                 **kwargs) -> None:
        for key in ('in_channels', 'in_index'):
            if isinstance(kwargs.get(key), int):
                kwargs[key] = [kwargs[key]]
        super().__init__(input_transform='multiple_select', **kwargs)
        if num_codes < 1:
            raise ValueError(f'EncHead: num_codes must be >= 1, got '
                             f'{num_codes}')
        self.use_se_loss = use_se_loss
        self.add_lateral = add_lateral
        self.num_codes = num_codes
        conv_kwargs = dict(
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)
        self.bottleneck = ConvModule(
            self.in_channels[-1], self.channels, 3, padding=1, **conv_kwargs)
        if add_lateral:
            self.lateral_convs = nn.ModuleList(
                ConvModule(in_channels, self.channels, 1, **conv_kwargs)
                for in_channels in self.in_channels[:-1])
            self.fusion = ConvModule(
                len(self.in_channels) * self.channels,
                self.channels,
                3,
                padding=1,
                **conv_kwargs)
        self.enc_module = EncModule(
            self.channels, num_codes=num_codes, **conv_kwargs)
        if use_se_loss:
            self.loss_se_decode = MMSEG_MODELS.build(loss_se_decode)
            self.se_layer = nn.Linear(self.channels, self.num_classes)

    def forward(self, inputs: Sequence[Tensor]
                ) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        """Segment the selected levels of ``inputs``.

        Args:
            inputs (Sequence[Tensor]): Backbone features, each (N, C_i, H, W).

        Returns:
            Tensor | tuple[Tensor, Tensor]: Segmentation logits of shape
            (N, num_classes, H, W), and with ``use_se_loss`` also the SE logits
            of shape (N, num_classes).
        """
        inputs = self._transform_inputs(inputs)
        feat = self.bottleneck(inputs[-1])
        if self.add_lateral:
            laterals = [
                resize(
                    lateral_conv(level),
                    size=feat.shape[2:],
                    mode='bilinear',
                    align_corners=self.align_corners)
                for level, lateral_conv in zip(inputs, self.lateral_convs)
            ]
            feat = self.fusion(torch.cat([feat, *laterals], 1))
        context, feat = self.enc_module(feat)
        seg_logits = self.cls_seg(feat)
        if self.use_se_loss:
            return seg_logits, self.se_layer(context)
        return seg_logits

    def predict(self, inputs: Sequence[Tensor], batch_img_metas: List[dict],
                test_cfg: ConfigType) -> Tensor:
        """Segmentation logits resized to the input; the SE output is
        dropped."""
        seg_logits = self.forward(inputs)
        if self.use_se_loss:
            seg_logits = seg_logits[0]
        return self.predict_by_feat(seg_logits, batch_img_metas)

    def loss_by_feat(self, seg_logits: Union[Tensor, Tuple[Tensor, Tensor]],
                     batch_data_samples: SampleList) -> dict:
        """Segmentation losses, plus ``loss_se`` with ``use_se_loss``."""
        if not self.use_se_loss:
            return super().loss_by_feat(seg_logits, batch_data_samples)
        seg_logits, se_logits = seg_logits
        seg_label = self._stack_batch_gt(batch_data_samples).squeeze(1)
        # The SE loss goes first: it validates the labels before the pixel
        # loss indexes with them (a CUDA assert instead of a message).
        try:
            if isinstance(self.loss_se_decode, SELoss):
                loss_se = self.loss_se_decode(se_logits, seg_label)
            else:
                loss_se = self.loss_se_decode(
                    se_logits,
                    class_presence(seg_label, self.num_classes,
                                   self.ignore_index, se_logits.dtype))
        except ValueError as error:
            raise ValueError(
                f'{error} Label files: '
                f'{self._bad_label_files(seg_label, batch_data_samples)}'
            ) from error
        losses = super().loss_by_feat(seg_logits, batch_data_samples)
        losses['loss_se'] = loss_se
        return losses

    def _bad_label_files(self, seg_label: Tensor,
                         batch_data_samples: SampleList) -> List[str]:
        """The label files of the images whose labels are out of range."""
        valid = (seg_label == self.ignore_index) | (
            (seg_label >= 0) & (seg_label < self.num_classes))
        return [
            sample.metainfo.get('seg_map_path', f'<batch image {i}>')
            for i, (ok, sample) in enumerate(
                zip(valid.flatten(1).all(1).tolist(), batch_data_samples))
            if not ok
        ]

    def extra_repr(self) -> Optional[str]:
        return (super().extra_repr() + f', num_codes={self.num_codes}, '
                f'use_se_loss={self.use_se_loss}, '
                f'add_lateral={self.add_lateral}')
