# The authors' EncNet_ResNet101s with lateral fusion (lateral=True).
_base_ = './encnet_r101s-d8-authors_4xb4-80k_ade20k-512x512.py'
model = dict(decode_head=dict(add_lateral=True))
