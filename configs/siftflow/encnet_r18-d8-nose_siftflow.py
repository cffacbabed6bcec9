# EncNet on SIFT Flow without the SE-loss (the paper's ablation): the Context
# Encoding Module still scales the channels, nothing supervises presence.
_base_ = './encnet_r18-d8_siftflow.py'
model = dict(decode_head=dict(use_se_loss=False))
