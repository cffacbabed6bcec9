# The authors' EncNet (PyTorch-Encoding, EncNet_ResNet50s) on Pascal Context (59 classes):
# a deep-stem ResNet-50 (mmseg's r50s: stem_channels=128) and
# align_corners=True upsampling, as their models are built, on our recipe.
# tools/convert_pytorch_encoding.py prints which of these configs fits a
# converted checkpoint (depth, lateral fusion, classes).
_base_ = '../encnet/encnet_r50-d8_4xb4-80k_pascal-context-59-480x480.py'
model = dict(
    pretrained=None,  # no deep-stem ImageNet weights: load a converted model
    backbone=dict(stem_channels=128),
    decode_head=dict(align_corners=True),
    auxiliary_head=dict(align_corners=True))
