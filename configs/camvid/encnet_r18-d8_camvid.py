# EncNet on ResNetV1c-18-D8 (half width), from scratch on CamVid (SegNet's
# 11 classes), 240x320 crops, 5000 iterations in bfloat16 on a CPU.
#   python tools/train.py configs/camvid/encnet_r18-d8_camvid.py
_base_ = [
    '../_base_/models/encnet_r18-d8.py', '../_base_/datasets/camvid.py',
    '../_base_/schedules/cpu_5k.py', '../_base_/cpu_runtime.py'
]
model = dict(
    data_preprocessor=dict(size=_base_.crop_size),
    decode_head=dict(num_classes=11),
    auxiliary_head=dict(num_classes=11))
