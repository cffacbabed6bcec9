# The FCN baseline on CamVid: backbone, data and schedule of
# encnet_r18-d8_camvid.py, mmseg's FCN head instead of EncHead.
_base_ = [
    '../_base_/models/fcn_r18-d8.py', '../_base_/datasets/camvid.py',
    '../_base_/camvid_runtime.py'
]
model = _base_.model_delta
