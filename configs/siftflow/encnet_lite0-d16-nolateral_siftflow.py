# Ablation of encnet_lite0-d16_siftflow.py: without lateral fusion (the
# Context Encoding Module on stage 6 alone, the paper's EncNet).
_base_ = './encnet_lite0-d16_siftflow.py'
model = dict(decode_head=dict(add_lateral=False))
