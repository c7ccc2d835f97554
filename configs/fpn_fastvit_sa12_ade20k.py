# Semantic FPN with a FastViT-SA12 backbone on ADE20K (512x512, 40k iterations,
# batch 32).
# Paper: 38.0 mIoU (FastViT paper Table 9, as listed by the PapersWithCode
# ADE20K leaderboard and iFormer; UNVERIFIED against the paper).
# Recipe: The paper's setting; the authors released no detection or
# segmentation code or weights (apple/ml-fastvit is classification only), so
# details are ours: LN2d output norms (new layers; the paper does not name
# them), BatchNorms frozen (norm_eval), no weight decay on layer scales, norms,
# biases and 1-D parameters, drop path of the ImageNet recipe.
# Weights: official ImageNet-1K fastvit_sa12.pth.tar, unfused training form
# (apple/ml-fastvit model zoo; licence: see that repository), fetched by URL on
# first use.
# Fused (reparameterized) inference: tools/model_converters/reparameterize.py
# THIS_CONFIG CKPT OUT, then model.backbone.deploy=True
# (docs/backbones/fastvit.md).
_base_ = ['./_base_/fpn_ade20k.py', './_base_/backbones/fastvit_sa12.py']

model = dict(
    backbone=_base_.backbone, neck=dict(in_channels=_base_.backbone_channels))
