# Mask R-CNN 1x with a FastViT-SA24 backbone on COCO:
# ./mask_rcnn_fastvit_sa12_coco.py with this variant's arch, widths, drop path
# and weights.
# Paper: 42.0 box AP / 38.0 mask AP (FastViT paper Table 9, as cited by
# iFormer; UNVERIFIED against the paper).
# Weights: official ImageNet-1K fastvit_sa24.pth.tar, unfused training form
# (apple/ml-fastvit model zoo; licence: see that repository), fetched by URL on
# first use.
_base_ = './mask_rcnn_fastvit_sa12_coco.py'

checkpoint_url = 'https://docs-assets.developer.apple.com/ml-research/models/fastvit/image_classification_models/fastvit_sa24.pth.tar'  # noqa: E501
backbone_channels = [64, 128, 256, 512]  # FastViT-SA24 output widths
model = dict(
    backbone=dict(arch='sa24', init_cfg=dict(checkpoint=checkpoint_url)),
    neck=dict(in_channels=backbone_channels))
