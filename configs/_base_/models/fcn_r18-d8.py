# The FCN baseline of the CPU recipes: encnet_r18-d8.py with mmseg's FCN head
# (fcn_r50-d8's) at the slim widths instead of EncHead.
_base_ = ['./encnet_r18-d8.py']
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    decode_head=dict(
        _delete_=True,
        type='FCNHead',
        in_channels=256,
        in_index=3,
        channels=64,
        num_convs=2,
        concat_input=True,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
