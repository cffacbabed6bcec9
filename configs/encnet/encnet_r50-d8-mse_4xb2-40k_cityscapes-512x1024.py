# SE-loss as squared error on the sigmoid presence probabilities.
_base_ = './encnet_r50-d8_4xb2-40k_cityscapes-512x1024.py'
model = dict(
    decode_head=dict(
        loss_se_decode=dict(
            _delete_=True,
            type='mmseg_encnet.SELoss',
            loss_type='mse',
            loss_weight=0.2)))
