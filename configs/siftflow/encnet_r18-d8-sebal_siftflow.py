# EncNet on SIFT Flow with a class-balanced SE-loss: each class's presence
# weighs (1 - p) / p times its absence (the data set's `se_pos_weight`).
_base_ = './encnet_r18-d8_siftflow.py'
model = dict(
    decode_head=dict(
        loss_se_decode=dict(
            _delete_=True,
            type='mmseg_encnet.SELoss',
            loss_weight=0.2,
            pos_weight=_base_.se_pos_weight)))
