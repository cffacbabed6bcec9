# EncNet on a slim ResNetV1c-18-D8 (half width), trained from scratch on the
# synthetic street scenes:
#   python tools/train.py configs/demo/encnet_r18-d8_demo.py
_base_ = [
    '../_base_/models/encnet_r18-d8.py', '../_base_/datasets/demo_street.py',
    '../_base_/schedules/demo_1.5k.py', '../_base_/cpu_runtime.py'
]
model = dict(
    data_preprocessor=dict(size=(128, 256)),
    decode_head=dict(num_classes=7),
    auxiliary_head=dict(num_classes=7))
