# EncNet on CamVid with the SE-loss on stage 3 as well as stage 4, as in the
# paper: the auxiliary head is a second EncHead on stage 3.
_base_ = './encnet_r18-d8_camvid.py'
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    auxiliary_head=dict(
        _delete_=True,
        type='mmseg_encnet.EncHead',
        in_channels=[128],
        in_index=[2],
        channels=32,
        num_codes=16,
        use_se_loss=True,
        dropout_ratio=0.1,
        num_classes=11,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4),
        loss_se_decode=dict(type='mmseg_encnet.SELoss', loss_weight=0.2)))
