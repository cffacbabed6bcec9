# mmseg's EncNet-R50-D8 with the mmseg_encnet head and SE-loss.
_base_ = ['mmseg::_base_/models/encnet_r50-d8.py']
custom_imports = dict(imports=['mmseg_encnet'], allow_failed_imports=False)
model = dict(
    decode_head=dict(
        type='mmseg_encnet.EncHead',
        loss_se_decode=dict(
            _delete_=True, type='mmseg_encnet.SELoss', loss_weight=0.2)))
