# The paper's SE-loss on stage 3 too: a second EncHead as the auxiliary
# head, which a config sizes (docs/usage.md shows how).
se34_head = dict(
    type='mmseg_encnet.EncHead',
    in_index=[2],
    use_se_loss=True,
    dropout_ratio=0.1,
    align_corners=False,
    loss_decode=dict(
        type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4),
    loss_se_decode=dict(type='mmseg_encnet.SELoss', loss_weight=0.2))
