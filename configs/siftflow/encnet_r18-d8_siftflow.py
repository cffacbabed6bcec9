# EncNet on ResNetV1c-18-D8 (half width) from scratch on SIFT Flow, 2000
# iterations in bfloat16 on a CPU:
#   python tools/train.py configs/siftflow/encnet_r18-d8_siftflow.py
_base_ = [
    '../_base_/models/encnet_r18-d8.py', '../_base_/datasets/siftflow.py',
    '../_base_/schedules/cpu_2k.py', '../_base_/cpu_runtime.py'
]
loss = dict(
    type='mmseg_encnet.CrossEntropyLoss', class_weight=_base_.class_weight)
model = dict(
    data_preprocessor=dict(size=_base_.crop_size),
    decode_head=dict(num_classes=33, loss_decode=loss),
    auxiliary_head=dict(num_classes=33, loss_decode=loss))
