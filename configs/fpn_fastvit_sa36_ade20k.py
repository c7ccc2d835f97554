# Semantic FPN with a FastViT-SA36 backbone on ADE20K (512x512, 40k iterations,
# batch 32): ./fpn_fastvit_sa12_ade20k.py with this variant's arch, widths,
# drop path and weights.
# Paper: 42.9 mIoU (FastViT paper Table 10, as listed by the PapersWithCode
# ADE20K leaderboard; UNVERIFIED against the paper).
# Weights: official ImageNet-1K fastvit_sa36.pth.tar, unfused training form
# (apple/ml-fastvit model zoo; licence: see that repository), fetched by URL on
# first use.
_base_ = './fpn_fastvit_sa12_ade20k.py'

checkpoint_url = 'https://docs-assets.developer.apple.com/ml-research/models/fastvit/image_classification_models/fastvit_sa36.pth.tar'  # noqa: E501
backbone_channels = [64, 128, 256, 512]  # FastViT-SA36 output widths
model = dict(
    backbone=dict(
        arch='sa36',
        drop_path_rate=0.2,  # ImageNet recipe (apple/ml-fastvit README)
        init_cfg=dict(checkpoint=checkpoint_url)),
    neck=dict(in_channels=backbone_channels))
