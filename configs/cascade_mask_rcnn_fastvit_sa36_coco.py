# Cascade Mask R-CNN 3x (multi-scale) with a FastViT-SA36 backbone on COCO:
# ./cascade_mask_rcnn_fastvit_sa12_coco.py with this variant's arch, widths,
# drop path and weights.
# Paper: none (the FastViT paper reports Mask R-CNN 1x only: see
# mask_rcnn_fastvit_*_coco.py).
# Recipe: Ours (the FastViT paper reports Mask R-CNN and Semantic FPN only):
# LN2d output norms (new layers; the paper does not name them), BatchNorms
# frozen (norm_eval), no weight decay on layer scales, norms, biases and 1-D
# parameters, drop path of the ImageNet recipe.
# Weights: official ImageNet-1K fastvit_sa36.pth.tar, unfused training form
# (apple/ml-fastvit model zoo; licence: see that repository), fetched by URL on
# first use.
_base_ = [
    './_base_/cascade_mask_rcnn_coco.py', './_base_/backbones/fastvit_sa36.py'
]

model = dict(
    backbone=_base_.backbone, neck=dict(in_channels=_base_.backbone_channels))
optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)
