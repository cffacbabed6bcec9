# The authors' EncNet_ResNet101s with lateral fusion (lateral=True).
_base_ = './encnet_r101s-d8-authors_4xb4-80k_pascal-context-59-480x480.py'
model = dict(decode_head=dict(add_lateral=True))
