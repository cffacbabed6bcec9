# The authors' EncNet_ResNet101s: encnet_r50s-d8-authors_4xb4-80k_pascal-context-59-480x480.py with depth 101.
_base_ = './encnet_r50s-d8-authors_4xb4-80k_pascal-context-59-480x480.py'
model = dict(backbone=dict(depth=101))
