# The FCN baseline of the demo: same backbone, schedule and data as
# encnet_r18-d8_demo.py, a plain FCN head instead of EncHead.
_base_ = [
    '../_base_/models/fcn_r18-d8.py', '../_base_/datasets/demo_street.py',
    '../_base_/schedules/demo_1.5k.py', '../_base_/cpu_runtime.py'
]
model = dict(
    data_preprocessor=dict(size=(128, 256)),
    decode_head=dict(num_classes=7),
    auxiliary_head=dict(num_classes=7))
