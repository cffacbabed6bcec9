# EncNet on SIFT Flow with the class-balanced SE-loss at weight 1.0 instead
# of 0.2: image-level presence as a fifth of the training signal, not 1/20.
_base_ = './encnet_r18-d8-sebal_siftflow.py'
model = dict(decode_head=dict(loss_se_decode=dict(loss_weight=1.0)))
