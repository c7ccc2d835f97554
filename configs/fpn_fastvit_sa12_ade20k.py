# Semantic FPN with a FastViT-SA12 backbone on ADE20K (512x512, 40k iterations,
# batch 32).
# Paper: 38.0 mIoU (FastViT paper Table 10, as listed by the PapersWithCode
# ADE20K leaderboard and iFormer; UNVERIFIED against the paper).
# Weights: official ImageNet-1K fastvit_sa12.pth.tar, unfused training form
# (apple/ml-fastvit model zoo; licence: see that repository), fetched by URL on
# first use.
# Fused (reparameterized) inference: tools/model_converters/reparameterize.py
# THIS_CONFIG CKPT OUT, then model.backbone.deploy=True
# (docs/backbones/fastvit.md).
_base_ = ['./_base_/fpn_ade20k.py', './_base_/backbones/fastvit_sa12.py']

model = dict(
    backbone=_base_.backbone, neck=dict(in_channels=_base_.backbone_channels))
