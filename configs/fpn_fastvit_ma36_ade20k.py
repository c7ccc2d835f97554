# Semantic FPN with a FastViT-MA36 backbone on ADE20K (512x512, 40k iterations,
# batch 32): ./fpn_fastvit_sa12_ade20k.py with this variant's arch, widths,
# drop path and weights.
# Paper: 44.6 mIoU (FastViT paper Table 9, as listed by the PapersWithCode
# ADE20K leaderboard; UNVERIFIED against the paper).
# Recipe: The paper's setting; the authors released no detection or
# segmentation code or weights (apple/ml-fastvit is classification only), so
# details are ours: LN2d output norms (new layers; the paper does not name
# them), BatchNorms frozen (norm_eval), no weight decay on layer scales, norms,
# biases and 1-D parameters, drop path of the ImageNet recipe.
# Weights: official ImageNet-1K fastvit_ma36.pth.tar, unfused training form
# (apple/ml-fastvit model zoo; licence: see that repository), fetched by URL on
# first use.
_base_ = ['./_base_/fpn_ade20k.py', './_base_/backbones/fastvit_ma36.py']

model = dict(
    backbone=_base_.backbone, neck=dict(in_channels=_base_.backbone_channels))
