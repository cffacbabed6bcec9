# EncNet on SIFT Flow with an unweighted cross-entropy (the class-weighting
# ablation): every pixel counts alike, as pixel accuracy counts them.
_base_ = './encnet_r18-d8_siftflow.py'
model = dict(
    decode_head=dict(loss_decode=dict(class_weight=None)),
    auxiliary_head=dict(loss_decode=dict(class_weight=None)))
