# The PSPNet baseline on SIFT Flow: backbone, data, loss and schedule of
# encnet_r18-d8_siftflow.py, mmseg's pyramid pooling head instead of EncHead.
_base_ = [
    '../_base_/models/pspnet_r18-d8.py', '../_base_/datasets/siftflow.py',
    '../_base_/siftflow_runtime.py'
]
model = _base_.model_delta
