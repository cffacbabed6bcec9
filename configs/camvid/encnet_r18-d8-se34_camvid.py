# EncNet on CamVid with the SE-loss on stage 3 as well as stage 4, as in the
# paper: the auxiliary head is a second EncHead on stage 3.
_base_ = ['./encnet_r18-d8_camvid.py', '../_base_/models/se34_head.py']
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    auxiliary_head=dict(
        _base_.se34_head,
        _delete_=True,
        in_channels=[128],
        channels=32,
        num_codes=16,
        num_classes=11,
        norm_cfg=norm_cfg))
