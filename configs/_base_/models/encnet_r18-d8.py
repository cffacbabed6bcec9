# The slim EncNet of the CPU recipes (the demo, CamVid): ResNetV1c-18-D8 at
# half width (stages of 32-256 channels) with EncHead at matching widths, from
# scratch, plain BN. A recipe sets its classes and crop size.
_base_ = ['./encnet_r50-d8.py']
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    pretrained=None,
    backbone=dict(
        depth=18, base_channels=32, stem_channels=32, norm_cfg=norm_cfg),
    decode_head=dict(
        in_channels=[64, 128, 256],
        channels=64,
        num_codes=16,
        norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=128, channels=32, norm_cfg=norm_cfg))
