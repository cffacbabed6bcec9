# The slim EncNet of the CPU recipes on ImageNet-pretrained
# EfficientNet-Lite0 (./lite0-d16.py): EncHead with lateral fusion on stages
# 2, 4 and 6 (40, 112, 320 channels).
_base_ = ['./encnet_r18-d8.py', './lite0-d16.py']
model = dict(
    _base_.lite0_d16,
    decode_head=dict(in_channels=[40, 112, 320], add_lateral=True))
