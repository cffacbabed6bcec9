# EncNet on ResNetV1c-18-D8 (half width), from scratch on CamVid (SegNet's
# 11 classes), 240x320 crops, 5000 iterations in bfloat16 on a CPU.
#   python tools/train.py configs/camvid/encnet_r18-d8_camvid.py
_base_ = [
    '../_base_/models/encnet_r50-d8.py', '../_base_/datasets/camvid.py',
    '../_base_/camvid_runtime.py'
]
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=(240, 320)),
    backbone=dict(
        depth=18, base_channels=32, stem_channels=32, norm_cfg=norm_cfg),
    decode_head=dict(
        in_channels=[64, 128, 256],
        channels=64,
        num_codes=16,
        num_classes=11,
        norm_cfg=norm_cfg),
    auxiliary_head=dict(
        in_channels=128, channels=32, num_classes=11, norm_cfg=norm_cfg))
