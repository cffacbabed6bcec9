# Pascal Context, 60 classes (background included).
# The paper's main benchmark; mmseg's Pascal Context recipe (SGD lr 0.004,
# weight decay 1e-4, sliding-window test 480/320).
_base_ = [
    '../_base_/models/encnet_r50-d8.py',
    'mmseg::_base_/datasets/pascal_context.py',
    'mmseg::_base_/default_runtime.py', '../_base_/mmseg_encnet.py',
    'mmseg::_base_/schedules/schedule_40k.py'
]
crop_size = (480, 480)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    decode_head=dict(num_classes=60),
    auxiliary_head=dict(num_classes=60),
    test_cfg=dict(mode='slide', crop_size=(480, 480), stride=(320, 320)))
optimizer = dict(type='SGD', lr=0.004, momentum=0.9, weight_decay=0.0001)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer)
