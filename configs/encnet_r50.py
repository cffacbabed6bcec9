# The short name: EncNet-R50-D8, Cityscapes 512x1024, 40k iterations.
_base_ = ['./encnet/encnet_r50-d8_4xb2-40k_cityscapes-512x1024.py']
