# The PSPNet baseline on CamVid: backbone, data and schedule of
# encnet_r18-d8_camvid.py, mmseg's pyramid pooling head instead of EncHead.
_base_ = [
    'mmseg::_base_/models/pspnet_r50-d8.py', '../_base_/datasets/camvid.py',
    '../_base_/camvid_runtime.py'
]
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=(240, 320)),
    backbone=dict(
        depth=18, base_channels=32, stem_channels=32, norm_cfg=norm_cfg),
    decode_head=dict(
        in_channels=256, channels=64, num_classes=11, norm_cfg=norm_cfg),
    auxiliary_head=dict(
        in_channels=128, channels=32, num_classes=11, norm_cfg=norm_cfg))
