# SE-loss on stage 3 and stage 4, as in the paper: the auxiliary head is a
# second EncHead on stage 3 instead of mmseg's FCN head.
_base_ = [
    './encnet_r50-d8_4xb2-40k_cityscapes-512x1024.py',
    '../_base_/models/se34_head.py'
]
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    auxiliary_head=dict(
        _base_.se34_head,
        _delete_=True,
        in_channels=[1024],
        channels=256,
        num_codes=32,
        num_classes=19,
        norm_cfg=norm_cfg))
