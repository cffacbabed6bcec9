# mmseg's default runtime with what mmseg_encnet adds (./mmseg_encnet.py).
_base_ = ['mmseg::_base_/default_runtime.py', './mmseg_encnet.py']
