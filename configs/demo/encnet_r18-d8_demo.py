# EncNet on a slim ResNetV1c-18-D8 (half width), trained from scratch on the
# synthetic street scenes:
#   python tools/train.py configs/demo/encnet_r18-d8_demo.py
_base_ = ['../_base_/models/encnet_r50-d8.py', '../_base_/demo_runtime.py']
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=(128, 256)),
    backbone=dict(
        depth=18, base_channels=32, stem_channels=32, norm_cfg=norm_cfg),
    decode_head=dict(
        in_channels=[64, 128, 256],
        channels=64,
        num_codes=16,
        num_classes=7,
        norm_cfg=norm_cfg),
    auxiliary_head=dict(
        in_channels=128, channels=32, num_classes=7, norm_cfg=norm_cfg))
