# The FCN baseline of the CPU recipes on ImageNet-pretrained
# EfficientNet-Lite0 (./lite0-d16.py): the FCN head on stage 6.
_base_ = ['./fcn_r18-d8.py', './lite0-d16.py']
model = dict(_base_.lite0_d16, decode_head=dict(in_channels=320))
