# The paper's SE-loss on stage 3 as well as stage 4: an auxiliary head that is
# a second EncHead on stage 3 (instead of mmseg's FCN head). A config takes it
# with its widths and classes:
#   model = dict(auxiliary_head=dict(_base_.se34_head, _delete_=True,
#                in_channels=[1024], channels=256, num_codes=32,
#                num_classes=19, norm_cfg=norm_cfg))
se34_head = dict(
    type='mmseg_encnet.EncHead',
    in_index=[2],
    use_se_loss=True,
    dropout_ratio=0.1,
    align_corners=False,
    loss_decode=dict(
        type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4),
    loss_se_decode=dict(type='mmseg_encnet.SELoss', loss_weight=0.2))
