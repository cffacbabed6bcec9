# EncNet on SIFT Flow with lateral multi-level fusion (the authors' EncNet):
# stages 2 and 3 join stage 4 before encoding.
_base_ = './encnet_r18-d8_siftflow.py'
model = dict(decode_head=dict(add_lateral=True))
