# Ablation of encnet_lite0-d16_siftflow.py: global average pooling in the
# Encoding layer's place, under the same gate and SE branch.
_base_ = './encnet_lite0-d16_siftflow.py'
model = dict(decode_head=dict(context='pooling'))
