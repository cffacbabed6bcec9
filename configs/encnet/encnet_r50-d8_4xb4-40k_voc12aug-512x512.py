_base_ = [
    '../_base_/models/encnet_r50-d8.py',
    'mmseg::_base_/datasets/pascal_voc12_aug.py', '../_base_/encnet_runtime.py',
    'mmseg::_base_/schedules/schedule_40k.py'
]
crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    decode_head=dict(num_classes=21),
    auxiliary_head=dict(num_classes=21))
