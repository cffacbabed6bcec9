# The FCN baseline on CamVid: backbone, data and schedule of
# encnet_r18-d8_camvid.py, mmseg's FCN head instead of EncHead.
_base_ = [
    '../_base_/models/fcn_r18-d8.py', '../_base_/datasets/camvid.py',
    '../_base_/schedules/cpu_5k.py', '../_base_/cpu_runtime.py'
]
model = dict(
    data_preprocessor=dict(size=_base_.crop_size),
    decode_head=dict(num_classes=11),
    auxiliary_head=dict(num_classes=11))
