# Semantic FPN with a FastViT-MA36 backbone on ADE20K (512x512, 40k iterations,
# batch 32): ./fpn_fastvit_sa12_ade20k.py with this variant's arch, widths,
# drop path and weights.
# Paper: 44.6 mIoU (FastViT paper Table 10, as listed by the PapersWithCode
# ADE20K leaderboard; UNVERIFIED against the paper).
# Weights: official ImageNet-1K fastvit_ma36.pth.tar, unfused training form
# (apple/ml-fastvit model zoo; licence: see that repository), fetched by URL on
# first use.
_base_ = './fpn_fastvit_sa12_ade20k.py'

checkpoint_url = 'https://docs-assets.developer.apple.com/ml-research/models/fastvit/image_classification_models/fastvit_ma36.pth.tar'  # noqa: E501
backbone_channels = [76, 152, 304, 608]  # FastViT-MA36 output widths
model = dict(
    backbone=dict(
        arch='ma36',
        drop_path_rate=0.35,  # ImageNet recipe (apple/ml-fastvit README)
        init_cfg=dict(checkpoint=checkpoint_url)),
    neck=dict(in_channels=backbone_channels))
