# mmseg's encnet_r50-d8_4xb2-80k_cityscapes-512x1024 with the mmseg_encnet head.
_base_ = [
    'mmseg::encnet/encnet_r50-d8_4xb2-80k_cityscapes-512x1024.py',
    '../_base_/mmseg_encnet.py'
]
model = dict(decode_head=dict(type='mmseg_encnet.EncHead'))
