# The PSPNet baseline of the CPU recipes: fcn_r18-d8.py with mmseg's pyramid
# pooling head, which takes the FCN head's arguments but its convolutions.
_base_ = ['./fcn_r18-d8.py']
model = dict(
    decode_head=dict(
        {
            key: value
            for key, value in _base_.model.decode_head.items()
            if key not in ('num_convs', 'concat_input')
        },
        _delete_=True,
        type='PSPHead',
        pool_scales=(1, 2, 3, 6)))
