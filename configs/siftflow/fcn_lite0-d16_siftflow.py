# The FCN baseline of encnet_lite0-d16_siftflow.py: same backbone, data, loss
# and schedule, mmseg's FCN head instead of EncHead.
_base_ = [
    '../_base_/models/fcn_lite0-d16.py', '../_base_/datasets/siftflow.py',
    '../_base_/siftflow_pretrained_runtime.py'
]
model = _base_.model_delta
