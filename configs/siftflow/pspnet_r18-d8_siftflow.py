# The PSPNet baseline on SIFT Flow: backbone, data, loss and schedule of
# encnet_r18-d8_siftflow.py, mmseg's pyramid pooling head instead of EncHead.
_base_ = [
    '../_base_/models/pspnet_r18-d8.py', '../_base_/datasets/siftflow.py',
    '../_base_/schedules/cpu_2k.py', '../_base_/cpu_runtime.py'
]
loss = dict(
    type='mmseg_encnet.CrossEntropyLoss', class_weight=_base_.class_weight)
model = dict(
    data_preprocessor=dict(size=_base_.crop_size),
    decode_head=dict(num_classes=33, loss_decode=loss),
    auxiliary_head=dict(num_classes=33, loss_decode=loss))
