# SE-loss as the squared error of the raw SE outputs (the write-up's).
_base_ = './encnet_r50-d8_4xb2-40k_cityscapes-512x1024.py'
model = dict(
    decode_head=dict(
        loss_se_decode=dict(
            _delete_=True,
            type='mmseg_encnet.SELoss',
            loss_type='mse',
            loss_weight=0.2)))
