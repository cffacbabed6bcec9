# Ablation of encnet_lite0-d16_siftflow.py: without the SE-loss.
_base_ = './encnet_lite0-d16_siftflow.py'
model = dict(decode_head=dict(use_se_loss=False))
