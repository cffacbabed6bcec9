# mmseg's encnet_r50-d8_4xb4-20k_voc12aug-512x512 with the mmseg_encnet head.
_base_ = [
    'mmseg::encnet/encnet_r50-d8_4xb4-20k_voc12aug-512x512.py',
    '../_base_/mmseg_encnet.py'
]
model = dict(decode_head=dict(type='mmseg_encnet.EncHead'))
