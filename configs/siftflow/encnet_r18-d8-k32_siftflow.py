# EncNet on SIFT Flow with 32 codewords instead of 16 (the codeword
# ablation).
_base_ = './encnet_r18-d8_siftflow.py'
model = dict(decode_head=dict(num_codes=32))
