"""Context Encoding Module and EncHead of `EncNet
<https://arxiv.org/abs/1803.08904>`_.

Subclasses of mmseg's, so an mmseg EncNet config or model-zoo checkpoint
switches to this head by changing ``type``; what differs: the Encoding layer
is the memory-lean one of :mod:`mmseg_encnet.models.encoding`, and the
SE-loss targets are computed once, without a per-image loop, with the head's
``ignore_index``.
"""
from typing import List, Optional, Tuple, Union

import torch
from mmseg.models.decode_heads.enc_head import EncHead as MMSegEncHead
from mmseg.models.decode_heads.enc_head import EncModule as MMSegEncModule
from mmseg.utils import ConfigType, OptConfigType, SampleList
from torch import Tensor, nn

from ..registry import MODELS
from .encoding import Encoding
from .se_loss import check_labels, class_presence

CONTEXTS = ('encoding', 'pooling')


class GlobalPool(nn.Module):
    """Global average pooling in the Encoding layer's place: (N, C, H, W)
    to one "codeword" (N, 1, C), the ablation of the codebook."""

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(2).mean(2, keepdim=True).transpose(1, 2)


def same_weights(built: nn.Module, cls: type, *args, **kwargs) -> nn.Module:
    """``cls(*args, **kwargs)`` with the weights of ``built``, an mmseg module
    with these parameters (and maybe more: the Encoding layer of a pooling
    context), and the random state as ``built`` left it: the network's
    initial weights for a seed stay mmseg's."""
    with torch.random.fork_rng(devices=[]):
        module = cls(*args, **kwargs)
    own = module.state_dict()
    module.load_state_dict({
        k: v
        for k, v in built.state_dict().items() if k in own
    })
    return module


class EncModule(MMSegEncModule):
    """mmseg's Context Encoding Module with our :class:`Encoding` and the
    channel rescale ``relu(x + x * gamma)`` in one allocation.

    ``x -> 1x1 projection -> Encoding -> BN1d+ReLU -> mean over codewords``
    gives the context vector ``e``; ``gamma = sigmoid(FC(e))``.

    Args:
        in_channels (int): Channels ``C`` of the input feature map.
        num_codes (int): Number of codewords ``K``.
        conv_cfg (dict, optional): Config of the projection conv.
        norm_cfg (dict, optional): Config of the norm layers; its 1d variant
            normalises the encoded features.
        act_cfg (dict): Config of the projection's activation.
        context (str): ``'encoding'`` (the paper) or ``'pooling'``: the
            context vector is the global average of the projected features,
            under the same gate (no codewords, no BN1d). Default: 'encoding'.
    """

    def __init__(self,
                 in_channels: int,
                 num_codes: int,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: OptConfigType = None,
                 act_cfg: ConfigType = dict(type='ReLU'),
                 context: str = 'encoding') -> None:
        if context not in CONTEXTS:
            raise ValueError(f'EncModule: context must be one of {CONTEXTS}, '
                             f'got {context!r}')
        super().__init__(in_channels, num_codes, conv_cfg, norm_cfg, act_cfg)
        if context == 'pooling':
            self.encoding = GlobalPool()
        else:
            self.encoding[0] = same_weights(self.encoding[0], Encoding,
                                            in_channels, num_codes)

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
        return context, torch.addcmul(x, x, gamma).relu_()


@MODELS.register_module()
class EncHead(MMSegEncHead):
    """Context Encoding head of `EncNet <https://arxiv.org/abs/1803.08904>`_.

    mmseg's ``EncHead`` (same arguments, layers, ``state_dict`` keys and
    initial weights; model-zoo checkpoints load) with the memory-lean
    :class:`Encoding`, and SE targets computed once, vectorised, with the
    head's ``ignore_index``. With a single level (``in_index=2``,
    ``in_channels=1024``) it serves as an auxiliary SE-loss head on stage 3.

    Args:
        num_codes (int): Number of codewords. Default: 32.
        use_se_loss (bool): Whether to add the SE branch and its loss.
            Default: True.
        add_lateral (bool): Whether to fuse the other selected levels into
            the last one through lateral 1x1 convs. Default: False.
        context (str): Context vector of the Context Encoding Module:
            ``'encoding'`` (the paper) or ``'pooling'`` (global average
            pooling instead of the Encoding layer, its ablation).
            Default: 'encoding'.
        loss_se_decode (dict): Config of the SE loss. It receives the SE
            logits (N, num_classes) and class-presence targets (N,
            num_classes): ``mmseg_encnet.SELoss`` or mmseg's
            ``CrossEntropyLoss(use_sigmoid=True)``. Its ``loss_name`` keys
            the result (``loss_se`` where that name is the pixel loss's).
            Default: ``dict(type='mmseg_encnet.SELoss', loss_weight=0.2)``.
        **kwargs: Arguments of :class:`BaseDecodeHead`; ``in_channels`` and
            ``in_index`` may be ints for a single level.
    """

    def __init__(self,
                 num_codes: int = 32,
                 use_se_loss: bool = True,
                 add_lateral: bool = False,
                 context: str = 'encoding',
                 loss_se_decode: ConfigType = dict(
                     type='mmseg_encnet.SELoss', loss_weight=0.2),
                 **kwargs) -> None:
        for key in ('in_channels', 'in_index'):
            if isinstance(kwargs.get(key), int):
                kwargs[key] = [kwargs[key]]
        if num_codes < 1:
            raise ValueError(f'EncHead: num_codes must be >= 1, got '
                             f'{num_codes}')
        super().__init__(num_codes, use_se_loss, add_lateral, loss_se_decode,
                         **kwargs)
        self.enc_module = same_weights(
            self.enc_module,
            EncModule,
            self.channels,
            num_codes,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg,
            context=context)
        self.context = context

    def _convert_to_onehot_labels(self, seg_label: Tensor,
                                  num_classes: int) -> Tensor:
        """Class-presence targets (N, num_classes) of labels (N, [1,] H, W).

        Override: vectorised and with the head's ``ignore_index`` (mmseg's
        loops over the images and counts any value in ``[0, C)``).
        """
        return class_presence(seg_label, num_classes, self.ignore_index)

    def loss_by_feat(self, seg_logits: Union[Tensor, Tuple[Tensor, Tensor]],
                     batch_data_samples: SampleList) -> dict:
        """mmseg's pixel and SE losses, the SE loss keyed by its
        ``loss_name`` (``loss_se`` where that is the pixel loss's).

        Labels outside ``[0, num_classes)`` that are not ``ignore_index`` are
        a ``ValueError`` naming the label files, with or without SE loss.
        """
        seg_label = self._stack_batch_gt(batch_data_samples).squeeze(1)
        try:
            check_labels(seg_label, self.num_classes, self.ignore_index)
        except ValueError as error:
            raise ValueError(
                f'{error} Label files: '
                f'{self._bad_label_files(seg_label, batch_data_samples)}'
            ) from error
        if not self.use_se_loss:  # mmseg's unpacks (seg, se) logits here too
            return super(MMSegEncHead,
                         self).loss_by_feat(seg_logits, batch_data_samples)
        losses = super().loss_by_feat(seg_logits, batch_data_samples)
        name = getattr(self.loss_se_decode, 'loss_name', 'loss_se')
        if name not in losses:
            losses[name] = losses.pop('loss_se')
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
                f'add_lateral={self.add_lateral}, context={self.context!r}')
