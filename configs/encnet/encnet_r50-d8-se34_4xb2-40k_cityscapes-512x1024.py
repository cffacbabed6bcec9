# SE-loss on stage 3 and stage 4, as in the paper: the auxiliary head is a
# second EncHead on stage 3 instead of mmseg's FCN head.
_base_ = './encnet_r50-d8_4xb2-40k_cityscapes-512x1024.py'
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    auxiliary_head=dict(
        _delete_=True,
        type='mmseg_encnet.EncHead',
        in_channels=[1024],
        in_index=[2],
        channels=256,
        num_codes=32,
        use_se_loss=True,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4),
        loss_se_decode=dict(type='mmseg_encnet.SELoss', loss_weight=0.2)))
