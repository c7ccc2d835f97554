# Mask R-CNN 1x with a FastViT-SA36 backbone on COCO:
# ./mask_rcnn_fastvit_sa12_coco.py with this variant's arch, widths, drop path
# and weights.
# Paper: 43.8 box AP / 39.6 mask AP (FastViT paper Table 10; UNVERIFIED: not
# confirmed from any source).
# Recipe: The paper's setting; the authors released no detection or
# segmentation code or weights (apple/ml-fastvit is classification only), so
# details are ours: LN2d output norms (new layers; the paper does not name
# them), BatchNorms frozen (norm_eval), no weight decay on layer scales, norms,
# biases and 1-D parameters, drop path of the ImageNet recipe.
# Weights: official ImageNet-1K fastvit_sa36.pth.tar, unfused training form
# (apple/ml-fastvit model zoo; licence: see that repository), fetched by URL on
# first use.
_base_ = ['./_base_/mask_rcnn_coco.py', './_base_/backbones/fastvit_sa36.py']

model = dict(
    backbone=_base_.backbone, neck=dict(in_channels=_base_.backbone_channels))
optim_wrapper = dict(
    optimizer=dict(lr=2e-4, weight_decay=1e-4),
    paramwise_cfg=_base_.paramwise_cfg)
