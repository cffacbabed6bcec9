# mmseg's EncNet-R50-D8 with the mmseg_encnet head (same arguments and
# weights; the SE loss stays mmseg's sigmoid cross-entropy, the paper's BCE).
_base_ = ['mmseg::_base_/models/encnet_r50-d8.py']
model = dict(decode_head=dict(type='mmseg_encnet.EncHead'))
