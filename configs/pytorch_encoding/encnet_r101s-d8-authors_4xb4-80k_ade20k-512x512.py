# The authors' EncNet_ResNet101s: encnet_r50s-d8-authors_4xb4-80k_ade20k-512x512.py with depth 101.
_base_ = './encnet_r50s-d8-authors_4xb4-80k_ade20k-512x512.py'
model = dict(backbone=dict(depth=101))
