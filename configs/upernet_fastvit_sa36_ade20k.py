# UperNet with a FastViT-SA36 backbone on ADE20K (512x512, 160k iterations):
# ./upernet_fastvit_sa12_ade20k.py with this variant's arch, widths, drop path
# and weights.
# Paper: none (the FastViT paper uses Semantic FPN: see
# fpn_fastvit_*_ade20k.py).
# Recipe: Ours (the FastViT paper reports Mask R-CNN and Semantic FPN only):
# LN2d output norms (new layers; the paper does not name them), BatchNorms
# frozen (norm_eval), no weight decay on layer scales, norms, biases and 1-D
# parameters, drop path of the ImageNet recipe.
# Weights: official ImageNet-1K fastvit_sa36.pth.tar, unfused training form
# (apple/ml-fastvit model zoo; licence: see that repository), fetched by URL on
# first use.
_base_ = ['./_base_/upernet_ade20k.py', './_base_/backbones/fastvit_sa36.py']

model = dict(
    backbone=_base_.backbone,
    decode_head=dict(in_channels=_base_.backbone_channels),
    auxiliary_head=dict(in_channels=_base_.backbone_channels[2]))
optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)
