# Lateral multi-level fusion: stages 2 and 3 join stage 4 before encoding.
_base_ = './encnet_r50-d8_4xb2-40k_cityscapes-512x1024.py'
model = dict(decode_head=dict(add_lateral=True))
