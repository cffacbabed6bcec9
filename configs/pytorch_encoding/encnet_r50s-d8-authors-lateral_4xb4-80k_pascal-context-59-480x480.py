# encnet_r50s-d8-authors_4xb4-80k_pascal-context-59-480x480.py with lateral fusion of stages 2 and 3 (the authors' lateral=True).
_base_ = './encnet_r50s-d8-authors_4xb4-80k_pascal-context-59-480x480.py'
model = dict(decode_head=dict(add_lateral=True))
